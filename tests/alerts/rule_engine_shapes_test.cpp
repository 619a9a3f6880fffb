// silent_failure with shapes in rotation: the streak is per shape, so one broken shape between
// working ones fires the rule; it resolves once no shape has a streak; the streaks survive a
// save and restore.
#include <doctest/doctest.h>

#include "alerts/rule_engine.hpp"
#include "tests/alerts/alert_fixtures.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {

struct shapes_driver {
  rule_engine engine{route_identity{"r", "m", "gw", "", {}}, [] {
                       alert_rules_config c;
                       c.rules = {default_rule_config(alert_rule_kind::silent_failure),
                                  default_rule_config(alert_rule_kind::route_down)};
                       return c;
                     }()};
  wall_time now = test::t0;

  std::vector<alert_event> feed(probe_shape shape, outcome o) {
    probe_result r;
    r.route = "r";
    r.shape = shape;
    r.result = o;
    r.reason = "reason of " + std::string(to_string(shape));
    r.http_status = is_transport_error(o) ? 0 : 200;
    now += 60s;
    return engine.evaluate(r, {}, now, false);
  }
  [[nodiscard]] alert_state silent() const { return engine.statuses().at(0).state; }
  [[nodiscard]] alert_state down() const { return engine.statuses().at(1).state; }
};

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("one shape failing silently between passing ones fires silent_failure") {
    shapes_driver d;
    CHECK(d.feed(probe_shape::plain, outcome::ok).empty());
    CHECK(d.feed(probe_shape::tools, outcome::no_image_claim).empty());
    CHECK(d.feed(probe_shape::plain, outcome::ok).empty());
    const auto events = d.feed(probe_shape::tools, outcome::no_image_claim);
    REQUIRE(events.size() == 1);
    CHECK(events[0].note.rule == alert_rule_kind::silent_failure);
    CHECK(events[0].note.kind == notification_kind::firing);
    CHECK(events[0].note.value == 2);
    CHECK(events[0].note.reason ==
          "2 consecutive silent failures with tools, last: no_image_claim: reason of tools");
    CHECK(d.silent() == alert_state::firing);
    CHECK(d.down() == alert_state::inactive);  // route_down stays route-wide: plain works
  }

  TEST_CASE("a passing probe of another shape neither breaks the streak nor resolves it") {
    shapes_driver d;
    d.feed(probe_shape::tools, outcome::no_image_claim);
    d.feed(probe_shape::tools, outcome::no_image_claim);
    REQUIRE(d.silent() == alert_state::firing);
    for (int i = 0; i < 4; ++i) {
      CHECK(d.feed(probe_shape::plain, outcome::ok).empty());
    }
    CHECK(d.silent() == alert_state::firing);                // tools has not passed since
    CHECK(d.feed(probe_shape::tools, outcome::ok).empty());  // its streak is over: 1 good
    const auto resolved = d.feed(probe_shape::plain, outcome::ok);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].note.kind == notification_kind::resolved);
    CHECK(resolved[0].note.reason == "2 consecutive successful probes");
  }

  TEST_CASE("different shapes' single silent failures do not add up") {
    shapes_driver d;
    CHECK(d.feed(probe_shape::tools, outcome::no_image_claim).empty());
    CHECK(d.feed(probe_shape::jpeg, outcome::empty_answer).empty());
    CHECK(d.feed(probe_shape::tools, outcome::ok).empty());
    CHECK(d.feed(probe_shape::jpeg, outcome::ok).empty());
    CHECK(d.silent() == alert_state::inactive);
    CHECK(d.engine.statuses().at(0).bad_streak == 0);
  }

  TEST_CASE("a transport failure breaks only its own shape's streak") {
    shapes_driver d;
    d.feed(probe_shape::tools, outcome::no_image_claim);
    d.feed(probe_shape::plain, outcome::timeout);
    d.feed(probe_shape::tools, outcome::no_image_claim);
    CHECK(d.silent() == alert_state::firing);
    shapes_driver e;
    e.feed(probe_shape::tools, outcome::no_image_claim);
    e.feed(probe_shape::tools, outcome::timeout);
    e.feed(probe_shape::tools, outcome::no_image_claim);
    CHECK(e.silent() == alert_state::inactive);
  }

  TEST_CASE("plain-only routes read as they always did") {
    shapes_driver d;
    d.feed(probe_shape::plain, outcome::wrong_answer);
    const auto events = d.feed(probe_shape::plain, outcome::wrong_answer);
    REQUIRE(events.size() == 1);
    CHECK(events[0].note.reason ==
          "2 consecutive silent failures, last: wrong_answer: reason of plain");
  }

  TEST_CASE("shape streaks survive a save and restore - and an old save counts as plain") {
    shapes_driver d;
    d.feed(probe_shape::tools, outcome::no_image_claim);
    d.feed(probe_shape::plain, outcome::ok);
    const auto saved = d.engine.to_json();
    shapes_driver back;
    REQUIRE(back.engine.restore(saved).empty());
    CHECK(
        back.engine.statuses().at(0).shape_streaks[static_cast<std::size_t>(probe_shape::tools)] ==
        1);
    CHECK(back.feed(probe_shape::tools, outcome::no_image_claim).size() == 1);

    auto old = saved;
    for (auto& r : old["rules"]) {
      r.erase("shape_streaks");
    }
    shapes_driver plain;
    REQUIRE(plain.engine.restore(old).empty());
    CHECK(plain.engine.statuses().at(0).shape_streaks[0] == 1);
  }

  TEST_CASE("a shape dropped by a reload takes its streak along and the firing can resolve") {
    shapes_driver d;
    d.feed(probe_shape::tools, outcome::no_image_claim);
    d.feed(probe_shape::tools, outcome::no_image_claim);
    REQUIRE(d.silent() == alert_state::firing);
    const std::vector<probe_shape> plain_only = {probe_shape::plain};
    d.engine.keep_shapes(plain_only);
    CHECK(d.engine.statuses().at(0).bad_streak == 0);
    CHECK(d.feed(probe_shape::plain, outcome::ok).empty());
    const auto resolved = d.feed(probe_shape::plain, outcome::ok);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].note.kind == notification_kind::resolved);
  }
}

