#include "probes/bedrock_converse.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "probes/adapter.hpp"
#include "probes/sigv4.hpp"
#include "probes/text_util.hpp"
#include "tests/probes/flavour_test_support.hpp"
#include "tests/probes/reply_invariants.hpp"

namespace bedrock_converse_test {

using namespace visionwatch::flavour_test_names;
using namespace std::chrono;

namespace {

const json& fixture() { return test::flavour_fixture("bedrock-converse.json"); }

const json& worked() { return fixture()["sigv4"]["worked_example"]; }

const auto signing_time = sys_days{year{2026} / 8 / 22} + hours{12};

probe_request signed_request() {
  // Bedrock signs with AWS credentials: no API key.
  auto r = one_image_request("https://bedrock-runtime.us-east-1.amazonaws.com",
                             "anthropic.claude-3-haiku-20240307-v1:0",
                             "What is in this image? Answer in one short sentence.",
                             image_part{fixture_png_data_url(), ""},
                             64,
                             "");
  r.now = signing_time;
  r.aws_region = "us-east-1";
  r.aws_credentials = {worked()["credentials"]["access_key"].get<std::string>(),
                       worked()["credentials"]["secret_key"].get<std::string>(),
                       ""};
  return r;
}

reply parse(unsigned status, const json& body, header_list headers = {}) {
  return bedrock_converse::parse_reply(response(status, body.dump(), std::move(headers)),
                                       signing_time);
}

/// The signature a server computes from what it received (the request as sent).
std::string server_side_authorization(const http_request& req, const sigv4::credentials& creds) {
  const auto path_at = req.url.find('/', req.url.find("://") + 3);
  return sigv4::compute(req.method,
                        req.url.substr(path_at),
                        req.headers,
                        req.body,
                        creds,
                        {"us-east-1", "bedrock", signing_time})
      .authorization;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("bedrock: the image request is the fixture's body at the fixture's encoded URL") {
    const auto req = bedrock_converse::build_request(signed_request());
    check_fixture_request(req, fixture()["request"]);
    CHECK(req.body == fixture()["request"]["body_base64_image"].dump());  // byte for byte too
  }

  TEST_CASE("bedrock: SigV4 headers as the fixture shows - signing the final headers and body") {
    const auto req = bedrock_converse::build_request(signed_request());
    CHECK(header_value(req, "host") == "bedrock-runtime.us-east-1.amazonaws.com");
    CHECK(header_value(req, "x-amz-date") == "20260822T120000Z");
    CHECK(header_count(req, "x-amz-security-token") == 0);
    const std::string authz = header_value(req, "authorization");
    CHECK(
        authz.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260822/us-east-1/bedrock/"
                          "aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, "
                          "Signature="));
    CHECK(authz == server_side_authorization(req, signed_request().aws_credentials));
    CHECK(req.body.find(signed_request().aws_credentials.secret_access_key) == std::string::npos);
    CHECK(authz.find(signed_request().aws_credentials.secret_access_key) == std::string::npos);
  }

  TEST_CASE("bedrock: the worked example's request is what the flavour builds for it") {
    auto r = signed_request();
    r.images.clear();
    r.prompt = "ping";
    r.max_tokens = 16;
    const auto req = bedrock_converse::build_request(r);
    // The same JSON (keys in another order: the signature covers whatever bytes are sent).
    CHECK(json::parse(req.body) == json::parse(worked()["body"].get<std::string>()));
    CHECK(header_value(req, "authorization") == server_side_authorization(req, r.aws_credentials));
  }

  TEST_CASE("bedrock: a session token is sent and signed - extra headers are signed too") {
    auto r = signed_request();
    r.aws_credentials.session_token = "FwoGZXIvYXdzEXAMPLEsessiontoken";
    r.extra_headers = {{"X-Team", "vision"}};
    const auto req = bedrock_converse::build_request(r);
    CHECK(header_value(req, "x-amz-security-token") == r.aws_credentials.session_token);
    const std::string authz = header_value(req, "authorization");
    CHECK(authz.find("SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token;"
                     "x-team,") != std::string::npos);
    CHECK(authz == server_side_authorization(req, r.aws_credentials));
  }

