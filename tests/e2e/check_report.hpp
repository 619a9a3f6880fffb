#pragma once
// Shared by the e2e tests that run `visionwatch check --output json` over routes whose every
// probe must come out one way: the routes' YAML, the parsed report, the per-probe checks, and
// failure messages with the test's secrets masked.

#include <doctest/doctest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "probes/outcome.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"

namespace visionwatch::test {

/// One route of a check run and the outcome every one of its probes must come out as.
struct outcome_route {
  std::string name;
  std::string gateway;
  std::string model;
  std::string kind;  ///< the challenge kind
  outcome result;
};

/// The `routes:` section listing `routes`.
inline std::string routes_yaml(const std::vector<outcome_route>& routes) {
  std::string y = "routes:\n";
  for (const auto& r : routes) {
    y += route_entry(r.name, r.gateway, r.model, "challenge: {kind: " + r.kind + "}");
  }
  return y;
}

/// `text` with every one of `secrets` replaced by "<redacted>", for failure messages: a failing
/// leak check must not print the secret itself.
inline std::string redacted(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    for (auto at = text.find(s); at != std::string::npos; at = text.find(s, at)) {
      text.replace(at, s.size(), "<redacted>");
    }
  }
  return text;
}

/// The report a `check --output json` run printed on stdout; it must be JSON.
inline nlohmann::json report_of(const process_result& r) {
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

/// The report's `routes` are `expected`, in order, each with `probes` results of its outcome,
/// and every ok probe answered what was expected; `more` checks anything else of each probe.
inline void check_probe_outcomes(
    const nlohmann::json& routes,
    const std::vector<outcome_route>& expected,
    int probes,
    const std::function<void(const outcome_route&, const nlohmann::json&)>& more = {}) {
  REQUIRE(routes.size() == expected.size());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& e = expected[i];
    const auto& jr = routes[i];
    CAPTURE(e.name);
    REQUIRE(jr.at("route") == e.name);
    REQUIRE(jr.at("results").size() == static_cast<std::size_t>(probes));
    for (const auto& p : jr.at("results")) {
      CAPTURE(p.dump());
      CHECK(p.at("outcome") == std::string(to_string(e.result)));
      if (e.result == outcome::ok) {
        CHECK(p.at("answer") == p.at("expected"));
      }
      if (more) {
        more(e, p);
      }
    }
  }
}

}  // namespace visionwatch::test
