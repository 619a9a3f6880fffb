#pragma once
/// The scheduler_core tests (schedule_test, schedule_retry_test): an injected clock and the
/// check that a deferred route waits for its time.

#include <doctest/doctest.h>

#include <chrono>
#include <initializer_list>

#include "daemon/runtime/schedule.hpp"

namespace visionwatch::test {

inline const scheduler_core::time_point t0{std::chrono::hours(1000)};

/// Nothing is due at any of `quiet` (in order), then exactly one job is due at `due`.
inline void check_quiet_until(scheduler_core& s,
                              std::initializer_list<scheduler_core::time_point> quiet,
                              scheduler_core::time_point due) {
  for (const auto t : quiet) {
    CAPTURE((t - t0).count());
    CHECK(s.poll(t).empty());
  }
  CHECK(s.poll(due).size() == 1);
}

}  // namespace visionwatch::test
