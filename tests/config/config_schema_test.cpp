// The JSON Schema of `visionwatch config schema`: generated from the field tables, checked in as
// docs/visionwatch.schema.json, satisfied by every shipped configuration (python3-jsonschema),
// and refusing a broken file at the same paths as `visionwatch validate`.
#include "daemon/config/config_schema.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/config/config_fields.hpp"
#include "daemon/sim/demo.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace {

namespace fs = std::filesystem;
namespace cf = visionwatch::config_fields;
using namespace visionwatch;

fs::path schema_dir() { return test::source_dir() / "tests" / "config" / "schema"; }
fs::path checked_in_schema() { return test::source_dir() / "docs" / "visionwatch.schema.json"; }

/// Debian's interpreter, which has python3-jsonschema (scripts/install-deps), before another
/// python3 in PATH.
std::string python() {
  if (fs::exists("/usr/bin/python3")) {
    return "/usr/bin/python3";
  }
  const auto p = test::find_in_path("python3");
  REQUIRE_MESSAGE(p, "python3 is not installed (scripts/install-deps)");
  return p->string();
}

std::string report(const test::process_result& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

/// Runs check_schema.py on `files` against `schema`: the schema error lines
/// ("FILE<TAB>PATH<TAB>MESSAGE").
std::vector<std::string> schema_errors(const fs::path& schema, const std::vector<fs::path>& files) {
  std::vector<std::string> argv = {
      python(), (schema_dir() / "check_schema.py").string(), schema.string()};
  for (const auto& f : files) {
    argv.push_back(f.string());
  }
  const auto r = test::run_process(argv);
  REQUIRE_MESSAGE(r.exit_code == 0, report(r));
  std::vector<std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("docs/visionwatch.schema.json is the schema the field tables give") {
    // After a change to daemon/config/config_fields.cpp:
    //   build/default/daemon/visionwatch config schema > docs/visionwatch.schema.json
    CHECK(test::read_file(checked_in_schema()) == config_schema_text());
  }

  TEST_CASE("the schema has one definition per field table with exactly the table's keys") {
    const auto schema = config_schema();
    CHECK(schema["$schema"] == "http://json-schema.org/draft-07/schema#");
    for (const auto* t : cf::all_tables()) {
      CAPTURE(t->name);
      const auto& d = t == &cf::document() ? schema : schema["definitions"][std::string(t->name)];
      REQUIRE(d.contains("properties"));
      std::vector<std::string> keys;
      for (const auto& [key, value] : d["properties"].items()) {
        keys.push_back(key);
        CHECK(!value["description"].get<std::string>().empty());
      }
      std::vector<std::string> expected;
      expected.reserve(t->fields.size());
      for (const auto& f : t->fields) {
        expected.push_back(f.key);
      }
      CHECK(keys == expected);
      CHECK(d["additionalProperties"] == false);
    }
    CHECK(schema["definitions"].size() + 1 == cf::all_tables().size());
  }

  TEST_CASE("the schema text is the same on every call") {
    CHECK(config_schema_text() == config_schema_text());
  }
}

TEST_SUITE("integration") {
  TEST_CASE("every example configuration and the demo configuration satisfy the schema") {
    const auto dir = test::make_temp_dir("vw-schema");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(test::source_dir() / "examples")) {
      if (entry.path().extension() == ".yaml") {
        files.push_back(entry.path());
      }
    }
    REQUIRE(files.size() >= 2);  // visionwatch.yaml (the package's conffile) and production.yaml
    demo_settings demo;
    demo.webhook_url = "http://127.0.0.1:9/hook";
    demo.alertmanager_url = "http://127.0.0.1:9093";
    files.push_back(dir / "demo.yaml");
    std::ofstream(files.back()) << demo_config_yaml("http://127.0.0.1:9/v1", demo);
    for (const auto* name : {"full.yaml", "full_admin_file.yaml", "full_admin_credential.yaml"}) {
      files.push_back(schema_dir() / name);
    }
    CHECK(schema_errors(checked_in_schema(), files) == std::vector<std::string>{});
    fs::remove_all(dir);
  }

  TEST_CASE("the schema refuses a broken file at the paths validate reports") {
    const auto broken = schema_dir() / "broken.yaml";
    const auto validate = test::run_process(
        {test::visionwatch_binary().string(), "validate", "--config", broken.string()});
    REQUIRE_MESSAGE(validate.exit_code == 2, report(validate));
    // "FILE:LINE: PATH: MESSAGE" per error, then "FILE: invalid (N errors)".
    std::set<std::string> validate_paths;
    std::istringstream err(validate.err);
    const std::string prefix = broken.string() + ":";
    for (std::string line; std::getline(err, line);) {
      if (line.rfind(prefix, 0) != 0 || line.find(": invalid (") != std::string::npos) {
        continue;
      }
      const auto path_start = line.find(": ", prefix.size()) + 2;
      validate_paths.insert(line.substr(path_start, line.find(": ", path_start) - path_start));
    }
    std::set<std::string> schema_paths;
    for (const auto& line : schema_errors(checked_in_schema(), {broken})) {
      const auto first = line.find('\t');
      schema_paths.insert(line.substr(first + 1, line.find('\t', first + 1) - first - 1));
    }
    CHECK(validate_paths.size() == 14);
    CHECK(schema_paths == validate_paths);
  }
}
