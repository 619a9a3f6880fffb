#include "probes/adapter_support.hpp"

#include <doctest/doctest.h>

#include <string>

namespace adapter_support_test {

using namespace visionwatch;
using adapter_support::is_plain_json_string;

TEST_SUITE("unit") {
  TEST_CASE("is_plain_json_string refuses every byte JSON escapes wherever it sits") {
    // Eight bytes at a time, the rest one by one: every byte value at every place of strings
    // long enough for both, against the rule itself.
    const auto plain = [](unsigned char c) {
      return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
    };
    for (std::size_t length = 1; length <= 19; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        for (int b = 0; b < 256; ++b) {
          std::string s(length, 'A');
          s[at] = static_cast<char>(b);
          if (is_plain_json_string(s) != plain(static_cast<unsigned char>(b))) {
            FAIL_CHECK("length " << length << ", byte " << b << " at " << at);
          }
        }
      }
    }
    CHECK(is_plain_json_string(""));
    CHECK(is_plain_json_string("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA+/=="));
  }
}

}  // namespace adapter_support_test
