#include "probes/utc_time.hpp"

#include <doctest/doctest.h>

#include <chrono>

namespace utc_time_test {

using namespace visionwatch;
using namespace std::chrono_literals;

namespace {
std::chrono::system_clock::time_point from_epoch_ms(long long ms) {
  return std::chrono::system_clock::time_point{std::chrono::milliseconds{ms}};
}
// 2027-01-15T08:00:00Z
const auto t0 = from_epoch_ms(1'800'000'000'000LL - 1'800'000'000'000LL % 86'400'000LL + 8 * 3'600'000LL);
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("times are formatted as RFC 3339 UTC with milliseconds") {
    CHECK(format_rfc3339(t0, utc_precision::milliseconds) == "2027-01-15T08:00:00.000Z");
    CHECK(format_rfc3339(t0 + 1234ms, utc_precision::milliseconds) == "2027-01-15T08:00:01.234Z");
    CHECK(format_rfc3339(from_epoch_ms(0), utc_precision::milliseconds) ==
          "1970-01-01T00:00:00.000Z");
  }

  TEST_CASE("times are formatted as RFC 3339 UTC in whole seconds by default") {
    CHECK(format_rfc3339(t0 + 1999ms) == "2027-01-15T08:00:01Z");
    CHECK(format_rfc3339(from_epoch_ms(0)) == "1970-01-01T00:00:00Z");
  }

  TEST_CASE("times before the epoch round down to the millisecond below") {
    CHECK(format_rfc3339(from_epoch_ms(-1), utc_precision::milliseconds) ==
          "1969-12-31T23:59:59.999Z");
  }

  TEST_CASE("compact UTC times suit file names") {
    CHECK(format_compact_utc(t0 + 1500ms) == "20270115T080001Z");
  }
}

}  // namespace utc_time_test
