#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;

TEST_SUITE("unit") {
  TEST_CASE("the latency rule reads metric total or first_token - nothing else") {
    const auto c = parse_ok(
        base + "    alerts: {rules: {latency: {threshold: 1500ms, metric: first_token}}}\n");
    const auto& rules = c.routes[0].settings.alerts.rules;
    const auto it = std::find_if(rules.begin(), rules.end(), [](const auto& r) {
      return r.kind == alert_rule_kind::latency;
    });
    REQUIRE(it != rules.end());
    CHECK(it->enabled);
    CHECK(it->metric == latency_metric::first_token);
    CHECK(it->threshold == doctest::Approx(1.5));
    CHECK(errors_of(base + "    alerts: {rules: {latency: {threshold: 2s, metric: ttfb}}}\n") ==
          std::vector<std::string>{"config.yaml:8: routes[0].alerts.rules.latency.metric: "
                                   "\"ttfb\" is not a latency metric (use total, first_token)"});
    CHECK(
        errors_of(base + "    alerts: {rules: {cost: {threshold: 1, metric: first_token}}}\n") ==
        std::vector<std::string>{"config.yaml:8: routes[0].alerts.rules.cost.metric: unknown key"});
  }

  TEST_CASE("alert thresholds are range-checked and latency/cost need one") {
    CHECK(errors_of(base + "    alerts:\n"
                           "      rules:\n"
                           "        success_ratio: {threshold: 1.5}\n"
                           "        latency: {enabled: true}\n"
                           "        route_down: {threshold: 3, failure_threshold: 0}\n"
                           "        flapping: {}\n") ==
          std::vector<std::string>{
              ("config.yaml:10: routes[0].alerts.rules.success_ratio.threshold: \"1.5\" is out "
               "of range (0..1)"),
              "config.yaml:11: routes[0].alerts.rules.latency: latency needs a threshold",
              "config.yaml:12: routes[0].alerts.rules.route_down.threshold: unknown key",
              ("config.yaml:12: routes[0].alerts.rules.route_down.failure_threshold: \"0\" is out "
               "of range (1..1000)"),
              ("config.yaml:13: routes[0].alerts.rules.flapping: unknown alert rule (use "
               "silent_failure, route_down, success_ratio, latency, cost)")});
  }

  TEST_CASE("rule receivers must exist and description placeholders must be known") {
    CHECK(errors_of("defaults:\n  alerts: {rules: {route_down: {receivers: [pager], "
                    "description: \"{route} is {status}\"}}}\n" +
                    base + "receivers: [{name: hook, type: webhook, url: \"https://h/\"}]\n") ==
          std::vector<std::string>{
              "config.yaml:2: defaults.alerts.rules.route_down.description: unknown placeholder "
              "{status} (use {route}, {model}, {gateway}, {rule}, {reason}, {value})",
              "config.yaml:2: defaults.alerts.rules.route_down.receivers[0]: unknown receiver "
              "\"pager\""});
  }

  TEST_CASE("silences reference existing routes and RFC 3339 times") {
    CHECK(errors_of(base + "silences:\n"
                           "  - {route: r1, until: 2026-12-01T00:00:00Z, comment: ok}\n"
                           "  - {route: r9, until: tomorrow}\n") ==
          std::vector<std::string>{
              "config.yaml:10: silences[1].route: unknown route \"r9\"",
              "config.yaml:10: silences[1].until: \"tomorrow\" is not an RFC 3339 time (e.g. "
              "2026-12-01T00:00:00Z)"});
  }
}
