#include "alerts/webhook_signature.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace visionwatch;

TEST_SUITE("unit") {
  TEST_CASE("the Standard Webhooks published test vector verifies") {
    const auto key = decode_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    REQUIRE(key.has_value());
    CHECK(webhook_signature(
              *key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})") ==
          "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  TEST_CASE("a different body or id or timestamp gives a different signature") {
    const auto key = *decode_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    const auto good = webhook_signature(key, "msg_1", 1614265330, "{}");
    CHECK(webhook_signature(key, "msg_2", 1614265330, "{}") != good);
    CHECK(webhook_signature(key, "msg_1", 1614265331, "{}") != good);
    CHECK(webhook_signature(key, "msg_1", 1614265330, "{ }") != good);
  }

  TEST_CASE("base64 round-trips every padding length") {
    for (const std::string& s :
         std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
      const auto encoded = base64_encode(s);
      const auto decoded = base64_decode(encoded);
      REQUIRE(decoded.has_value());
      CHECK(*decoded == s);
    }
    CHECK(base64_encode("ab") == "YWI=");
  }

  TEST_CASE("malformed webhook secrets are refused") {
    CHECK_FALSE(
        decode_webhook_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").has_value());  // no prefix
    CHECK_FALSE(decode_webhook_secret("whsec_").has_value());
    CHECK_FALSE(decode_webhook_secret("whsec_abc").has_value());      // length not a multiple of 4
    CHECK_FALSE(decode_webhook_secret("whsec_ab=c").has_value());     // padding in the middle
    CHECK_FALSE(decode_webhook_secret("whsec_a b c d").has_value());  // whitespace
    CHECK_FALSE(base64_decode("====").has_value());
  }
}
