// Routes with the same alert rules share one copy of them (issue 14: steady-state memory at
// 10,000 routes); state and reloads behave as with copies.
#include <doctest/doctest.h>

#include "alerts/alert_router.hpp"
#include "tests/alerts/alert_fixtures.hpp"

namespace {

using namespace visionwatch;
using namespace std::chrono_literals;

using test::route_id;

alert_rules_config rules_with_threshold(int failures) {
  alert_rules_config rules;
  auto rule = default_rule_config(alert_rule_kind::silent_failure);
  rule.failure_threshold = failures;
  rules.rules.push_back(rule);
  rules.rules.push_back(default_rule_config(alert_rule_kind::success_ratio));
  return rules;
}

TEST_SUITE("unit") {
  TEST_CASE("routes with equal rules share one copy and routes with other rules do not") {
    alert_router router({}, [](const std::string&, const notification&) {});
    router.set_route(route_id("a"), rules_with_threshold(2), test::t0);
    router.set_route(route_id("b"), rules_with_threshold(2), test::t0);
    router.set_route(route_id("c"), rules_with_threshold(3), test::t0);
    const auto& a = router.route("a")->shared_rules();
    CHECK(a.get() == router.route("b")->shared_rules().get());
    CHECK(a.get() != router.route("c")->shared_rules().get());
    CHECK(router.route("c")->rules().rules.at(0).failure_threshold == 3);

    // A reload that gives b c's rules moves it to c's copy; a keeps its own.
    router.set_route(route_id("b"), rules_with_threshold(3), test::t0 + 1s);
    CHECK(router.route("b")->shared_rules().get() == router.route("c")->shared_rules().get());
    CHECK(router.route("a")->rules().rules.at(0).failure_threshold == 2);
  }

  TEST_CASE("an engine given shared rules evaluates each rule of them") {
    auto shared = std::make_shared<const alert_rules_config>(rules_with_threshold(2));
    rule_engine engine(route_id("a"), shared);
    CHECK(engine.shared_rules().get() == shared.get());
    CHECK(engine.statuses().size() == 2);
    CHECK(engine.statuses().at(0).kind == alert_rule_kind::silent_failure);
  }
}

}  // namespace
