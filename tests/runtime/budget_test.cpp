// The spend guard's ledger on an injected wall clock: both budget levels, the UTC day rollover
// and a restart through its state-file section.
#include "daemon/runtime/budget.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace visionwatch;
using namespace std::chrono_literals;
using paused_by = budget_ledger::pause;

namespace {

/// 2026-05-01T00:00:00Z plus `d`.
budget_ledger::time_point may_day(std::chrono::milliseconds d = 0ms) {
  return budget_ledger::time_point(std::chrono::sys_days(std::chrono::year{2026} /
                                                         std::chrono::May / std::chrono::day{1})
                                       .time_since_epoch()) +
         d;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a gateway pauses once its own budget is spent and the others go on") {
    budget_ledger b;
    b.set_limits(std::nullopt, {{"gw", 0.01}});
    b.add("gw", 0.004, may_day(1h));
    b.add("other", 5.0, may_day(1h));
    CHECK(b.paused("gw") == paused_by::none);
    CHECK(b.spent("gw") == doctest::Approx(0.004));
    b.add("gw", 0.006, may_day(2h));  // exactly the budget: reached
    CHECK(b.paused("gw") == paused_by::gateway);
    CHECK(b.paused("other") == paused_by::none);  // no budget of its own, no global one
    CHECK(b.limit("gw") == 0.01);
    CHECK(b.limit("other") == std::nullopt);
    CHECK(b.total() == doctest::Approx(5.01));
  }

  TEST_CASE("the global budget counts every gateway and pauses them all") {
    budget_ledger b;
    b.set_limits(1.0, {{"a", 10.0}});
    b.add("a", 0.6, may_day(1h));
    b.add("b", 0.3, may_day(1h));
    CHECK(b.paused("a") == paused_by::none);
    b.add("b", 0.1, may_day(3h));
    CHECK(b.paused("a") == paused_by::global);
    CHECK(b.paused("b") == paused_by::global);
    CHECK(b.paused("never-probed") == paused_by::global);
  }

  TEST_CASE("a new UTC day starts every gateway at zero and resumes probing") {
    budget_ledger b;
    b.set_limits(std::nullopt, {{"gw", 0.01}});
    b.add("gw", 0.02, may_day(23h + 59min));
    CHECK(b.paused("gw") == paused_by::gateway);
    CHECK(b.resumes_at() == may_day(24h));
    CHECK_FALSE(b.roll(may_day(23h + 59min + 59s)));
    CHECK(b.roll(may_day(24h)));
    CHECK(b.paused("gw") == paused_by::none);
    CHECK(b.spent("gw") == 0.0);
    CHECK(b.total() == 0.0);
    CHECK(b.resumes_at() == may_day(48h));
    // A clock stepping back across midnight does not restart the day.
    b.add("gw", 0.02, may_day(24h + 1s));
    CHECK_FALSE(b.roll(may_day(23h)));
    CHECK(b.paused("gw") == paused_by::gateway);
  }

  TEST_CASE("a restart on the same UTC day keeps the spend and the pause") {
    budget_ledger before;
    before.set_limits(0.5, {{"gw", 0.01}});
    before.add("gw", 0.02, may_day(10h));
    before.add("other", 0.1, may_day(10h));
    const auto saved = before.to_json();

    budget_ledger after;
    after.set_limits(0.5, {{"gw", 0.01}});
    CHECK(after.restore(saved, may_day(18h)));
    CHECK(after.spent("gw") == doctest::Approx(0.02));
    CHECK(after.total() == doctest::Approx(0.12));
    CHECK(after.paused("gw") == paused_by::gateway);
    CHECK(after.paused("other") == paused_by::none);
    // The spend goes on from there, and the state stays of that day.
    after.add("other", 0.4, may_day(19h));
    CHECK(after.paused("other") == paused_by::global);
  }

  TEST_CASE("yesterday's spend or a malformed section restores nothing") {
    budget_ledger before;
    before.add("gw", 0.02, may_day(10h));
    const auto saved = before.to_json();
    budget_ledger next_day;
    next_day.set_limits(std::nullopt, {{"gw", 0.01}});
    CHECK_FALSE(next_day.restore(saved, may_day(24h + 10h)));
    CHECK(next_day.spent("gw") == 0.0);
    CHECK(next_day.paused("gw") == paused_by::none);

    budget_ledger b;
    CHECK_FALSE(b.restore(nullptr, may_day()));
    CHECK_FALSE(b.restore({{"unix_day", "today"}, {"spent", {}}}, may_day()));
    CHECK_FALSE(b.restore({{"spent", {{"gw", 1}}}}, may_day()));
    auto odd = saved;
    odd["spent"]["bad"] = -3;
    odd["spent"]["text"] = "1.0";
    CHECK(b.restore(odd, may_day(11h)));
    CHECK(b.total() == doctest::Approx(0.02));
  }

  TEST_CASE("a bad price neither adds spend nor poisons the total") {
    budget_ledger b;
    b.set_limits(1.0, {});
    b.add("gw", std::numeric_limits<double>::quiet_NaN(), may_day());
    b.add("gw", -1, may_day());
    b.add("gw", std::numeric_limits<double>::infinity(), may_day());
    CHECK(b.total() == 0.0);
    CHECK(b.paused("gw") == paused_by::none);
    CHECK(b.limited());
    CHECK_FALSE(budget_ledger{}.limited());
  }

  TEST_CASE("a reload that raises the budget resumes the gateway and keeps today's spend") {
    budget_ledger b;
    b.set_limits(std::nullopt, {{"gw", 0.01}});
    b.add("gw", 0.02, may_day(1h));
    CHECK(b.paused("gw") == paused_by::gateway);
    b.set_limits(std::nullopt, {{"gw", 1.0}});
    CHECK(b.paused("gw") == paused_by::none);
    CHECK(b.spent("gw") == doctest::Approx(0.02));
  }
}
