#include "probes/text_util.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>

namespace text_util_test {

using namespace visionwatch;

TEST_SUITE("unit") {
  TEST_CASE("sanitize_utf8 keeps valid text and replaces each invalid sequence") {
    CHECK(sanitize_utf8("4821 – 数字", 100) == "4821 – 数字");
    CHECK(sanitize_utf8("a\xffz", 100) == "a\xEF\xBF\xBDz");
    // Overlong, surrogate, above U+10FFFF, truncated sequence.
    CHECK(sanitize_utf8("\xC0\xAF", 100) == "\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(sanitize_utf8("\xED\xA0\x80", 100) == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(sanitize_utf8("\xF4\x90\x80\x80", 100).find("\xEF\xBF\xBD") == 0);
    CHECK(sanitize_utf8("ab\xE2\x82", 100) == "ab\xEF\xBF\xBD");
    CHECK(sanitize_utf8(std::string("a\0b", 3), 100) == std::string("a\0b", 3));
  }

  TEST_CASE("sanitize_utf8 cuts on a code point boundary") {
    CHECK(sanitize_utf8("€€", 5) == "€");
    CHECK(sanitize_utf8("€€", 6) == "€€");
    CHECK(sanitize_utf8("abc", 0).empty());
    CHECK(sanitize_utf8("\xff\xff", 4) == "\xEF\xBF\xBD");
  }

  TEST_CASE("is_valid_utf8 agrees with the decoder") {
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8("画像が見つかりません"));
    CHECK_FALSE(is_valid_utf8("\x80"));
    CHECK_FALSE(is_valid_utf8("\xE0\x80\x80"));
  }

  TEST_CASE("one_line_excerpt flattens control characters and marks a cut") {
    CHECK(one_line_excerpt("  a\r\n\tb  c \n", 100) == "a b c");
    CHECK(one_line_excerpt("abcdefghij", 10) == "abcdefghij");
    CHECK(one_line_excerpt("abcdefghijk", 10) == "abcdefg…");
    CHECK(one_line_excerpt("€€€€", 8) == "€…");
    CHECK(one_line_excerpt("x\xff", 100) == "x\xEF\xBF\xBD");
    CHECK(one_line_excerpt(std::string("a\0b", 3), 100) == "a b");
  }

  TEST_CASE("redact_secrets masks echoed API keys and bearer tokens") {
    CHECK(redact_secrets("Incorrect API key provided: sk-proj-abc*****wxyz. You can find it") ==
          "Incorrect API key provided: sk-***. You can find it");
    CHECK(redact_secrets("got Bearer eyJhbGciOiJIUzI1NiJ9.payload") == "got Bearer ***");
    CHECK(redact_secrets("Missing bearer or basic authentication") ==
          "Missing bearer or basic authentication");
    CHECK(redact_secrets("task-123 desk-lamp") == "task-123 desk-lamp");
  }

  TEST_CASE("ascii_lower and ascii_iequals fold A-Z only and leave every other byte") {
    CHECK(ascii_lower("HTTPS://Gateway.EXAMPLE") == "https://gateway.example");
    CHECK(ascii_lower("ÄÖÜ \xC3\x84 ok") == "ÄÖÜ \xC3\x84 ok");
    CHECK(ascii_lower('Q') == 'q');
    CHECK(ascii_lower('\xC4') == '\xC4');
    CHECK(ascii_iequals("Content-Type", "content-TYPE"));
    CHECK_FALSE(ascii_iequals("Content-Type", "Content-Typ"));
    CHECK_FALSE(ascii_iequals("Ä", "ä"));
    CHECK(ascii_iequals("", ""));
  }

  TEST_CASE("trim removes the given characters at both ends only") {
    CHECK(trim("  \t a b \r\n") == "a b");
    CHECK(trim("\v\f").empty());
    CHECK(trim("").empty());
    CHECK(trim(" \t20\t ", http_ows) == "20");
    CHECK(trim("\n20 ", http_ows) == "\n20");
  }

  TEST_CASE("all_digits wants at least one digit and nothing else") {
    CHECK(all_digits("4821"));
    CHECK(all_digits("0"));
    CHECK_FALSE(all_digits(""));
    CHECK_FALSE(all_digits("48 21"));
    CHECK_FALSE(all_digits("-1"));
    CHECK_FALSE(all_digits("\xEF\xBC\x91"));  // full-width 1
  }

  TEST_CASE("base64 encodes with padding and decodes only padded standard base64") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("alice:s:cret") == "YWxpY2U6czpjcmV0");
    CHECK(base64_decode("Zg==") == std::optional<std::string>("f"));
    CHECK(base64_decode("AP/+") == std::optional<std::string>(std::string("\x00\xff\xfe", 3)));
    CHECK_FALSE(base64_decode("Zg=").has_value());
    CHECK_FALSE(base64_decode("Z=g=").has_value());
    CHECK_FALSE(base64_decode("Zg-_").has_value());
  }

  TEST_CASE("base64_append encodes after what the string already holds") {
    std::string url = "data:image/png;base64,";
    base64_append(url, "alice:s:cret");
    CHECK(url == "data:image/png;base64,YWxpY2U6czpjcmV0");
    base64_append(url, "f");
    CHECK(url == "data:image/png;base64,YWxpY2U6czpjcmV0Zg==");
    std::string empty;
    base64_append(empty, "");
    CHECK(empty.empty());
  }
}

}  // namespace text_util_test
