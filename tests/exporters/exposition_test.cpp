#include "exporters/exposition.hpp"
#include "probes/text_util.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace ex = visionwatch::exposition;

namespace {
std::string value_text(double v) {
  std::string out;
  ex::append_value(out, v);
  return out;
}
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("values print as the shortest text that parses back to the same double") {
    CHECK(value_text(0) == "0");
    CHECK(value_text(-0.0) == "0");
    CHECK(value_text(1) == "1");
    CHECK(value_text(10'000'000) == "10000000");
    CHECK(value_text(1.5e15) == "1.5e+15");
    CHECK(value_text(0.1) == "0.1");
    CHECK(value_text(0.001) == "0.001");
    CHECK(value_text(1e-05) == "1e-05");
    CHECK(value_text(7.5) == "7.5");
    CHECK(value_text(1.7e9 + 0.25) == "1700000000.25");
    CHECK(value_text(0.0001) == "0.0001");
    CHECK(value_text(0.000051) == "5.1e-05");
    CHECK(value_text(2.5e-7) == "2.5e-07");
    CHECK(value_text(1e20) == "1e+20");
    CHECK(value_text(-3.75) == "-3.75");
    const double awkward = 0.1 + 0.2;
    CHECK(std::strtod(value_text(awkward).c_str(), nullptr) == awkward);
    CHECK(value_text(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    CHECK(value_text(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(value_text(-std::numeric_limits<double>::infinity()) == "-Inf");
  }

  TEST_CASE("label values escape backslash - double quote and line feed only") {
    CHECK(ex::label("model", R"(a"b\c)") == R"(model="a\"b\\c")");
    CHECK(ex::label("route", "x\ny") == R"(route="x\ny")");
    CHECK(ex::label("route", "team/a:gpt-4o.mini@eu") == R"(route="team/a:gpt-4o.mini@eu")");
    CHECK(ex::label("route", "tab\there") == "route=\"tab\there\"");
  }

  TEST_CASE("help text escapes backslash and line feed") {
    std::string out;
    ex::append_family_header(out, "m_total", "a\\b\nc \"q\"", "counter");
    CHECK(out == "# HELP m_total a\\\\b\\nc \"q\"\n# TYPE m_total counter\n");
  }

  TEST_CASE("a sample skips empty label fragments and omits braces when none remain") {
    std::string out;
    ex::append_sample(out, "up", {}, 1);
    ex::append_sample(out, "up", {"", ""}, 0);
    ex::append_sample(out, "x", {R"(a="1")", "", R"(b="2")"}, 2.5);
    CHECK(out == "up 1\nup 0\nx{a=\"1\",b=\"2\"} 2.5\n");
  }

  TEST_CASE("label names follow the Prometheus grammar and __ is reserved") {
    CHECK(ex::valid_label_name("region"));
    CHECK(ex::valid_label_name("_shard2"));
    CHECK(ex::valid_label_name("Region_A"));
    CHECK_FALSE(ex::valid_label_name(""));
    CHECK_FALSE(ex::valid_label_name("2region"));
    CHECK_FALSE(ex::valid_label_name("re-gion"));
    CHECK_FALSE(ex::valid_label_name("re.gion"));
    CHECK_FALSE(ex::valid_label_name("__name__"));
  }

  TEST_CASE("UTF-8 validation rejects overlong - surrogate - truncated and out-of-range sequences") {
    CHECK(visionwatch::is_valid_utf8(""));
    CHECK(visionwatch::is_valid_utf8("plain ascii"));
    CHECK(visionwatch::is_valid_utf8("gr\xC3\xBC\xC3\x9F"));        // "grüß"
    CHECK(visionwatch::is_valid_utf8("\xE6\xA8\xA1\xE5\x9E\x8B"));  // "模型"
    CHECK(visionwatch::is_valid_utf8("\xF0\x9F\x98\x80"));          // U+1F600
    CHECK_FALSE(visionwatch::is_valid_utf8("\xC0\xAF"));            // overlong '/'
    CHECK_FALSE(visionwatch::is_valid_utf8("\xED\xA0\x80"));        // surrogate U+D800
    CHECK_FALSE(visionwatch::is_valid_utf8("\xF4\x90\x80\x80"));    // U+110000
    CHECK_FALSE(visionwatch::is_valid_utf8("\xE6\xA8"));            // truncated
    CHECK_FALSE(visionwatch::is_valid_utf8("\x80"));                // lone continuation byte
    CHECK_FALSE(visionwatch::is_valid_utf8("\xFF"));
  }
}
