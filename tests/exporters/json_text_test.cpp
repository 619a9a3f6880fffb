#include "exporters/json_text.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>

using namespace visionwatch;
using nlohmann::json;

namespace {

std::string one_string(std::string_view s) {
  std::string out;
  json_text(out).value(s);
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("objects and arrays get their commas and nest") {
    std::string out;
    json_text w(out);
    w.begin_object()
        .field("a", 1)
        .key("b")
        .begin_array()
        .value(true)
        .null()
        .begin_object()
        .end_object()
        .begin_array()
        .end_array()
        .end_array()
        .field("c", "x")
        .end_object();
    CHECK(out == R"({"a":1,"b":[true,null,{},[]],"c":"x"})");
  }

  TEST_CASE("strings escape what JSON requires and replace invalid UTF-8 as nlohmann does") {
    CHECK(one_string("plain") == "\"plain\"");
    CHECK(one_string("q\"b\\s/") == R"("q\"b\\s/")");
    CHECK(one_string("\n\r\t\b\x01\x1f") == R"("\n\r\t\u0008\u0001\u001f")");
    CHECK(one_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
          "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    for (const auto& bad : {std::string("a\xff"),
                            std::string("\xc3"),
                            std::string("\xc0\xaf"),
                            std::string("\xed\xa0\x80"),
                            std::string("x\xe2\x82y")}) {
      CAPTURE(bad);
      const auto mine = json::parse(one_string(bad));
      const auto theirs = json(bad).dump(-1, ' ', false, json::error_handler_t::replace);
      CHECK(mine == json::parse(theirs));
    }
  }

  TEST_CASE("random bytes always make a string nlohmann reads back") {
    std::mt19937_64 rng(99);
    for (int i = 0; i < 5000; ++i) {
      std::string s(rng() % 40, '\0');
      for (auto& c : s) {
        c = static_cast<char>(rng() % 256);
      }
      const auto parsed = json::parse(one_string(s), nullptr, false);
      REQUIRE(parsed.is_string());
      CHECK(parsed == json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace)));
    }
  }

  TEST_CASE("numbers keep their type: doubles in shortest form and not finite ones as null") {
    std::string out;
    json_text w(out);
    w.begin_array()
        .value(1.0)
        .value(0.1)
        .value(30.0)
        .value(5.1e-05)
        .value(-2.5)
        .value(1e300)
        .value(std::nan(""))
        .value(std::numeric_limits<double>::infinity())
        .value(std::numeric_limits<std::uint64_t>::max())
        .value(std::numeric_limits<std::int64_t>::min())
        .value(0U)
        .value(std::optional<long long>{})
        .value(std::optional<long long>{42})
        .end_array();
    CHECK(out ==
          "[1.0,0.1,30.0,5.1e-05,-2.5,1e+300,null,null,18446744073709551615,"
          "-9223372036854775808,0,null,42]");
    const auto j = json::parse(out);
    CHECK(j[0].is_number_float());
    CHECK(j[2].is_number_float());
    CHECK(j[8].is_number_unsigned());
  }
}
