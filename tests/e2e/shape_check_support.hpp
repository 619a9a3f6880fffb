#pragma once
// Shared by the shapes e2e tests: `visionwatch check --output json` on a configuration file, and
// the checks that a route failed exactly one shape.

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "daemon/config/exit_codes.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace visionwatch::test {

/// A route of gateway `gateway` probing `model` with `shapes` (a YAML list) that must fail for
/// its `broken` shape alone (empty: pass every shape).
struct shape_route {
  std::string name;
  std::string gateway;
  std::string model;
  std::string shapes;
  std::string broken;
};

/// The `routes:` section listing `routes`.
inline std::string shape_routes_yaml(const std::vector<shape_route>& routes) {
  std::string y = "routes:\n";
  for (const auto& r : routes) {
    y += route_entry(r.name, r.gateway, r.model, "shapes: " + r.shapes);
  }
  return y;
}

/// Runs `visionwatch check --seed <seed> --config <config> -n <probes> --output json`; the
/// process result, and its stdout parsed (discarded when it is not JSON).
struct check_run_json {
  process_result process;
  nlohmann::json out;
};

inline check_run_json run_check_json(const std::filesystem::path& config,
                                     int probes,
                                     const std::string& seed,
                                     std::chrono::seconds within = std::chrono::seconds(180)) {
  // Built whole (aggregate initialisation), not default-constructed and assigned: clang-tidy's
  // exception-escape check takes nlohmann::json's default constructor for one that throws.
  auto process = run_process({visionwatch_binary().string(),
                             "check",
                             "--seed",
                             seed,
                             "--config",
                             config.string(),
                             "-n",
                             std::to_string(probes),
                             "--output",
                             "json"},
                            {},
                            within);
  auto out = nlohmann::json::parse(process.out, nullptr, false);
  return check_run_json{std::move(process), std::move(out)};
}

/// `route` (one element of the JSON's "routes") passed every shape but `broken`, which failed
/// and is named by the verdict; an empty `broken`: every shape passed.
inline void check_only_shape_failing(const nlohmann::json& route, const std::string& broken) {
  CAPTURE(route.at("route").get<std::string>());
  CHECK(route.at("pass") == broken.empty());
  for (const auto& sh : route.at("shapes")) {
    CAPTURE(sh.dump());
    CHECK(sh.at("pass") == (sh.at("shape") != broken));
  }
  if (!broken.empty()) {
    CHECK(route.at("verdict").get<std::string>().starts_with("FAIL: fails only with " + broken +
                                                             ": "));
  }
}

/// Runs check on `config` (`probes` per route, `seed`): it exits 1 and reports `routes` in
/// order, each failing only its `broken` shape. Returns the report's routes.
inline nlohmann::json check_each_fails_only_its_shape(
    const std::filesystem::path& config,
    const std::vector<shape_route>& routes,
    int probes,
    const std::string& seed,
    std::chrono::seconds within = std::chrono::seconds(180)) {
  const auto r = run_check_json(config, probes, seed, within);
  INFO("stdout:\n" << r.process.out << "\nstderr:\n" << r.process.err);
  CHECK(r.process.exit_code == exit_failed);
  REQUIRE(r.out.is_object());
  REQUIRE(r.out.at("routes").size() == routes.size());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    check_only_shape_failing(r.out.at("routes").at(i), routes[i].broken);
  }
  return r.out.at("routes");
}

}  // namespace visionwatch::test
