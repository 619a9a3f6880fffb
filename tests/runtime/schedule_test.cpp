#include "daemon/runtime/schedule.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/runtime/schedule_support.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;
using job_kind = scheduler_core::job_kind;
using test::check_quiet_until;
using test::t0;

namespace {

std::vector<scheduler_core::job> only(const std::vector<scheduler_core::job>& jobs, job_kind k) {
  std::vector<scheduler_core::job> out;
  for (const auto& j : jobs) {
    if (j.kind == k) {
      out.push_back(j);
    }
  }
  return out;
}
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("phase offsets are stable - inside the interval and spread across routes") {
    CHECK(phase_offset("route-a", 60s) == phase_offset("route-a", 60s));
    std::set<std::int64_t> seconds;
    for (int i = 0; i < 1000; ++i) {
      const auto off = phase_offset("route-" + std::to_string(i), 60s);
      CHECK(off >= 0ms);
      CHECK(off < 60s);
      seconds.insert(off.count() / 1000);
    }
    CHECK(seconds.size() == 60);  // 1,000 routes cover every second of a minute
  }

  TEST_CASE(
      "a new route's first baseline runs one timeout before its first probe - not before now") {
    using tp = std::chrono::steady_clock::time_point;
    const tp now{std::chrono::seconds(1000)};
    const auto at = [&](int ms) { return now + std::chrono::milliseconds(ms); };
    // First probe 40 s away, timeout 10 s: the baseline 30 s from now.
    CHECK(first_baseline_time(
              now, at(40'000), std::chrono::seconds(10), std::chrono::seconds(60)) == at(30'000));
    // The lead is at most half the interval.
    CHECK(first_baseline_time(
              now, at(20'000), std::chrono::seconds(30), std::chrono::seconds(10)) == at(15'000));
    // A first probe closer than the lead: halfway there; a probe due now: now.
    CHECK(first_baseline_time(now, at(2'000), std::chrono::seconds(10), std::chrono::seconds(60)) ==
          at(1'000));
    CHECK(first_baseline_time(now, now, std::chrono::seconds(10), std::chrono::seconds(60)) == now);
    // 10,000 routes spread over a minute: so are their baselines (no start-up burst), each
    // before its route's first probe.
    std::map<long long, int> per_second;
    for (int i = 0; i < 10'000; ++i) {
      const auto first = at(static_cast<int>(
          phase_offset("r" + std::to_string(i), std::chrono::seconds(60)).count()));
      const auto b =
          first_baseline_time(now, first, std::chrono::seconds(30), std::chrono::seconds(60));
      CHECK(b >= now);
      CHECK(b <= first);
      ++per_second[std::chrono::duration_cast<std::chrono::seconds>(b - now).count()];
    }
    int busiest = 0;
    for (const auto& [second, n] : per_second) {
      busiest = std::max(busiest, n);
    }
    CHECK(busiest < 600);  // ~167 a second if even; 5,000 in the first second before
  }

  TEST_CASE("the delay to the next slot honours the route's phase") {
    CHECK(delay_to_slot(60'000, 0ms, 60s) == 0ms);
    CHECK(delay_to_slot(60'001, 0ms, 60s) == 59'999ms);
    CHECK(delay_to_slot(60'000, 5'000ms, 60s) == 5'000ms);
    CHECK(delay_to_slot(66'000, 5'000ms, 60s) == 59'000ms);
  }

  TEST_CASE("a route runs every interval and a probe due while the last runs is skipped") {
    scheduler_core s(10);
    s.add_route(1, 0, 10s, 1h, t0, t0 + 1h);
    auto jobs = s.poll(t0);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].kind == job_kind::probe);
    CHECK(s.busy(1));
    CHECK(s.poll(t0 + 5s).empty());
    CHECK(*s.next_wakeup() == t0 + 10s);
    CHECK(s.poll(t0 + 10s).empty());  // still running: skipped
    CHECK(s.take_skipped() ==
          std::vector<scheduler_core::skip>{{1, scheduler_core::skip_reason::overlap}});
    s.finished(1);
    jobs = s.poll(t0 + 20s);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].due == t0 + 20s);
    CHECK(s.take_skipped().empty());
  }

  TEST_CASE(
      "slots missed while the process was stopped count as skipped - then the phase resumes") {
    scheduler_core s(10);
    s.add_route(1, 0, 10s, 1h, t0, t0 + 1h);
    auto jobs = s.poll(t0 + 35s);  // t0 due; t0+10, +20, +30 passed entirely
    REQUIRE(jobs.size() == 1);
    const auto skipped = s.take_skipped();
    CHECK(skipped.size() == 3);
    for (const auto& k : skipped) {
      CHECK(k.reason == scheduler_core::skip_reason::late);
    }
    CHECK(*s.next_wakeup() == t0 + 40s);
  }

  TEST_CASE("the per-gateway limit makes probes wait - not vanish") {
    scheduler_core s(10);
    s.set_gateway_limit(0, 1);
    s.add_route(1, 0, 10s, 1h, t0, t0 + 1h);
    s.add_route(2, 0, 10s, 1h, t0, t0 + 1h);
    s.add_route(3, 1, 10s, 1h, t0, t0 + 1h);
    auto jobs = s.poll(t0);
    CHECK(jobs.size() == 2);  // one of gateway 0, and gateway 1's route
    CHECK(s.waiting() == 1);
    const auto first = jobs[0].route == 3 ? jobs[1].route : jobs[0].route;
    s.finished(first);
    jobs = s.poll(t0 + 1s);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].route != first);
    CHECK(jobs[0].due == t0);  // lag is measurable: it started 1 s after it was due
  }

  TEST_CASE("the global in-flight limit holds across gateways") {
    scheduler_core s(2);
    for (scheduler_core::route_id id = 1; id <= 5; ++id) {
      s.add_route(id, id, 60s, 1h, t0, t0 + 1h);
    }
    CHECK(s.poll(t0).size() == 2);
    CHECK(s.in_flight() == 2);
    CHECK(s.waiting() == 3);
  }

  TEST_CASE("a waiting probe whose next slot arrives is skipped once - not queued twice") {
    scheduler_core s(1);
    s.add_route(1, 0, 10s, 1h, t0, t0 + 1h);
    s.add_route(2, 0, 10s, 1h, t0, t0 + 1h);
    auto jobs = s.poll(t0);
    REQUIRE(jobs.size() == 1);
    const auto other = jobs[0].route == 1 ? 2u : 1u;
    CHECK(s.poll(t0 + 10s).empty());
    const auto skipped = s.take_skipped();
    // Skipped for want of a slot: the gateway's or the global limit, not the route itself.
    CHECK(std::count(skipped.begin(),
                     skipped.end(),
                     scheduler_core::skip{other, scheduler_core::skip_reason::concurrency}) == 1);
    CHECK(s.waiting() == 1);
  }

  TEST_CASE("baselines run at start and every baseline interval - before the probe") {
    scheduler_core s(10);
    s.add_route(1, 0, 10s, 30s, t0, t0);
    auto jobs = s.poll(t0);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].kind == job_kind::baseline);
    s.finished(1);
    jobs = s.poll(t0 + 1s);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].kind == job_kind::probe);
    s.finished(1);
    jobs = s.poll(t0 + 30s);
    CHECK(only(jobs, job_kind::baseline).size() == 1);
  }

  TEST_CASE("Retry-After defers the next probe") {
    scheduler_core s(10);
    s.add_route(1, 0, 10s, 1h, t0, t0 + 1h);
    REQUIRE(s.poll(t0).size() == 1);
    s.finished(1);
    s.defer(1, t0 + 37s);
    check_quiet_until(s, {t0 + 10s, t0 + 30s}, t0 + 37s);
  }

  TEST_CASE("a removed route stops - and one removed while running frees its slot when done") {
    scheduler_core s(1);
    s.add_route(1, 0, 10s, 1h, t0, t0 + 1h);
    s.add_route(2, 0, 10s, 1h, t0 + 1s, t0 + 1h);
    REQUIRE(s.poll(t0).size() == 1);
    s.remove_route(1);
    CHECK_FALSE(s.has_route(1));
    CHECK(s.poll(t0 + 1s).empty());  // route 1 still holds the only slot
    s.finished(1);
    const auto jobs = s.poll(t0 + 2s);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].route == 2);
    CHECK(s.poll(t0 + 20s).empty());  // route 2 running; route 1 never again
  }

  TEST_CASE("a shorter interval after a reload takes effect without waiting the old interval") {
    scheduler_core s(10);
    s.add_route(1, 0, 60s, 1h, t0, t0 + 1h);
    REQUIRE(s.poll(t0).size() == 1);
    s.finished(1);
    s.update_route(1, 0, 10s, 1h);
    CHECK(*s.next_wakeup() == t0 + 10s);
    CHECK(s.poll(t0 + 10s).size() == 1);
  }
}