  TEST_CASE("bedrock: a non-default port is part of the signed Host header") {
    auto r = signed_request();
    r.base_url = "http://127.0.0.1:4566/";
    const auto req = bedrock_converse::build_request(r);
    CHECK(req.url ==
          "http://127.0.0.1:4566/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
    CHECK(header_value(req, "host") == "127.0.0.1:4566");
    CHECK(header_value(req, "authorization") == server_side_authorization(req, r.aws_credentials));
  }

  TEST_CASE("bedrock: a Bedrock API key is sent as a bearer token and nothing is signed") {
    auto r = signed_request();
    r.api_key = "ABSKQmVkcm9ja0FQSUtleS1TEST";
    const auto req = bedrock_converse::build_request(r);
    CHECK(header_value(req, "authorization") == "Bearer " + r.api_key);
    CHECK(header_count(req, "x-amz-date") == 0);
  }

  TEST_CASE("bedrock: the control request is text only - temperature in inferenceConfig") {
    auto r = signed_request();
    r.images.clear();
    r.temperature = 0.0;
    const json body = json::parse(bedrock_converse::build_request(r).body);
    CHECK(body == json::parse(R"({"messages":[{"role":"user","content":[{"text":
          "What is in this image? Answer in one short sentence."}]}],
          "inferenceConfig":{"maxTokens":64,"temperature":0.0}})"));
  }

  TEST_CASE("bedrock: image formats follow the data URL - model ids are one encoded segment") {
    auto r = signed_request();
    r.images = {image_part{"data:image/jpeg;base64,/9j/AAAA", ""},
                image_part{"data:image/webp;base64,UklGRg==", ""}};
    const json body = json::parse(bedrock_converse::build_request(r).body);
    const json& content = body["messages"][0]["content"];
    REQUIRE(content.size() == 3);
    CHECK(content[0]["image"] == json::parse(R"({"format":"jpeg","source":{"bytes":"/9j/AAAA"}})"));
    CHECK(content[1]["image"]["format"] == "webp");
    CHECK(content[2].contains("text"));
    CHECK(bedrock_converse::endpoint_url(
              "https://bedrock-runtime.us-west-2.amazonaws.com",
              "arn:aws:bedrock:us-west-2:111122223333:inference-profile/us.anthropic.claude") ==
          "https://bedrock-runtime.us-west-2.amazonaws.com/model/"
          "arn%3Aaws%3Abedrock%3Aus-west-2%3A111122223333%3Ainference-profile%2Fus.anthropic."
          "claude/converse");
  }

  TEST_CASE("bedrock: the region comes from the host name when it is a Bedrock Runtime host") {
    CHECK(bedrock_converse::region_from_url("https://bedrock-runtime.us-east-1.amazonaws.com") ==
          "us-east-1");
    CHECK(bedrock_converse::region_from_url(
              "https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com/") == "us-gov-west-1");
    CHECK(bedrock_converse::region_from_url(
              "https://bedrock-runtime.cn-north-1.amazonaws.com.cn") == "cn-north-1");
    CHECK_FALSE(bedrock_converse::region_from_url("http://127.0.0.1:4566"));
    CHECK_FALSE(bedrock_converse::region_from_url("https://bedrock-runtime.example.com"));
  }

  TEST_CASE("bedrock: the fixture's reply parses: text - stop reason - usage") {
    const auto r = parse(200, fixture()["response"]["body"]);
    CHECK(r.well_formed);
    CHECK(r.text == "A small green square.");
    CHECK(r.finish_reason == "stop");
    CHECK(r.model.empty());  // Converse names no served model
    // Images are folded into inputTokens: no image count.
    check_usage(r.tokens, {26, 8, 34, std::nullopt, std::nullopt});
  }

  TEST_CASE("bedrock: stop reasons - reasoning content and cache usage") {
    json body = fixture()["response"]["body"];
    body["stopReason"] = "max_tokens";
    CHECK(parse(200, body).finish_reason == "length");
    body["stopReason"] = "stop_sequence";
    CHECK(parse(200, body).finish_reason == "stop");
    body["stopReason"] = "tool_use";
    CHECK(parse(200, body).finish_reason == "tool_calls");  // chat's spelling, for the verdict
    body["stopReason"] = "guardrail_intervened";
    body["output"]["message"]["content"] = json::array();
    auto r = parse(200, body);
    CHECK(r.finish_reason == "content_filter");
    CHECK(r.refusal == "the answer was withheld (stopReason guardrail_intervened)");

    body = fixture()["response"]["body"];
    body["output"]["message"]["content"] = json::parse(
        R"([{"reasoningContent":{"reasoningText":{"text":"A square, green.","signature":"sig"}}},{"text":"green"}])");
    body["usage"]["cacheReadInputTokens"] = 5;
    r = parse(200, body);
    CHECK(r.text == "green");
    CHECK(r.reasoning == "A square, green.");
    CHECK(r.tokens.cached_tokens == 5);
  }

  TEST_CASE("bedrock: malformed success bodies say what is wrong") {
    CHECK(parse(200, json::object()).parse_error == "no \"output\" in the body");
    CHECK(parse(200, json{{"output", 1}}).parse_error == "output is a number, expected object");
    CHECK(parse(200, json::parse(R"({"output":{"message":{"content":"x"}}})")).parse_error ==
          "output.message.content is a string, expected array");
  }

  TEST_CASE(
      "bedrock: 403 bad credentials say the credentials were refused - code from the header") {
    const auto& e = fixture()["errors"]["403_real"];
    header_list headers;
    for (const auto& [k, v] : e["headers"].items()) {
      headers.emplace_back(ascii_lower(k), v.get<std::string>());
    }
    const auto r = parse(403, e["body"], headers);
    CHECK_FALSE(r.well_formed);
    CHECK(r.error_code == "InvalidSignatureException");
    CHECK(r.error_message.starts_with(
        "authentication failed, AWS refused the credentials: The request signature we calculated "
        "does not match"));
    const auto unknown = parse(
        403,
        json{{"message", "The security token included in the request is invalid."}},
        {{"x-amzn-errortype", "UnrecognizedClientException:http://internal.amazon.com/coral/"}});
    CHECK(unknown.error_code == "UnrecognizedClientException");
    CHECK(unknown.error_message.starts_with("authentication failed"));
  }

  TEST_CASE("bedrock: 429 throttling - 400 validation (__type) and 424 model errors") {
    const auto& e = fixture()["errors"]["429"];
    header_list headers;
    for (const auto& [k, v] : e["headers"].items()) {
      headers.emplace_back(ascii_lower(k), v.get<std::string>());
    }
    const auto r = parse(429, e["body"], headers);
    CHECK(r.error_code == "ThrottlingException");
    CHECK(r.error_message == "Too many tokens, please wait before trying again.");
    CHECK_FALSE(r.retry_after);  // Bedrock sends no retry hint
    const auto v = parse(
        400, json{{"__type", "com.amazon.coral.validate#ValidationException"}, {"Message", "bad"}});
    CHECK(v.error_code == "ValidationException");
    CHECK(v.error_message == "bad");
    const auto m =
        parse(424,
              json{{"message", "Received error from the model"}, {"originalStatusCode", 500}},
              {{"x-amzn-errortype", "ModelErrorException:http://internal.amazon.com/"}});
    CHECK(m.error_code == "ModelErrorException");
    CHECK(m.error_message == "Received error from the model");
  }

  TEST_CASE("bedrock: the flavour table routes \"bedrock-converse\" here") {
    REQUIRE(api_flavour_from_string("bedrock-converse") == api_flavour::bedrock_converse);
    CHECK(to_string(api_flavour::bedrock_converse) == "bedrock-converse");
  }

  TEST_CASE("bedrock: every fixture body truncated and with every value swapped parses safely") {
    test::check_mutations(api_flavour::bedrock_converse, fixture()["response"]["body"]);
    test::check_mutations(
        api_flavour::bedrock_converse,
        json::parse(R"({"output":{"message":{"role":"assistant","content":[{"reasoningContent":
          {"reasoningText":{"text":"r"}}},{"text":"t"}]}},"stopReason":"guardrail_intervened",
          "usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3,"cacheReadInputTokens":4}})"));
    test::check_mutations(api_flavour::bedrock_converse, fixture()["errors"]["403_real"]["body"]);
  }
}

}  // namespace bedrock_converse_test
