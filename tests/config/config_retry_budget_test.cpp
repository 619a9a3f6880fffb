// retry_interval (defaults and routes) and budget (gateways and global): reading, the derived
// default, and the errors with their file:line.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST_SUITE("unit") {
  TEST_CASE("retry_interval is read from defaults and routes and a route may override it") {
    const auto c = parse_defaults_and_override("retry_interval: 10s", "retry_interval: 5s");
    CHECK(c.routes[0].settings.retry_interval == milliseconds(10s));
    CHECK(c.routes[1].settings.effective_retry_interval() == 5s);
  }

  TEST_CASE("unset retry_interval is a quarter of the interval - at least 30 s - at most the "
            "interval") {
    route_settings s;
    const auto with = [&s](milliseconds interval) {
      s.interval = interval;
      return s.effective_retry_interval();
    };
    CHECK(with(60s) == 30s);
    CHECK(with(10s) == 10s);  // shorter than 30 s: no faster retry
    CHECK(with(30s) == 30s);
    CHECK(with(5min) == 75s);
    CHECK(with(1h) == 15min);
    // The route's own interval decides, not the defaults' one.
    const auto c = parse_ok("defaults: {interval: 1h}\n" + base + "    interval: 2m\n");
    CHECK(c.routes[0].settings.effective_retry_interval() == 30s);
  }

  TEST_CASE("retry_interval longer than interval is an error also when inherited") {
    check_error_cases({
        {base + "    retry_interval: 2m\n",
         {"config.yaml:8: routes[0].retry_interval: retry_interval 2m is longer than interval 1m"}},
        {"defaults: {timeout: 5s, retry_interval: 30s}\n" + base + "    interval: 10s\n",
         {"config.yaml:9: routes[0].retry_interval: retry_interval 30s is longer than interval "
          "10s"}},
        {"defaults: {interval: 20s, timeout: 10s, retry_interval: 1m}\n" + base,
         {"config.yaml:1: defaults.retry_interval: retry_interval 1m is longer than interval "
          "20s"}},
        {base + "    retry_interval: 1m\n", {}},  // equal: allowed (no retries)
    });
  }

  TEST_CASE("retry_interval of zero or a negative or malformed value is refused with its line") {
    check_error_cases({
        {base + "    retry_interval: 0s\n",
         {R"(config.yaml:8: routes[0].retry_interval: "0s" must be positive)"}},
        {base + "    retry_interval: -5s\n",
         {R"(config.yaml:8: routes[0].retry_interval: "-5s" is not a duration (use 30s, 5m, 1h))"}},
    });
  }

  TEST_CASE("budget is read on gateways and in global") {
    const auto c = parse_ok(
        "global: {budget: {daily_usd: 25}}\n"
        "gateways:\n"
        "  - {name: gw, base_url: \"https://gw/v1\", budget: {daily_usd: 2.5}}\n"
        "  - {name: free, base_url: \"https://free/v1\"}\n"
        "routes:\n"
        "  - {name: r1, gateway: gw, model: m}\n");
    CHECK(c.global.budget.daily_usd == 25.0);
    CHECK(c.gateways[0].budget.daily_usd == 2.5);
    CHECK_FALSE(c.gateways[1].budget.daily_usd.has_value());
    CHECK_FALSE(parse_ok(base).global.budget.daily_usd.has_value());
  }

  TEST_CASE("a budget of zero - without daily_usd - or with an unknown key is refused") {
    const std::string gateways = "gateways:\n  - name: gw\n    base_url: https://gw/v1\n";
    const std::string routes = "routes:\n  - {name: r1, gateway: gw, model: m}\n";
    CHECK(errors_of(gateways + "    budget: {daily_usd: 0}\n" + routes) ==
          std::vector<std::string>{"config.yaml:4: gateways[0].budget.daily_usd: must be more "
                                   "than 0 (leave budget out for no limit)"});
    CHECK(errors_of("global:\n  budget: {}\n" + gateways + routes) ==
          std::vector<std::string>{
              "config.yaml:2: global.budget: missing required key \"daily_usd\""});
    CHECK(errors_of(gateways + "    budget: {daily_usd: 1, monthly_usd: 30}\n" + routes) ==
          std::vector<std::string>{"config.yaml:4: gateways[0].budget.monthly_usd: unknown key"});
    CHECK(errors_of(gateways + "    budget: {daily_usd: lots}\n" + routes) ==
          std::vector<std::string>{
              "config.yaml:4: gateways[0].budget.daily_usd: \"lots\" is not a number"});
  }
}