TEST_SUITE("unit") {
  TEST_CASE("an on-demand probe claims the route's slot only when the route is idle") {
    scheduler_core s(10);
    s.add_route(1, 0, 10s, 1h, t0, t0 + 1h);
    CHECK(s.try_start_now(1));
    CHECK_FALSE(s.try_start_now(1));
    CHECK(s.poll(t0).empty());  // the scheduled probe is skipped while the on-demand one runs
    CHECK(s.take_skipped() ==
          std::vector<scheduler_core::skip>{{1, scheduler_core::skip_reason::overlap}});
    s.finished(1);
    CHECK(s.in_flight() == 0);
    CHECK_FALSE(s.try_start_now(2));  // unknown route
  }

  TEST_CASE("a probe due while the route's control request runs waits for it - not skipped") {
    scheduler_core s(10);
    s.add_route(1, 0, 10s, 1h, t0 + 10s, t0);
    auto jobs = s.poll(t0);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].kind == job_kind::baseline);
    // A second control request chained behind the first (another request form to learn).
    s.finished(1);
    s.request_baseline(1, t0 + 9s);
    jobs = s.poll(t0 + 9s);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].kind == job_kind::baseline);
    CHECK(s.poll(t0 + 10s).empty());  // the probe waits for the control request
    CHECK(s.take_skipped().empty());
    s.finished(1);
    jobs = s.poll(t0 + 11s);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].kind == job_kind::probe);
    CHECK(jobs[0].due == t0 + 10s);
    CHECK_FALSE(jobs[0].retry);
  }

  TEST_CASE("a probe of retry mode ahead of the slot is marked as a retry - the slot's is not") {
    scheduler_core s(10);
    s.add_route(1, 0, 60s, 1h, t0, t0 + 1h);
    s.set_retry_interval(1, 15s);
    auto jobs = s.poll(t0);
    REQUIRE(jobs.size() == 1);
    CHECK_FALSE(jobs[0].retry);
    s.record_outcome(1, true, t0 + 1s);
    s.finished(1);
    jobs = s.poll(t0 + 16s);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].retry);
    s.record_outcome(1, false, t0 + 17s);
    s.finished(1);
    jobs = s.poll(t0 + 60s);
    REQUIRE(jobs.size() == 1);
    CHECK_FALSE(jobs[0].retry);
  }
}
