// The capacity warning's arithmetic: demand = sum over a gateway's routes of timeout/interval,
// compared with its max_concurrency; the same function feeds validate, start-up and reload.
#include "daemon/config/config_capacity.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "tests/config/config_test_support.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;
using namespace std::chrono_literals;

namespace {

/// Gateways `a` (max_concurrency 2) and `b` (1); `routes` is the routes section's body.
config with_routes(const std::string& routes) {
  return parse_ok(
      "gateways:\n"
      "  - {name: a, base_url: https://a.example/v1, max_concurrency: 2}\n"
      "  - {name: b, base_url: https://b.example/v1, max_concurrency: 1}\n"
      "routes:\n" +
      routes);
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a route's demand is its timeout over its interval") {
    struct demand_case {
      std::chrono::seconds interval;
      std::chrono::seconds timeout;
      double demand;
    };
    for (const auto& c : {
             demand_case{60s, 15s, 0.25},
             demand_case{60s, 60s, 1.0},
             demand_case{60s, 120s, 1.0},  // a route never overlaps itself: one probe in flight
         }) {
      CAPTURE(c.interval.count());
      CAPTURE(c.timeout.count());
      route_settings s;
      s.interval = c.interval;
      s.timeout = c.timeout;
      CHECK(route_demand(s) == doctest::Approx(c.demand));
    }
    route_settings unscheduled;
    unscheduled.interval = 0s;
    unscheduled.timeout = 120s;
    CHECK(route_demand(unscheduled) == 0.0);
  }

  TEST_CASE("a gateway whose routes need more probes at once than max_concurrency falls short") {
    // Five routes on a, each busy half of its interval: 2.5 probes at once against 2.
    std::string routes;
    for (int i = 0; i < 5; ++i) {
      routes += "  - {name: a" + std::to_string(i) +
                ", gateway: a, model: m, interval: 10s, timeout: 5s}\n";
    }
    routes += "  - {name: b0, gateway: b, model: m, interval: 10s, timeout: 10s}\n";
    const auto shortfalls = capacity_shortfalls(with_routes(routes));
    REQUIRE(shortfalls.size() == 1);
    CHECK(shortfalls[0].gateway == "a");
    CHECK(shortfalls[0].max_concurrency == 2);
    CHECK(shortfalls[0].demand == doctest::Approx(2.5));
    const auto line = capacity_warning(shortfalls[0]);
    CHECK(line ==
          "gateway a: its routes need up to 2.5 probes at once (sum of timeout/interval) but "
          "max_concurrency is 2; probes that find no free slot before their next one are "
          "skipped (visionwatch_gateway_probes_skipped_total{reason=\"concurrency\"})");
  }

  TEST_CASE("a demand exactly at max_concurrency is no shortfall and gateways count apart") {
    std::string routes;
    for (int i = 0; i < 6; ++i) {  // 6 x 1/3 = 2.0: exactly a's limit
      routes += "  - {name: a" + std::to_string(i) +
                ", gateway: a, model: m, interval: 30s, timeout: 10s}\n";
    }
    for (int i = 0; i < 2; ++i) {  // 2 x 0.6 = 1.2 on b, over its 1
      routes += "  - {name: b" + std::to_string(i) +
                ", gateway: b, model: m, interval: 10s, timeout: 6s}\n";
    }
    const auto shortfalls = capacity_shortfalls(with_routes(routes));
    REQUIRE(shortfalls.size() == 1);
    CHECK(shortfalls[0].gateway == "b");
    CHECK(shortfalls[0].demand == doctest::Approx(1.2));
  }

  TEST_CASE("a gateway without routes has no demand") {
    CHECK(capacity_shortfalls(with_routes("  - {name: r, gateway: a, model: m}\n")).empty());
  }
}
