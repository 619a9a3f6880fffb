#include "probes/retry_after.hpp"

#include <doctest/doctest.h>

#include "probes/utc_time.hpp"

namespace retry_after_test {

using namespace visionwatch;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {
system_clock::time_point at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return system_clock::time_point{std::chrono::sys_days{
             std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}}} +
         std::chrono::hours{hh} + std::chrono::minutes{mm} + seconds{ss};
}
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("HTTP dates parse in all three RFC 9110 forms") {
    const auto want = at(1994, 11, 6, 8, 49, 37);
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == want);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == want);
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == want);
    CHECK(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT ") == want);
  }

  TEST_CASE("malformed HTTP dates are rejected") {
    for (const char* bad : {"",
                            "Sun, 06 Nov 1994 08:49:37 UTC",
                            "Sun, 31 Feb 1994 08:49:37 GMT",
                            "Sun, 06 Foo 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 25:49:37 GMT",
                            "Sun, 6 Nov 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 08:49 GMT",
                            "Sun, 06 Nov 1994 08:49:37 GMT extra",
                            "tomorrow"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_http_date(bad).has_value());
    }
  }

  TEST_CASE("Retry-After delta seconds and dates are relative to now and clamped") {
    const auto now = at(2026, 3, 1, 12, 0, 0);
    CHECK(parse_retry_after("120", now) == seconds{120});
    CHECK(parse_retry_after(" 0 ", now) == seconds{0});
    CHECK(parse_retry_after("99999999999999999999999", now) == max_retry_after);
    CHECK(parse_retry_after("Sun, 01 Mar 2026 12:00:30 GMT", now) == seconds{30});
    CHECK(parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now) == seconds{0});
    CHECK(parse_retry_after("Sun, 01 Mar 2099 11:00:00 GMT", now) == max_retry_after);
    CHECK_FALSE(parse_retry_after("-5", now).has_value());
    CHECK_FALSE(parse_retry_after("1.5", now).has_value());
    CHECK_FALSE(parse_retry_after("", now).has_value());
  }

  TEST_CASE("protobuf durations round fractions up") {
    CHECK(parse_duration_seconds("37s") == seconds{37});
    CHECK(parse_duration_seconds("0.5s") == seconds{1});
    CHECK(parse_duration_seconds("1.000340012s") == seconds{2});
    CHECK(parse_duration_seconds("3.000s") == seconds{3});
    CHECK(parse_duration_seconds("999999999999s") == max_retry_after);
    CHECK_FALSE(parse_duration_seconds("37").has_value());
    CHECK_FALSE(parse_duration_seconds("s").has_value());
    CHECK_FALSE(parse_duration_seconds("-1s").has_value());
    CHECK_FALSE(parse_duration_seconds("1.2.3s").has_value());
  }

  TEST_CASE("dates past 2262 are clamped instead of overflowing the clock") {
    const auto now = at(2025, 6, 1, 12, 0, 0);
    const auto far = parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT");
    REQUIRE(far.has_value());
    CHECK(*far > now);
    CHECK(*far <= system_clock::time_point::max());
    CHECK(*far == clamp_to_time_point(std::chrono::sys_seconds{latest_time_point_day}));
    CHECK(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now) == max_retry_after);
    CHECK(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", *far) == seconds{0});
    CHECK(parse_retry_after("99999999999999999999999", now) == max_retry_after);
    CHECK(parse_retry_after("9223372036854775807", now) == max_retry_after);
    CHECK(parse_duration_seconds("99999999999999999999.5s") == max_retry_after);
  }

  TEST_CASE("adding a huge duration to now saturates at the last representable day") {
    const auto now = at(2025, 6, 1, 12, 0, 0);
    const auto latest = system_clock::time_point{latest_time_point_day.time_since_epoch()};
    CHECK(saturating_add(now, std::chrono::milliseconds::max()) == latest);
    CHECK(saturating_add(now, std::chrono::hours{24 * 365 * 1000}) == latest);
    CHECK(saturating_add(now, std::chrono::hours{1}) == now + std::chrono::hours{1});
    CHECK(saturating_add(now, std::chrono::milliseconds::min()) == system_clock::time_point{});
  }
}

}  // namespace retry_after_test
