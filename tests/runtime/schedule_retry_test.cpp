// scheduler_core's retry mode (retry_interval after a failed probe) and budget pauses, on an
// injected clock: no sockets, no sleeps.
#include <doctest/doctest.h>

#include <vector>

#include "daemon/runtime/schedule.hpp"
#include "tests/runtime/schedule_support.hpp"

using namespace visionwatch;
using namespace std::chrono_literals;
using job_kind = scheduler_core::job_kind;
using skip_reason = scheduler_core::skip_reason;

using test::check_quiet_until;
using test::t0;

namespace {

/// Polls at `t`, expects exactly one probe job, and finishes it at `t + latency` with `failed`.
void probe_at(scheduler_core& s,
              scheduler_core::time_point t,
              bool failed,
              std::chrono::milliseconds latency = 1s) {
  const auto jobs = s.poll(t);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].kind == job_kind::probe);
  s.record_outcome(jobs[0].route, failed, t + latency);
  s.finished(jobs[0].route);
}

/// Route 1 on gateway 0, first due at t0, every `interval`; `retry` after a failure.
scheduler_core one_route(std::chrono::milliseconds interval, std::chrono::milliseconds retry) {
  scheduler_core s(10);
  s.add_route(1, 0, interval, 1h, t0, t0 + 1h);
  s.set_retry_interval(1, retry);
  return s;
}

