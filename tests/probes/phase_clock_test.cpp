#include "probes/phase_clock.hpp"

#include <doctest/doctest.h>

namespace phase_clock_test {

using namespace visionwatch;

TEST_SUITE("unit") {
  TEST_CASE("the phases of a request add up to its total") {
    phase_clock clock;
    clock.enter(phase::connect);
    clock.enter(phase::send);
    clock.enter(phase::ttfb);
    CHECK(clock.current() == phase::ttfb);
    phase_timings t;
    clock.finish(t);
    CHECK(t.dns == 0);
    CHECK(t.tls == 0);
    CHECK(t.transfer == 0);
    const double sum = t.dns + t.connect + t.tls + t.send + t.ttfb + t.transfer;
    CHECK(t.total == doctest::Approx(sum).epsilon(1e-9));
    CHECK(t.total >= 0);
  }

  TEST_CASE("a request rejected before any phase has total 0") {
    phase_clock clock;
    CHECK(clock.current() == phase::dns);
    phase_timings t;
    clock.finish(t);
    CHECK(t.total == 0);
    CHECK(t.connect == 0);
  }
}

}  // namespace phase_clock_test
