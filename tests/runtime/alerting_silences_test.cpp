// The silences API body (POST /api/v1/silences) as alerting::add_silence reads it. Inputs found
// by fuzz/admin_request_fuzzer (scripts/fuzz); each failed before its fix.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/config/config.hpp"
#include "daemon/runtime/alerting.hpp"
#include "exporters/metrics.hpp"

using namespace visionwatch;

namespace {

/// The daemon's alerting for one route, no receivers; start() is never called, so nothing is
/// written to the state directory.
struct silences_api {
  silences_api() {
    cfg.global.state_dir = "/nonexistent/visionwatch-test";
    route_config r;
    r.name = "vision";
    r.gateway = "gw";
    r.model = "m";
    cfg.routes.push_back(r);
  }
  net::io_context io;
  metrics m{{}, "0.0.0", "test"};
  config cfg;
  alerting alerts{io.get_executor(), m, cfg};
};

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a silence duration beyond the clock range is refused with a clear error instead of overflowing") {
    silences_api api;
    // 999999999 days is a valid duration to parse_duration; added to now it overflowed the
    // nanosecond clock.
    for (const std::string d : {"999999999d", "200000d"}) {
      CAPTURE(d);
      const auto [created, error] =
          api.alerts.add_silence(nlohmann::json{{"route", "vision"}, {"duration", d}});
      CHECK_FALSE(created.has_value());
      CHECK(error == "a silence may last at most 365 days");
    }
    CHECK(api.alerts.silences_json().empty());
  }

  TEST_CASE("a silence for a long but representable duration is created") {
    silences_api api;
    const auto [created, error] =
        api.alerts.add_silence(nlohmann::json{{"route", "vision"}, {"duration", "300d"}});
    REQUIRE(created.has_value());
    CHECK(error.empty());
    CHECK((*created)["until"].get<std::string>() > "2027");
  }
}
