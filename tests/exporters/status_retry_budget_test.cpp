// Retry mode and the spend guard as the status page, /api/v1/routes and /metrics show them.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "exporters/metrics.hpp"
#include "exporters/status.hpp"
#include "tests/support/exported_metrics.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {

status_view with_budgets() {
  status_view s;
  s.global_daily_usd = 20.0;
  s.spent_today_usd = 3.5;
  s.budget_resumes_at = std::chrono::system_clock::time_point(std::chrono::sys_days(
      std::chrono::year{2026} / std::chrono::May / std::chrono::day{2}));
  s.budgets.push_back({"capped<1>", 0.02, 0.01, "gateway"});
  s.budgets.push_back({"open", 3.48, 5.0, ""});
  s.budgets.push_back({"unbudgeted", 0, std::nullopt, ""});
  route_view r;
  r.route = "r1";
  r.interval = 60s;
  r.retrying = true;
  r.retry_interval = 5s;
  s.routes.push_back(r);
  return s;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a route in retry mode says so in the JSON and on the page") {
    const auto s = with_budgets();
    const auto j = status_json(s);
    CHECK(j["routes"][0]["retry_mode"] == true);
    CHECK(j["routes"][0]["retry_interval_seconds"] == 5.0);
    CHECK(status_html(s).find("retry mode: next probe 5 s after the failure") !=
          std::string::npos);
    auto calm = s;
    calm.routes[0].retrying = false;
    CHECK(status_html(calm).find("retry mode") == std::string::npos);
  }

  TEST_CASE("the budget line shows each gateway's spend and a paused one with its resume time") {
    const auto s = with_budgets();
    const auto html = status_html(s);
    CHECK(html.find("gateway capped&lt;1&gt;: daily budget spent ($0.0200 of $0.0100), probes "
                    "paused until 2026-05-02T00:00:00Z") != std::string::npos);
    CHECK(html.find("gateway open: $3.48 of $5.00 today") != std::string::npos);
    CHECK(html.find("spent today $3.50 of $20.00 (global budget)") != std::string::npos);
    CHECK(html.find("unbudgeted") == std::string::npos);  // nothing to say about it
    const auto j = status_json(s)["budget"];
    CHECK(j["daily_usd"] == 20.0);
    CHECK(j["resumes_at"] == "2026-05-02T00:00:00Z");
    REQUIRE(j["gateways"].size() == 3);
    CHECK(j["gateways"][0]["exhausted"] == true);
    CHECK(j["gateways"][0]["paused_by"] == "gateway");
    CHECK(j["gateways"][1]["paused_by"].is_null());
    CHECK(j["gateways"][2]["daily_usd"].is_null());
    // No budget anywhere: no line, an empty list.
    const status_view none;
    CHECK(status_json(none)["budget"]["gateways"].empty());
    CHECK(status_json(none)["budget"]["resumes_at"].is_null());
    CHECK(status_html(none).find("budget") == std::string::npos);
  }

  TEST_CASE("budget and retry series follow their gateway and route") {
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route({"r1", "m", "gw", "openai-chat"});
    REQUIRE(m.add_gateway("gw"));
    /// Each series, its value while nothing happened and after retry mode, spend and a skip.
    struct series {
      std::string_view name;
      std::map<std::string, std::string> labels;
      double before;
      double after;
    };
    const std::vector<series> all = {
        {"visionwatch_route_retry_mode", {{"route", "r1"}}, 0.0, 1.0},
        {"visionwatch_budget_spent_usd", {{"gateway", "gw"}}, 0.0, 1.25},
        {"visionwatch_budget_exhausted", {{"gateway", "gw"}}, 0.0, 1.0},
        {"visionwatch_gateway_probes_skipped_total",
         {{"gateway", "gw"}, {"reason", "budget"}},
         0.0,
         1.0},
    };
    auto text = m.render();
    for (const auto& s : all) {
      CAPTURE(s.name);
      CHECK(test::metric_value(text, s.name, s.labels) == s.before);
    }
    CHECK(m.set_retry_mode(h, true));
    CHECK(m.set_gateway_budget("gw", 1.25, true));
    CHECK(m.gateway_probe_skipped("gw", probe_skip_reason::budget));
    CHECK_FALSE(m.set_gateway_budget("unknown", 1, true));
    text = m.render();
    for (const auto& s : all) {
      CAPTURE(s.name);
      CHECK(test::metric_value(text, s.name, s.labels) == s.after);
    }
    REQUIRE(m.remove_gateway("gw"));
    text = m.render();
    CHECK(test::metric_value(text, "visionwatch_budget_spent_usd", {{"gateway", "gw"}}) ==
          std::nullopt);
    CHECK(test::metric_value(text, "visionwatch_budget_exhausted", {}) == std::nullopt);
  }
}
