// The start slack (schedule.hpp): routes due a few ms apart start in one wakeup, no probe
// starts more than the slack late, and the slack is at most 1% of the shortest interval.
#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "daemon/runtime/schedule.hpp"
#include "tests/runtime/schedule_support.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;
using test::t0;

TEST_SUITE("unit") {
  TEST_CASE("the start slack is 1% of the shortest interval and never more than its cap") {
    CHECK(start_slack_for(60s) == 10ms);  // capped
    CHECK(start_slack_for(1s) == 10ms);
    CHECK(start_slack_for(500ms) == 5ms);
    CHECK(start_slack_for(50ms) == 0ms);  // under 1 ms: none
    CHECK(start_slack_for(60s, 3ms) == 3ms);
    CHECK(start_slack_for(0ms) == 0ms);
  }

  TEST_CASE("without a slack the scheduler wakes at the first due job") {
    scheduler_core s(100);
    s.add_route(1, 0, 60s, 1h, t0 + 5ms, t0 + 1h);
    REQUIRE(s.next_wakeup().has_value());
    CHECK(*s.next_wakeup() == t0 + 5ms);
  }

  TEST_CASE("routes due within the slack start in one wakeup - none later than the slack") {
    scheduler_core s(100);
    s.set_start_slack(10ms);
    CHECK(s.start_slack() == 10ms);
    // Due at 0, 4, 9 and 15 ms past t0.
    s.add_route(1, 0, 60s, 1h, t0, t0 + 1h);
    s.add_route(2, 0, 60s, 1h, t0 + 4ms, t0 + 1h);
    s.add_route(3, 0, 60s, 1h, t0 + 9ms, t0 + 1h);
    s.add_route(4, 0, 60s, 1h, t0 + 15ms, t0 + 1h);
    REQUIRE(s.next_wakeup().has_value());
    const auto wake = *s.next_wakeup();
    CHECK(wake == t0 + 10ms);  // the first due job waits the slack, no longer
    const auto first = s.poll(wake);
    REQUIRE(first.size() == 3);
    for (const auto& j : first) {
      CHECK(j.route != 4);
      CHECK(wake - j.due <= 10ms);  // lag = start - due
    }
    // The fourth starts in the next wakeup, its own due time plus the slack.
    REQUIRE(s.next_wakeup().has_value());
    CHECK(*s.next_wakeup() == t0 + 25ms);
    const auto second = s.poll(*s.next_wakeup());
    REQUIRE(second.size() == 1);
    CHECK(second[0].route == 4);
  }

  TEST_CASE("the slack keeps each route's phase - the next slot follows the due time") {
    scheduler_core s(100);
    s.set_start_slack(10ms);
    s.add_route(1, 0, 60s, 1h, t0 + 3ms, t0 + 1h);
    const auto jobs = s.poll(*s.next_wakeup());
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].due == t0 + 3ms);
    s.finished(1);
    REQUIRE(s.next_wakeup().has_value());
    CHECK(*s.next_wakeup() == t0 + 60s + 3ms + 10ms);
    CHECK(s.poll(t0 + 60s + 3ms).size() == 1);  // still due at its slot when polled there
  }

  TEST_CASE("ten thousand routes at 60 s need fewer wakeups with the slack - none started late") {
    const auto wakeups = [](std::chrono::milliseconds slack) {
      scheduler_core s(20'000);
      s.set_start_slack(slack);
      for (std::uint32_t i = 0; i < 10'000; ++i) {
        s.add_route(i, 0, 60s, 24h, t0 + phase_offset("r" + std::to_string(i), 60s), t0 + 24h);
      }
      std::size_t n = 0;
      std::size_t started = 0;
      while (started < 10'000) {
        const auto at = *s.next_wakeup();
        for (const auto& j : s.poll(at)) {
          CHECK(at - j.due <= slack);
          s.finished(j.route);
          ++started;
        }
        ++n;
      }
      return n;
    };
    const auto without = wakeups(0ms);
    const auto with = wakeups(10ms);
    CAPTURE(without);
    CAPTURE(with);
    CHECK(without > 7'000);  // distinct milliseconds of 10,000 phases over 60 s
    CHECK(with * 2 < without);
  }
}
