#pragma once
// Shared by the e2e tests: a simulated gateway on its own thread, configuration files for
// `visionwatch run` pointing at it, and the names the test files open with.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/sim/demo.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/exported_metrics.hpp"
#include "tests/support/process.hpp"
#include "tests/support/scoped_temp_dir.hpp"
#include "tests/support/test_paths.hpp"

namespace visionwatch::test {

/// A secret a test hands the binary in the environment variable `name`, as an operator would.
struct env_secret {
  const char* name;
  const char* value;

  /// `NAME=value`: an entry of run_process's environment.
  [[nodiscard]] std::string assignment() const { return std::string(name) + "=" + value; }
};

/// One route of a test configuration: `name` probes model `model` with challenge `kind`.
struct test_route {
  std::string name;
  std::string model;
  std::string kind = "digits";
};

/// One entry of a `routes:` list: route `name` of `gateway` probing `model`, with `keys` (more
/// YAML flow-mapping keys).
inline std::string route_entry(const std::string& name,
                               const std::string& gateway,
                               const std::string& model,
                               const std::string& keys) {
  return "  - {name: " + name + ", gateway: " + gateway + ", model: " + model + ", " + keys + "}\n";
}

/// A configuration with fast probes (1 s interval unless told) against `gateway_url`;
/// `global_extra` and `defaults_extra` are lines added to those sections (indented by two).
inline std::string e2e_config(const std::string& gateway_url,
                              const std::vector<test_route>& routes,
                              const std::string& global_extra = {},
                              const std::string& interval = "1s",
                              const std::string& defaults_extra = {}) {
  std::string y = "global:\n  listen: \"127.0.0.1:0\"\n" + global_extra;
  y += "defaults:\n  interval: " + interval + "\n  timeout: " + interval +
       "\n  baseline_interval: 10m\n  window: 20\n"
       "  price: {input_per_million: 0.40, output_per_million: 1.60}\n" +
       defaults_extra;
  y += "gateways:\n  - name: sim\n    base_url: \"" + gateway_url +
       "\"\n    api: openai-chat\n    max_concurrency: 16\n    proxy_url: none\n";
  y += "routes:\n";
  for (const auto& r : routes) {
    y += route_entry(r.name, "sim", r.model, "challenge: {kind: " + r.kind + "}");
  }
  return y;
}

/// `yaml` (a configuration starting with a block `global:` section) with
/// `global.state_dir: dir` added unless it sets one: a daemon under test keeps its state in a
/// temporary directory, never in ./state of the test's working directory.
inline std::string with_state_dir(std::string yaml, const std::filesystem::path& dir) {
  if (yaml.find("state_dir:") != std::string::npos) {
    return yaml;
  }
  constexpr std::string_view head = "global:\n";
  if (!yaml.starts_with(head)) {
    throw std::invalid_argument("with_state_dir: the configuration must start with 'global:'");
  }
  yaml.insert(head.size(), "  state_dir: \"" + dir.string() + "\"\n");
  return yaml;
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

/// The demo gateway (daemon/sim/demo.hpp), started; its destructor stops it.
struct started_demo_gateway : demo_gateway {
  explicit started_demo_gateway(std::chrono::milliseconds period = std::chrono::minutes(2),
                                native_keys keys = {},
                                const std::string& api_key = {})
      : demo_gateway(period, std::move(keys), api_key) {
    start();
  }
};

/// The entry of route `name` in `visionwatch check --output json`'s "routes", or nullptr.
inline const nlohmann::json* check_route(const nlohmann::json& report, std::string_view name) {
  for (const auto& r : report.at("routes")) {
    if (r.at("route") == name) {
      return &r;
    }
  }
  return nullptr;
}

/// `visionwatch check --config CONFIG --probes N --output json` with a fixed seed (the same
/// challenges on every run: a guessing route cannot pass by luck) and `env` (its keys).
inline process_result check_json(const std::filesystem::path& config,
                                 int probes,
                                 const std::vector<std::string>& env = {}) {
  using namespace std::chrono_literals;
  return run_process({visionwatch_binary().string(),
                      "check",
                      "--seed",
                      "20261126",
                      "--config",
                      config.string(),
                      "--probes",
                      std::to_string(probes),
                      "--output",
                      "json"},
                     env,
                     120s);
}

}  // namespace visionwatch::test

/// The names an e2e test opens with, taken in by one `using namespace
/// visionwatch::e2e_test_names;` inside the file's own namespace: visionwatch, visionwatch::test
/// as `vt`, std::filesystem as `fs`, the chrono literals and nlohmann's json.
namespace visionwatch::e2e_test_names {
using namespace visionwatch;
namespace vt = visionwatch::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
}  // namespace visionwatch::e2e_test_names
