// The openai-responses flavour against the wire data in api-flavours/openai-responses.json.
#include "probes/openai_responses.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/probes/flavour_test_support.hpp"

namespace openai_responses_test {

using namespace visionwatch::flavour_test_names;

namespace {

const json& fixture() { return flavour_fixture("openai-responses.json"); }

/// The probe_request the fixture's base64 request was made from.
probe_request fixture_request() {
  const json& body = fixture()["request"]["body_base64_image"];
  return one_image_request("https://api.openai.com/v1",
                           body["model"],
                           body["input"][0]["content"][0]["text"],
                           image_part{body["input"][0]["content"][1]["image_url"], "low"},
                           body["max_output_tokens"].get<int>());
}

reply parse(unsigned status, const json& body, header_list headers = {}) {
  return openai_responses::parse_reply(response(status, body.dump(), std::move(headers)),
                                       fixed_now);
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the responses image request is the fixture's request - byte for byte as JSON") {
    const http_request req = openai_responses::build_request(fixture_request());
    check_fixture_request(req, fixture()["request"]);
    // The data URL is spliced into the body unchanged.
    CHECK(req.body.find("\"image_url\":\"" + fixture_png_data_url() + "\"") != std::string::npos);
    CHECK(header_value(req, "Authorization") == "Bearer " + std::string(test_key));
    CHECK(header_value(req, "Content-Type") == "application/json");
    CHECK(header_value(req, "User-Agent") == default_user_agent());
    CHECK(req.body.find(test_key) == std::string::npos);
  }

  TEST_CASE("a remote image URL with detail auto is the fixture's URL request") {
    const json& want = fixture()["request"]["body_image_url"];
    auto r = fixture_request();
    r.prompt = want["input"][0]["content"][0]["text"];
    r.images = {image_part{want["input"][0]["content"][1]["image_url"], ""}};
    // No detail configured: "auto" (the schema requires the field).
    CHECK(json::parse(openai_responses::build_request(r).body) == want);
  }

  TEST_CASE("the responses control request has only the input_text part and temperature is sent") {
    const json body =
        json::parse(openai_responses::build_request(control_request(fixture_request())).body);
    REQUIRE(body["input"][0]["content"].size() == 1);
    CHECK(body["input"][0]["content"][0]["type"] == "input_text");
    CHECK(body["temperature"] == 0.0);
    CHECK_FALSE(body.contains("max_output_tokens"));
    CHECK(body["store"] == false);
  }

  TEST_CASE("several images go in order - spliced or escaped") {
    auto r = fixture_request();
    r.images = {image_part{"data:image/png;base64,AAAA", "low"},
                image_part{"https://example.com/a\"b.png", "high"},
                image_part{"data:image/jpeg;base64,BBBB", ""}};
    const json body = json::parse(openai_responses::build_request(r).body);
    const json& c = body["input"][0]["content"];
    REQUIRE(c.size() == 4);
    CHECK(c[1]["image_url"] == "data:image/png;base64,AAAA");
    CHECK(c[2]["image_url"] == "https://example.com/a\"b.png");
    CHECK(c[2]["detail"] == "high");
    CHECK(c[3]["image_url"] == "data:image/jpeg;base64,BBBB");
    CHECK(c[3]["detail"] == "auto");
  }

  TEST_CASE("the responses endpoint keeps base_url's query and tolerates a trailing slash") {
    auto r = fixture_request();
    r.base_url = "https://gw.example/openai/v1/?tenant=a";
    CHECK(openai_responses::build_request(r).url ==
          "https://gw.example/openai/v1/responses?tenant=a");
  }

  TEST_CASE("extra headers replace the authorization header and a header is set once") {
    auto r = fixture_request();
    check_extra_headers_replace(r,
                                {{"authorization", "Bearer other"}, {"user-agent", "probe/1"}},
                                openai_responses::build_request);
    r.api_key.clear();
    CHECK(header_count(openai_responses::build_request(r), "authorization") == 0);
  }

  TEST_CASE("the fixture's reply gives text - finish reason - model and usage") {
    const auto r = parse(200, fixture()["response"]["body"]);
    CHECK(r.well_formed);
    CHECK(r.text ==
          fixture()["response"]["body"]["output"][0]["content"][0]["text"].get<std::string>());
    CHECK(r.finish_reason == "stop");
    CHECK(r.model == "gpt-5.4");
    check_usage(r.tokens, {328, 52, 380, std::nullopt, 0});
  }

  TEST_CASE("the streamed final response's usage shape without input_tokens_details parses") {
    const json& events = fixture()["stream_events"];
    const json final_response = events[events.size() - 1]["data"]["response"];
    const auto r = parse(200, final_response);
    CHECK(r.well_formed);
    CHECK(r.text == "Hi there! How can I assist you today?");
    CHECK(r.tokens.prompt_tokens == 37);
    CHECK(r.tokens.completion_tokens == 11);
    CHECK_FALSE(r.tokens.cached_tokens.has_value());
  }

