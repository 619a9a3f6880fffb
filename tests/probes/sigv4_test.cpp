#include "probes/sigv4.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "probes/text_util.hpp"
#include "tests/probes/flavour_test_support.hpp"

namespace sigv4_test {

using namespace visionwatch::flavour_test_names;
using namespace std::chrono;

namespace {

const json& bedrock_fixture() { return test::flavour_fixture("bedrock-converse.json"); }

const json& worked() { return bedrock_fixture().at("sigv4").at("worked_example"); }

/// "20260822T120000Z" as a time point.
system_clock::time_point at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

sigv4::credentials example_credentials() {
  return {worked().at("credentials").at("access_key").get<std::string>(),
          worked().at("credentials").at("secret_key").get<std::string>(),
          ""};
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("sigv4 reproduces the fixture's Bedrock worked example byte for byte") {
    const auto& w = worked();
    REQUIRE(w.at("x_amz_date") == "20260822T120000Z");
    const header_list headers = {{"Content-Type", "application/json"},
                                 {"Host", "bedrock-runtime.us-east-1.amazonaws.com"},
                                 {"X-Amz-Date", "20260822T120000Z"}};
    const auto s = sigv4::compute("POST",
                                  "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
                                  headers,
                                  w.at("body").get<std::string>(),
                                  example_credentials(),
                                  {"us-east-1", "bedrock", at(2026, 8, 22, 12, 0, 0)});
    CHECK(s.canonical_request == w.at("canonical_request").get<std::string>());
    CHECK(s.string_to_sign == w.at("string_to_sign").get<std::string>());
    CHECK(s.authorization == w.at("authorization").get<std::string>());
    CHECK(s.signed_headers == "content-type;host;x-amz-date");
  }

  TEST_CASE("sign_request signs the final request: Host from the URL - date - Authorization") {
    const auto& w = worked();
    http_request req;
    req.url =
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
        "anthropic.claude-3-haiku-20240307-v1%3A0/converse";
    req.body = w.at("body").get<std::string>();
    req.headers = {{"Content-Type", "application/json"}};
    REQUIRE(sigv4::sign_request(
        req, example_credentials(), {"us-east-1", "bedrock", at(2026, 8, 22, 12, 0, 0)}));
    CHECK(header_value(req.headers, "host") == "bedrock-runtime.us-east-1.amazonaws.com");
    CHECK(header_value(req.headers, "x-amz-date") == "20260822T120000Z");
    CHECK(header_value(req.headers, "authorization") == w.at("authorization").get<std::string>());
    CHECK(header_count(req.headers, "x-amz-security-token") == 0);
  }

  TEST_CASE("sigv4 matches the AWS test suite's post-vanilla vector the fixture cites") {
    const auto& v = bedrock_fixture().at("sigv4").at("official_vector");
    // post-vanilla.req: POST / with Host:example.amazonaws.com and X-Amz-Date only.
    const header_list headers = {{"Host", "example.amazonaws.com"},
                                 {"X-Amz-Date", "20150830T123600Z"}};
    const auto s = sigv4::compute("POST",
                                  "/",
                                  headers,
                                  "",
                                  {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""},
                                  {"us-east-1", "service", at(2015, 8, 30, 12, 36, 0)});
    CHECK(s.authorization == v.at("authz").get<std::string>());
    CHECK(s.canonical_request ==
          "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
          "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  TEST_CASE("the canonical URI encodes the sent path again and drops dot and empty segments") {
    CHECK(sigv4::canonical_uri("/model/a.b-v1%3A0/converse") == "/model/a.b-v1%253A0/converse");
    CHECK(sigv4::canonical_uri("") == "/");
    CHECK(sigv4::canonical_uri("/") == "/");
    CHECK(sigv4::canonical_uri("/a/./b/../c//d/") == "/a/c/d/");
    CHECK(sigv4::canonical_uri("/example space/") == "/example%20space/");
    CHECK(sigv4::canonical_uri("/~user_x-y.z") == "/~user_x-y.z");
  }

  TEST_CASE(
      "a session token is sent and signed - repeated values are joined - user-agent unsigned") {
    http_request req;
    req.url = "http://127.0.0.1:8443/model/m%3A1/converse?b=2&a=1";
    req.body = "{}";
    req.headers = {{"Content-Type", "application/json"},
                   {"User-Agent", "visionwatch/1"},
                   {"X-Extra", "  one   two "},
                   {"x-extra", "three"},
                   {"Authorization", "Bearer stale"}};
    sigv4::credentials creds{"AKIDEXAMPLE", "secret-key-example", "session-token-example"};
    REQUIRE(sigv4::sign_request(req, creds, {"eu-west-3", "bedrock", at(2026, 1, 2, 3, 4, 5)}));
    // A non-default port stays in Host, which the http client then sends as given.
    CHECK(header_value(req.headers, "host") == "127.0.0.1:8443");
    CHECK(header_value(req.headers, "x-amz-security-token") == "session-token-example");
    CHECK(header_count(req.headers, "authorization") == 1);
    const std::string authz = header_value(req.headers, "authorization");
    CHECK(authz.starts_with(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/eu-west-3/bedrock/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-extra, Signature="));

    const auto s = sigv4::compute("POST",
                                  "/model/m%3A1/converse?b=2&a=1",
                                  req.headers,
                                  req.body,
                                  creds,
                                  {"eu-west-3", "bedrock", at(2026, 1, 2, 3, 4, 5)});
    CHECK(s.authorization == authz);
    CHECK(s.canonical_request.find("\na=1&b=2\n") != std::string::npos);
    CHECK(s.canonical_request.find("\nx-extra:one two,three\n") != std::string::npos);
    CHECK(s.canonical_request.find("user-agent") == std::string::npos);

    // Any change to a signed byte changes the signature: the body, a header, the secret.
    auto other = creds;
    other.secret_access_key = "another-secret";
    CHECK(sigv4::compute("POST",
                         "/model/m%3A1/converse?b=2&a=1",
                         req.headers,
                         req.body,
                         other,
                         {"eu-west-3", "bedrock", at(2026, 1, 2, 3, 4, 5)})
              .signature_hex != s.signature_hex);
    CHECK(sigv4::compute("POST",
                         "/model/m%3A1/converse?b=2&a=1",
                         req.headers,
                         "{ }",
                         creds,
                         {"eu-west-3", "bedrock", at(2026, 1, 2, 3, 4, 5)})
              .signature_hex != s.signature_hex);
  }

  TEST_CASE("sign_request refuses a URL it cannot parse and leaves the request unsigned") {
    http_request req;
    req.url = "not a url";
    CHECK_FALSE(sigv4::sign_request(req, {"a", "b", ""}, {"us-east-1", "bedrock", {}}));
    CHECK(header_count(req.headers, "authorization") == 0);
  }
}

}  // namespace sigv4_test
