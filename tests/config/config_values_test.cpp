#include "daemon/config/config_values.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace visionwatch;
using std::chrono::milliseconds;

TEST_SUITE("unit") {
  TEST_CASE("durations accept ms s m h d combined largest first") {
    CHECK(parse_duration("500ms") == milliseconds{500});
    CHECK(parse_duration("30s") == milliseconds{30'000});
    CHECK(parse_duration("5m") == milliseconds{300'000});
    CHECK(parse_duration("1h") == milliseconds{3'600'000});
    CHECK(parse_duration("1h30m") == milliseconds{5'400'000});
    CHECK(parse_duration("2d") == milliseconds{172'800'000});
    CHECK(parse_duration("1m30s500ms") == milliseconds{90'500});
    CHECK(parse_duration("0s") == milliseconds{0});
  }

  TEST_CASE("durations reject bare numbers and unknown units and repeats and wrong order") {
    for (const char* bad : {"",
                            "5",
                            "5x",
                            "s",
                            "1.5s",
                            "-1s",
                            "1s1s",
                            "30m1h",
                            "1 h",
                            "1hh",
                            "10000000000s",
                            "1msx",
                            " 1s"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_duration(bad).has_value());
    }
  }

  TEST_CASE("durations format back to their shortest spelling") {
    CHECK(format_duration(milliseconds{90'000}) == "1m30s");
    CHECK(format_duration(milliseconds{500}) == "500ms");
    CHECK(format_duration(milliseconds{0}) == "0s");
    CHECK(format_duration(milliseconds{86'400'000 + 1}) == "1d1ms");
  }

  TEST_CASE("sizes accept bytes and binary and decimal units") {
    CHECK(parse_size("100") == 100U);
    CHECK(parse_size("100B") == 100U);
    CHECK(parse_size("512KiB") == 512U * 1024);
    CHECK(parse_size("4MiB") == 4U * 1024 * 1024);
    CHECK(parse_size("1GiB") == 1ULL << 30);
    CHECK(parse_size("4MB") == 4'000'000U);
    for (const char* bad : {"", "MiB", "4 MiB", "4mib", "4XB", "-1", "1.5MiB", "2000000GiB"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_size(bad).has_value());
    }
  }

  TEST_CASE("RFC 3339 times past 2262 are clamped instead of overflowing the clock") {
    using namespace std::chrono;
    const auto far = parse_rfc3339("9999-12-31T23:59:59.999Z");
    const auto y2200 = parse_rfc3339("2200-01-01T00:00:00Z");
    REQUIRE(far);
    REQUIRE(y2200);
    CHECK(*far > *y2200);
    CHECK(*far > system_clock::now());
    CHECK(parse_rfc3339("2262-06-01T00:00:00Z") == parse_rfc3339("9999-01-01T00:00:00Z"));
  }

  TEST_CASE("RFC 3339 times with Z and offsets and fractions") {
    using namespace std::chrono;
    const auto t = parse_rfc3339("2026-12-01T00:00:00Z");
    REQUIRE(t);
    CHECK(duration_cast<seconds>(t->time_since_epoch()).count() == 1'796'083'200);
    CHECK(parse_rfc3339("2026-12-01T02:00:00+02:00") == t);
    CHECK(parse_rfc3339("2026-11-30T23:00:00.000-01:00") == t);
    CHECK(*parse_rfc3339("2026-12-01T00:00:00.25Z") - *t == milliseconds{250});
    for (const char* bad : {"2026-12-01",
                            "2026-13-01T00:00:00Z",
                            "2026-02-30T00:00:00Z",
                            "2026-12-01T24:00:00Z",
                            "2026-12-01T00:00:00",
                            "2026-12-01 00:00:00Z",
                            "2026-12-01T00:00:00+0200",
                            "2026-12-01T00:00:00Zjunk"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_rfc3339(bad).has_value());
    }
  }

  TEST_CASE("listen addresses accept IPv4 and bracketed IPv6 and localhost and detect loopback") {
    auto a = parse_listen_address("127.0.0.1:9464");
    REQUIRE(a);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 9464);
    CHECK(a->loopback);
    a = parse_listen_address("[::1]:0");
    REQUIRE(a);
    CHECK(a->host == "::1");
    CHECK(a->loopback);
    a = parse_listen_address("0.0.0.0:80");
    REQUIRE(a);
    CHECK_FALSE(a->loopback);
    a = parse_listen_address("[::]:80");
    REQUIRE(a);
    CHECK_FALSE(a->loopback);
    CHECK_FALSE(parse_listen_address("localhost:1").has_value());  // IP literals only
    for (const char* bad : {"",
                            "9464",
                            "127.0.0.1",
                            "127.0.0.1:",
                            "127.0.0.1:65536",
                            "::1:9464",
                            "[::1]",
                            "[::1]9464",
                            "example.com:80",
                            "1.2.3:80",
                            "1.2.3.4:8x"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_listen_address(bad).has_value());
    }
  }

  TEST_CASE("URL checks name the problem without echoing the URL") {
    const std::vector<std::string> web = {"http", "https"};
    CHECK_FALSE(check_url("https://api.example.com/v1", web));
    CHECK_FALSE(check_url("http://[::1]:8080", web));
    CHECK(check_url("ftp://user:hunter2@example.com/", web) == "must be an http or https URL");
    CHECK(check_url("https:///nohost", web) == "has no host");
    CHECK(check_url("https://a b", web) == "is not a valid URL");
    CHECK(check_url("https://example.com/#x", web) == "must not have a #fragment");
    CHECK(check_url("https://proxy:3128", {"http"}) == "must be an http URL");
  }

  TEST_CASE("route names follow the metric label and URL segment rule") {
    CHECK(valid_route_name("gpt41-mini"));
    CHECK(valid_route_name("openrouter/google/gemini-2.5-flash"));
    CHECK(valid_route_name("llava:13b@home_1"));
    CHECK(valid_route_name(std::string(128, 'a')));
    CHECK_FALSE(valid_route_name(std::string(129, 'a')));
    CHECK_FALSE(valid_route_name(""));
    CHECK_FALSE(valid_route_name("-x"));
    CHECK_FALSE(valid_route_name("a b"));
    CHECK_FALSE(valid_route_name("a\"b"));
  }

  TEST_CASE("env substitution replaces variables and keeps escapes and lone dollars") {
    const std::map<std::string, std::string> vars = {{"HOST", "example.com"}, {"EMPTY", ""}};
    const env_lookup env = [&](const std::string& n) -> std::optional<std::string> {
      const auto it = vars.find(n);
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    auto s = substitute_env("https://${HOST}/v1", env);
    CHECK(s.value == "https://example.com/v1");
    CHECK(s.substituted);
    CHECK_FALSE(s.error);
    s = substitute_env("price $5 and $${HOST} ${EMPTY}.", env);
    CHECK(s.value == "price $5 and ${HOST} .");
    s = substitute_env("plain", env);
    CHECK_FALSE(s.substituted);
    CHECK(substitute_env("${MISSING}", env).error == "environment variable MISSING is not set");
    CHECK(substitute_env("${HOST", env).error ==
          "\"${\" without a closing \"}\" (write $${ for a literal ${)");
    CHECK(substitute_env("${1X}", env).error ==
          "\"${1X}\" is not a valid variable name (write $${ for a literal ${)");
  }

  TEST_CASE("edit distance for did-you-mean hints") {
    CHECK(edit_distance("intervl", "interval") == 1);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("kitten", "sitting") == 3);
  }
}