std::size_t count(const std::vector<scheduler_core::skip>& skips, skip_reason reason) {
  std::size_t n = 0;
  for (const auto& k : skips) {
    n += k.reason == reason ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a failed probe brings the next one forward to retry_interval after the failure") {
    auto s = one_route(60s, 5s);
    probe_at(s, t0, true);  // fails at t0 + 1 s
    CHECK(s.retrying(1));
    CHECK(*s.next_wakeup() == t0 + 6s);
    CHECK(s.poll(t0 + 5s).empty());
    probe_at(s, t0 + 6s, true);  // the second failure at t0 + 7 s confirms it
    CHECK(*s.next_wakeup() == t0 + 12s);
  }

  TEST_CASE("a success ends retry mode and the route keeps its phase") {
    auto s = one_route(60s, 5s);
    probe_at(s, t0, true);
    probe_at(s, t0 + 6s, false);
    CHECK_FALSE(s.retrying(1));
    CHECK(*s.next_wakeup() == t0 + 60s);  // the slot, not 60 s after the retry
    probe_at(s, t0 + 60s, false);
    CHECK(*s.next_wakeup() == t0 + 120s);
    CHECK(s.take_skipped().empty());
  }

  TEST_CASE("a route failing for good probes every retry_interval and still meets its slots") {
    auto s = one_route(60s, 15s);
    std::vector<scheduler_core::time_point> starts;
    starts.reserve(9);
    auto t = t0;
    for (int i = 0; i < 9; ++i) {
      const auto jobs = s.poll(t);
      REQUIRE(jobs.size() == 1);
      starts.push_back(t);
      s.record_outcome(1, true, t + 10s);
      s.finished(1);
      t = *s.next_wakeup();
    }
    // 10 s probes: retries at +25 s and +50 s, then the slot at +60 s wins over +85 s.
    CHECK(starts == std::vector<scheduler_core::time_point>{t0,
                                                            t0 + 25s,
                                                            t0 + 50s,
                                                            t0 + 60s,
                                                            t0 + 85s,
                                                            t0 + 110s,
                                                            t0 + 120s,
                                                            t0 + 145s,
                                                            t0 + 170s});
    CHECK(s.take_skipped().empty());
  }

  TEST_CASE("retry_interval not shorter than the interval is no retry mode") {
    auto s = one_route(60s, 60s);
    probe_at(s, t0, true);
    CHECK_FALSE(s.retrying(1));
    CHECK(*s.next_wakeup() == t0 + 60s);
  }

  TEST_CASE("a retry due after the slot leaves the slot in place") {
    auto s = one_route(10s, 5s);
    probe_at(s, t0, true, 6s);  // fails at t0 + 6 s: a retry at +11 s would pass the slot
    CHECK(s.retrying(1));
    CHECK(*s.next_wakeup() == t0 + 10s);
  }

  TEST_CASE("an on-demand success cancels a pending retry") {
    auto s = one_route(60s, 20s);
    probe_at(s, t0, true);
    CHECK(*s.next_wakeup() == t0 + 21s);
    REQUIRE(s.try_start_now(1));
    s.record_outcome(1, false, t0 + 5s);
    s.finished(1);
    CHECK_FALSE(s.retrying(1));
    CHECK(s.poll(t0 + 21s).empty());
    CHECK(s.poll(t0 + 60s).size() == 1);
  }

  TEST_CASE("lifting retry_interval on reload ends retry mode and restores the slot") {
    auto s = one_route(60s, 5s);
    probe_at(s, t0, true);
    s.update_route(1, 0, 60s, 1h);
    s.set_retry_interval(1, 60s);
    CHECK_FALSE(s.retrying(1));
    CHECK(s.poll(t0 + 6s).empty());
    CHECK(s.poll(t0 + 60s).size() == 1);
  }

  TEST_CASE("a shorter interval on reload moves the slot behind a pending retry") {
    auto s = one_route(60s, 20s);
    probe_at(s, t0, true);  // retry at +21 s, slot +60 s
    s.update_route(1, 0, 10s, 1h);
    s.set_retry_interval(1, 5s);
    CHECK(*s.next_wakeup() == t0 + 10s);  // the slot came before the retry: it runs
    probe_at(s, t0 + 10s, false);
    CHECK(*s.next_wakeup() == t0 + 20s);
  }

  TEST_CASE("Retry-After past the slot wins over a pending retry") {
    auto s = one_route(60s, 5s);
    probe_at(s, t0, true);
    s.defer(1, t0 + 90s);
    check_quiet_until(s, {t0 + 6s, t0 + 60s}, t0 + 90s);
  }

  TEST_CASE("a paused gateway's due probes are skipped as budget and its baselines wait") {
    scheduler_core s(10);
    s.add_route(1, 0, 10s, 30s, t0, t0 + 5s);
    s.add_route(2, 1, 10s, 1h, t0, t0 + 1h);
    s.set_gateway_paused(0, true, t0);
    CHECK(s.gateway_paused(0));
    auto jobs = s.poll(t0);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].route == 2);  // the other gateway probes on
    s.finished(2);
    CHECK(s.poll(t0 + 5s).empty());  // route 1's control request is not run
    CHECK_FALSE(s.try_start_now(1));
    CHECK(s.poll(t0 + 10s).size() == 1);  // route 2 only
    s.finished(2);
    CHECK(count(s.take_skipped(), skip_reason::budget) == 2);
    // Resumed: the missed control request first, then the probes at their slots.
    s.set_gateway_paused(0, false, t0 + 12s);
    jobs = s.poll(t0 + 12s);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].route == 1);
    CHECK(jobs[0].kind == job_kind::baseline);
    s.finished(1);
    jobs = s.poll(t0 + 20s);
    CHECK(jobs.size() == 2);
  }

  TEST_CASE("a probe waiting for a slot when its gateway pauses is dropped as budget") {
    scheduler_core s(10);
    s.set_gateway_limit(0, 1);
    s.add_route(1, 0, 10s, 1h, t0, t0 + 1h);
    s.add_route(2, 0, 10s, 1h, t0, t0 + 1h);
    const auto jobs = s.poll(t0);
    REQUIRE(jobs.size() == 1);
    CHECK(s.waiting() == 1);
    s.set_gateway_paused(0, true, t0 + 1s);
    s.finished(jobs[0].route);
    CHECK(s.poll(t0 + 1s).empty());
    CHECK(s.waiting() == 0);
    CHECK(count(s.take_skipped(), skip_reason::budget) == 1);
  }
}
