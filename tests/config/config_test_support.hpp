#pragma once
/// What the config tests share: an environment of their own, the smallest valid file and helpers
/// that parse a text into its error lines or its config.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/support/scoped_temp_dir.hpp"

namespace doctest {
/// Error lists print one per line when a comparison fails.
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out = "{";
    for (const auto& s : v) {
      out += "\n  \"" + s + "\"";
    }
    return (out + "}").c_str();
  }
};
}  // namespace doctest

namespace visionwatch::config_testing {

/// An environment for tests: only these variables exist.
inline env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& n) -> std::optional<std::string> {
    const auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

inline const env_lookup no_env = env_of({});

inline std::vector<std::string> errors_of(const std::string& yaml, const env_lookup& env = no_env) {
  const auto r = parse_config(yaml, "config.yaml", env);
  std::vector<std::string> out;
  out.reserve(r.errors.size());
  for (const auto& e : r.errors) {
    out.push_back(e.to_string());
  }
  CHECK(r.value.has_value() == out.empty());
  return out;
}

/// A configuration text and the error lines it must give (none: it loads).
struct error_case {
  std::string yaml;
  std::vector<std::string> errors;
};

/// Checks each case's error lines, naming the text of a case that fails.
inline void check_error_cases(std::initializer_list<error_case> cases) {
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    CHECK(errors_of(c.yaml) == c.errors);
  }
}

inline config parse_ok(const std::string& yaml, const env_lookup& env = no_env) {
  auto r = parse_config(yaml, "config.yaml", env);
  for (const auto& e : r.errors) {
    FAIL_CHECK(e.to_string());
  }
  REQUIRE(r.value);
  return std::move(*r.value);
}

/// The smallest valid file; tests append to it (line numbers below count from here).
inline const std::string base =
    "gateways:\n"                            // 1
    "  - name: gw\n"                         // 2
    "    base_url: https://gw.example/v1\n"  // 3
    "routes:\n"                              // 4
    "  - name: r1\n"                         // 5
    "    gateway: gw\n"                      // 6
    "    model: m\n";                        // 7

/// `base` whose `defaults:` section holds `defaults_keys` (YAML flow-mapping keys), plus a second
/// route r2 setting `route_keys`: routes[0] inherits the defaults, routes[1] overrides them.
inline config parse_defaults_and_override(const std::string& defaults_keys,
                                          const std::string& route_keys) {
  return parse_ok("defaults: {" + defaults_keys + "}\n" + base +
                  "  - {name: r2, gateway: gw, model: m, " + route_keys + "}\n");
}

inline std::string write_file(const std::filesystem::path& dir,
                              const std::string& name,
                              const std::string& content) {
  const auto p = dir / name;
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

/// Writes each {name, content} into `dir` (secret files, certificates, tokens).
inline void write_files(const std::filesystem::path& dir,
                        std::initializer_list<std::pair<std::string, std::string>> files) {
  for (const auto& [name, content] : files) {
    write_file(dir, name, content);
  }
}

/// A temporary directory holding `files` ({name, content}: secret files, certificates, tokens),
/// removed with this object.
struct temp_files : test::scoped_temp_dir {
  temp_files(const std::string& prefix,
             std::initializer_list<std::pair<std::string, std::string>> files)
      : scoped_temp_dir(prefix) {
    write_files(path, files);
  }
};

inline const std::string png_magic("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);

}  // namespace visionwatch::config_testing
