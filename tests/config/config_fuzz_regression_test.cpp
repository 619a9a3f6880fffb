// Inputs found by fuzz/config_fuzzer (scripts/fuzz) and by fuzz/admin_request_fuzzer that
// reached the configuration's value parsers; each failed before its fix.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;

TEST_SUITE("unit") {
  TEST_CASE("RFC 3339 times past the clock range clamp and times before it are rejected") {
    // system_clock counts nanoseconds in 64 bits: years 1678 to 2261 fit, others overflowed.
    const auto last = parse_rfc3339("9999-12-31T23:59:59Z");
    REQUIRE(last.has_value());
    for (const char* far : {"4198-12-01T02:00:00.5+02:00", "2262-04-12T00:00:00Z"}) {
      CAPTURE(far);
      const auto t = parse_rfc3339(far);
      REQUIRE(t.has_value());
      CHECK(std::chrono::floor<std::chrono::seconds>(*t) ==
            std::chrono::floor<std::chrono::seconds>(*last));
    }
    for (const char* early : {"0000-01-01T00:00:00Z", "1677-01-01T00:00:00Z"}) {
      CAPTURE(early);
      CHECK_FALSE(parse_rfc3339(early).has_value());
    }
    const auto late = parse_rfc3339("2261-12-31T23:59:59Z");
    REQUIRE(late.has_value());
    CHECK(*late > *parse_rfc3339("2026-12-01T00:00:00Z"));
    CHECK(*last > *late);
    CHECK(parse_rfc3339("1678-01-01T00:00:00Z").has_value());
  }

  TEST_CASE("a silence until a time beyond the clock range means until the last day") {
    const auto cfg = parse_ok(base + "silences:\n  - {route: r1, until: \"4198-12-01T00:00:00Z\"}\n");
    REQUIRE(cfg.silences.size() == 1);
    CHECK(cfg.silences[0].until > std::chrono::system_clock::now() + std::chrono::days(365 * 200));
  }

  TEST_CASE("config errors never carry control bytes from the file") {
    // A key is echoed in the error's path; a quoted YAML key may hold a line break or a VT.
    const auto errors = errors_of(base + "global:\n  \"admin_to\\vn\\nx\\ty\": 1\n");
    REQUIRE_FALSE(errors.empty());
    for (const auto& e : errors) {
      CAPTURE(e);
      for (const char c : e) {
        CHECK(static_cast<unsigned char>(c) >= 0x20);
        CHECK(c != '\x7f');
      }
    }
  }
}

TEST_SUITE("unit") {
  TEST_CASE("an unknown gateway error names at most ten of the defined gateways") {
    std::string yaml = "gateways:\n";
    for (int i = 0; i < 40; ++i) {
      yaml += "  - {name: g" + std::to_string(i) + ", base_url: \"https://g/\"}\n";
    }
    yaml += "routes:\n  - {name: r, gateway: nope, model: m}\n";
    const auto errors = errors_of(yaml);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] ==
          "config.yaml:43: routes[0].gateway: unknown gateway \"nope\" (defined: g0, g1, g10, "
          "g11, g12, g13, g14, g15, g16, g17 and 30 more)");
  }
}