  TEST_CASE("a reasoning item first goes to reasoning and every message item's text is joined") {
    json body = fixture()["response"]["body"];
    body["output"] = json::array(
        {{{"type", "reasoning"},
          {"id", "rs_1"},
          {"summary", json::array({{{"type", "summary_text"}, {"text", "Reading digits."}}})}},
         {{"type", "message"},
          {"role", "assistant"},
          {"content",
           json::array({{{"type", "output_text"}, {"text", "48"}, {"annotations", json::array()}},
                        {{"type", "output_text"}, {"text", "21"}}})}},
         {{"type", "message"},
          {"role", "assistant"},
          {"content", json::array({{{"type", "refusal"}, {"refusal", "Not that."}}})}}});
    const auto r = parse(200, body);
    CHECK(r.well_formed);
    CHECK(r.text == "4821");
    CHECK(r.reasoning == "Reading digits.");
    CHECK(r.refusal == "Not that.");
  }

  TEST_CASE("status incomplete gives the incomplete reason as the finish reason") {
    json body = fixture()["response"]["body"];
    body["status"] = "incomplete";
    body["incomplete_details"] = {{"reason", "max_output_tokens"}};
    body["output"] = json::array();
    auto r = parse(200, body);
    CHECK(r.well_formed);
    CHECK(r.finish_reason == "length");
    CHECK(r.text.empty());
    body["incomplete_details"] = {{"reason", "content_filter"}};
    r = parse(200, body);
    CHECK(r.finish_reason == "content_filter");
  }

  TEST_CASE("a failed response status is malformed and names its error") {
    json body = fixture()["response"]["body"];
    body["status"] = "failed";
    body["output"] = json::array();
    body["error"] = {{"code", "invalid_image"}, {"message", "Invalid image."}};
    const auto r = parse(200, body);
    CHECK_FALSE(r.well_formed);
    CHECK(r.parse_error == "response status failed: Invalid image.");
    CHECK(r.error_code == "invalid_image");
  }

  TEST_CASE("wrong types give a precise parse error") {
    auto r = parse(200, json{{"output", "text"}});
    CHECK(r.parse_error == "output is a string, expected array");
    r = parse(200, json{{"output", json::array({{{"type", "message"}, {"content", 3}}})}});
    CHECK(r.parse_error == "output[0].content is a number, expected array");
    r = parse(200, json{{"id", "x"}});
    CHECK(r.parse_error == "no \"output\" in the body");
    CHECK_FALSE(r.well_formed);
  }

  TEST_CASE("every error body in the responses fixture gives its message - code and retry hint") {
    const json& errors = fixture()["errors"];
    auto r = parse(400, errors["400"]["body"]);
    CHECK(r.error_message == errors["400"]["body"]["error"]["message"].get<std::string>());
    CHECK(r.error_code == "invalid_value");
    r = parse(401, errors["401"]["body"]);
    CHECK(r.error_message ==
          "the API key or token was refused: Incorrect API key provided: "
          "sk-proj-****MxYA. You can find your API key at "
          "https://platform.openai.com/account/api-keys.");
    CHECK(r.error_code == "invalid_api_key");
    r = parse(429, errors["429_rate_limit"]["body"], {{"Retry-After", "20"}});
    CHECK(r.error_code == "rate_limit_exceeded");
    CHECK(r.retry_after == seconds{20});
    r = parse(500, errors["500"]["body"]);
    CHECK(r.error_code == "server_error");
    CHECK(r.error_message.starts_with("The server had an error processing your request."));
    CHECK_FALSE(r.well_formed);
  }

  TEST_CASE("a 429 that says the quota is used up drops its retry hint and says so") {
    const json& body = fixture()["errors"]["429_insufficient_quota"]["body"];
    const auto r = parse(429, body, {{"Retry-After", "2"}});
    CHECK_FALSE(r.retry_after.has_value());
    CHECK(r.error_code == "insufficient_quota");
    CHECK(r.error_message.starts_with(
        "spend or quota limit reached (not retried sooner): You exceeded your current quota"));
  }

  TEST_CASE("retry-after-ms is the retry hint when Retry-After is absent") {
    const json& body = fixture()["errors"]["429_rate_limit"]["body"];
    CHECK(parse(429, body, {{"retry-after-ms", "1500"}}).retry_after == seconds{2});
    CHECK(parse(429, body, {{"retry-after-ms", "1500"}, {"Retry-After", "7"}}).retry_after ==
          seconds{7});
    CHECK_FALSE(parse(429, body, {{"retry-after-ms", "soon"}}).retry_after.has_value());
  }

  TEST_CASE("the flavour table dispatches openai-responses") {
    CHECK(api_flavour_from_string("openai-responses") == api_flavour::openai_responses);
    const auto req = build_request(api_flavour::openai_responses, fixture_request());
    CHECK(req.url.ends_with("/responses"));
    CHECK(parse_reply(api_flavour::openai_responses,
                      response(200, fixture()["response"]["body"].dump()))
              .well_formed);
  }
}

}  // namespace openai_responses_test
