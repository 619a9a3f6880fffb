#include <doctest/doctest.h>

#include <string>

#include "alerts/alert_config.hpp"

using namespace visionwatch;

TEST_SUITE("unit") {
  TEST_CASE("every alert rule kind has one row of traits that its name and defaults come from") {
    int kinds = 0;
    for (unsigned i = 0; i < 256; ++i) {
      const auto kind = static_cast<alert_rule_kind>(i);
      const auto* t = traits_of(kind);
      if (t == nullptr) {
        CHECK(to_string(kind) == "unknown");
        break;
      }
      ++kinds;
      CAPTURE(t->name);
      CHECK(to_string(kind) == t->name);
      CHECK(alert_rule_kind_from_string(t->name) == kind);
      CHECK_FALSE(t->summary.empty());
      CHECK(t->default_template.find("{reason}") != std::string_view::npos);
      const auto c = default_rule_config(kind);
      CHECK(c.kind == kind);
      CHECK(c.failure_threshold == t->defaults.failure_threshold);
      CHECK(c.success_threshold == t->defaults.success_threshold);
      CHECK(c.threshold == t->defaults.threshold);
      CHECK(c.severity == t->defaults.severity);
    }
    CHECK(kinds == static_cast<int>(alert_rule_kind::cost) + 1);
  }

  TEST_CASE("the rule defaults are the documented ones") {
    const auto ratio = default_rule_config(alert_rule_kind::success_ratio);
    CHECK(ratio.failure_threshold == 3);
    CHECK(ratio.success_threshold == 3);
    CHECK(ratio.threshold == doctest::Approx(0.9));
    CHECK(ratio.severity == "warning");
    const auto down = default_rule_config(alert_rule_kind::route_down);
    CHECK(down.failure_threshold == 3);
    CHECK(down.success_threshold == 2);
    CHECK(down.severity == "critical");
  }
}
