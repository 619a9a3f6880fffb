#include "probes/redactor.hpp"

#include <doctest/doctest.h>

#include <string>

#include "probes/text_util.hpp"

namespace redactor_test {

using namespace visionwatch;

namespace {
// Planted keys of every common shape (none is a real credential).
const std::string google_key = "AIzaSyD3f9Xk2LmQ7rTvW8yZ1aB4cE6gH0jK5nP";
const std::string groq_key = "gsk_7Hq2Lm9XvR4tY8wZ1aB3cD5eF6gJ0kN2pQ4sT6uV8xW";
const std::string xai_key = "xai-Zq8Wm3Lk7Jh2Gf5Ds9Ap1Ox4Ni6Mu0By3Cv7Et";
const std::string azure_key = "3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e";
const std::string aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const std::string aws_key_id = "AKIAIOSFODNN7EXAMPLE";
const std::string aws_temp_id = "ASIAJEXAMPLEXEG2JICEA";
}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("redact_secrets masks Google Groq xAI Azure and AWS key shapes") {
    for (const auto& key : {google_key, groq_key, xai_key, azure_key, aws_secret, aws_key_id,
                            aws_temp_id}) {
      CAPTURE(key);
      const std::string text = "Incorrect API key provided: " + key + ". See the docs";
      const std::string out = redact_secrets(text);
      CHECK(out.find(key) == std::string::npos);
      CHECK(out.find("***") != std::string::npos);
      CHECK(out.ends_with(". See the docs"));
      CHECK(redact_secrets("{\"key\":\"" + key + "\"}").find(key) == std::string::npos);
    }
  }

  TEST_CASE("redact_secrets leaves ordinary words and short hex alone") {
    CHECK(redact_secrets("AIza is not a key by itself") == "AIza is not a key by itself");
    CHECK(redact_secrets("model gpt-4o-mini at 0x1f2e") == "model gpt-4o-mini at 0x1f2e");
    CHECK(redact_secrets("xai-grok and gsk_ prefixes") == "xai-grok and gsk_ prefixes");
    CHECK(redact_secrets("/v1/chat/completions") == "/v1/chat/completions");
  }

  TEST_CASE("a redactor masks configured secrets of any shape wherever they occur") {
    redactor r({"hunter2-custom-token-xyz"});
    CHECK(r("key hunter2-custom-token-xyz rejected") == "key *** rejected");
    CHECK(r("prefixhunter2-custom-token-xyzsuffix") == "prefix***suffix");
    CHECK(r("a=hunter2-custom-token-xyz&b=hunter2-custom-token-xyz") == "a=***&b=***");
  }

  TEST_CASE("a redactor masks the percent-encoded and JSON-escaped forms of a secret") {
    redactor r({"p@ss/wo\"rd+long"});
    CHECK(r("u=p%40ss%2Fwo%22rd%2Blong") == "u=***");
    CHECK(r(R"({"k":"p@ss\/wo\"rd+long"})") == R"({"k":"***"})");
    CHECK(r(R"({"k":"p@ss/wo\"rd+long"})") == R"({"k":"***"})");
  }

  TEST_CASE("a redactor masks the beginning of a secret cut off by an excerpt limit") {
    redactor r({"hunter2-custom-token-xyz"});
    CHECK(r("invalid key hunter2-cus\xE2\x80\xA6") == "invalid key ***\xE2\x80\xA6");
    CHECK(r("invalid key hunter2-custom-tok") == "invalid key ***");
    CHECK(r("HTTP 401: key hunter2-cus\xE2\x80\xA6 (invalid_api_key)") ==
          "HTTP 401: key ***\xE2\x80\xA6 (invalid_api_key)");
  }

  TEST_CASE("a redactor ignores secrets too short to mask safely") {
    redactor r({"1", "abc", ""});
    CHECK(r.size() == 0);
    CHECK(r("HTTP 401: abc 1") == "HTTP 401: abc 1");
  }

  TEST_CASE("a redactor masks URL credentials and long path tokens") {
    redactor r;
    r.add_url("http://proxyuser:s3cr3t-pass@proxy.example:3128");
    r.add_url("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX");
    CHECK(r("auth s3cr3t-pass failed") == "auth *** failed");
    CHECK(r("user proxyuser:s3cr3t-pass") == "user ***");
    CHECK(r("Basic " + base64_encode("proxyuser:s3cr3t-pass")).find(
              base64_encode("proxyuser:s3cr3t-pass")) == std::string::npos);
    CHECK(r("token XXXXXXXXXXXXXXXXXXXXXXXX is invalid") == "token *** is invalid");
    CHECK(r("services") == "services");
  }

  TEST_CASE("a redactor also applies the key shapes") {
    const redactor r;
    CHECK(r("got " + google_key).find(google_key) == std::string::npos);
  }
}

}  // namespace redactor_test
