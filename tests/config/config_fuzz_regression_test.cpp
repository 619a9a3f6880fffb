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
  TEST_CASE("RFC 3339 times outside the clock range are rejected rather than wrapped") {
    // system_clock counts nanoseconds in 64 bits: years 1678 to 2261 fit, others overflowed.
    for (const char* far : {"4198-12-01T02:00:00.5+02:00",
                            "9999-12-31T23:59:59Z",
                            "2262-04-12T00:00:00Z",
                            "0000-01-01T00:00:00Z",
                            "1677-01-01T00:00:00Z"}) {
      CAPTURE(far);
      CHECK_FALSE(parse_rfc3339(far).has_value());
    }
    const auto late = parse_rfc3339("2261-12-31T23:59:59Z");
    REQUIRE(late.has_value());
    CHECK(*late > *parse_rfc3339("2026-12-01T00:00:00Z"));
    CHECK(parse_rfc3339("1678-01-01T00:00:00Z").has_value());
  }

  TEST_CASE("a silence until a time beyond the clock range is a config error") {
    const auto errors =
        errors_of(base + "silences:\n  - {route: r1, until: \"4198-12-01T00:00:00Z\"}\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("silences[0].until") != std::string::npos);
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
  TEST_CASE("a mapping with many keys is read in time that grows linearly") {
    // Duplicate keys were found by comparing each key with every earlier one: a 3 MiB file of
    // external labels took minutes. Twice the keys must take about twice as long, not four times.
    const auto labels = [](int n) {
      std::string yaml = base + "global:\n  external_labels:\n";
      for (int i = 0; i < n; ++i) {
        yaml += "    k" + std::to_string(i) + ": v\n";
      }
      return yaml;
    };
    const auto seconds_for = [](const std::string& yaml) {
      const auto start = std::chrono::steady_clock::now();
      CHECK(parse_config(yaml, "config.yaml", no_env).value.has_value());
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    const auto small = labels(20'000);
    const auto large = labels(80'000);
    // Best of three against noise from other processes on the machine.
    double t_small = 1e9;
    double t_large = 1e9;
    for (int i = 0; i < 3; ++i) {
      t_small = std::min(t_small, seconds_for(small));
      t_large = std::min(t_large, seconds_for(large));
    }
    CAPTURE(t_small);
    CAPTURE(t_large);
    // Linear: about 4 times; quadratic: about 16 times.
    CHECK(t_large < 8 * t_small);
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

  TEST_CASE("many routes naming an unknown gateway among many gateways are read in linear time") {
    // Each bad reference listed every defined gateway anew: 40,000 of each in a 3.4 MiB file
    // took more than five minutes and a gigabyte.
    const auto document = [](int n) {
      std::string yaml = "gateways:\n";
      for (int i = 0; i < n; ++i) {
        yaml += "  - {name: g" + std::to_string(i) + ", base_url: \"https://g/\"}\n";
      }
      yaml += "routes:\n";
      for (int i = 0; i < n; ++i) {
        yaml += "  - {name: r" + std::to_string(i) + ", gateway: nope, model: m}\n";
      }
      return yaml;
    };
    const auto seconds_for = [](const std::string& yaml) {
      const auto start = std::chrono::steady_clock::now();
      CHECK_FALSE(parse_config(yaml, "config.yaml", no_env).value.has_value());
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    const auto small = document(4'000);
    const auto large = document(16'000);
    double t_small = 1e9;
    double t_large = 1e9;
    for (int i = 0; i < 3; ++i) {
      t_small = std::min(t_small, seconds_for(small));
      t_large = std::min(t_large, seconds_for(large));
    }
    CAPTURE(t_small);
    CAPTURE(t_large);
    CHECK(t_large < 8 * t_small);
  }
}
