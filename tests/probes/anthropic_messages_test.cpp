// The anthropic-messages flavour against the wire data in api-flavours/anthropic-messages.json.
#include "probes/anthropic_messages.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "probes/verdict.hpp"
#include "tests/probes/flavour_test_support.hpp"

namespace anthropic_messages_test {

using namespace visionwatch::flavour_test_names;

namespace {

const json& fixture() { return flavour_fixture("anthropic-messages.json"); }

/// The probe_request the fixture's base64 request was made from.
probe_request fixture_request() {
  const json& body = fixture()["request"]["body_base64_image"];
  return one_image_request("https://api.anthropic.com/v1",
                           body["model"],
                           body["messages"][0]["content"][1]["text"],
                           image_part{fixture_png_data_url(), "low"},
                           body["max_tokens"].get<int>());
}

reply parse(unsigned status, const json& body, header_list headers = {}) {
  return anthropic_messages::parse_reply(response(status, body.dump(), std::move(headers)),
                                         fixed_now);
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the messages image request is the fixture's request - byte for byte as JSON") {
    const http_request req = anthropic_messages::build_request(fixture_request());
    check_fixture_request(req, fixture()["request"]);
    CHECK(req.body.find(std::string("\"data\":\"") + std::string(fixture_png_base64) + "\"") !=
          std::string::npos);
    CHECK(header_value(req, "x-api-key") == test_key);
    CHECK(header_value(req, "anthropic-version") == "2023-06-01");
    CHECK(header_value(req, "content-type") == "application/json");
    CHECK(header_count(req, "authorization") == 0);
    CHECK(req.body.find(test_key) == std::string::npos);
  }

  TEST_CASE("a remote image is a url source and the fixture's URL request") {
    const json& want = fixture()["request"]["body_image_url"];
    auto r = fixture_request();
    r.prompt = want["messages"][0]["content"][1]["text"];
    r.images = {image_part{want["messages"][0]["content"][0]["source"]["url"], "auto"}};
    CHECK(json::parse(anthropic_messages::build_request(r).body) == want);
  }

  TEST_CASE("the media type comes from the data URL and images keep their order") {
    auto r = fixture_request();
    r.images = {image_part{"data:image/jpeg;base64,/9j/AAAA", ""},
                image_part{"https://example.com/x.png", ""},
                image_part{"data:image/webp;base64,UklG", ""}};
    const json body = json::parse(anthropic_messages::build_request(r).body);
    const json& c = body["messages"][0]["content"];
    REQUIRE(c.size() == 4);
    CHECK(c[0]["source"] ==
          json{{"type", "base64"}, {"media_type", "image/jpeg"}, {"data", "/9j/AAAA"}});
    CHECK(c[1]["source"] == json{{"type", "url"}, {"url", "https://example.com/x.png"}});
    CHECK(c[2]["source"]["media_type"] == "image/webp");
    CHECK(c[2]["source"]["data"] == "UklG");
    CHECK(c[3]["type"] == "text");
  }

  TEST_CASE("max_tokens is always sent: the route's value or the documented default") {
    const auto r = control_request(fixture_request());
    const json body = json::parse(anthropic_messages::build_request(r).body);
    CHECK(body["max_tokens"] == default_anthropic_max_tokens);
    CHECK(body["temperature"] == 0.0);
    REQUIRE(body["messages"][0]["content"].size() == 1);
    CHECK(body["messages"][0]["content"][0] == json{{"type", "text"}, {"text", r.prompt}});
  }

  TEST_CASE("anthropic_version - a bearer token and extra headers set each header once") {
    auto r = fixture_request();
    r.anthropic_version = "2024-01-01";
    CHECK(header_value(anthropic_messages::build_request(r), "anthropic-version") == "2024-01-01");
    check_extra_headers_replace(r,
                                {{"Anthropic-Version", "2025-01-01"}, {"X-Api-Key", "other-key-123"}},
                                anthropic_messages::build_request);
    r.bearer_token = true;
    const auto req = anthropic_messages::build_request(r);
    CHECK(header_value(req, "Authorization") == "Bearer " + std::string(test_key));
    CHECK(header_count(req, "x-api-key") == 0);
  }

  TEST_CASE("the messages endpoint keeps base_url's query and tolerates a trailing slash") {
    auto r = fixture_request();
    r.base_url = "https://gw.example/anthropic/v1/?beta=true";
    CHECK(anthropic_messages::build_request(r).url ==
          "https://gw.example/anthropic/v1/messages?beta=true");
  }

  TEST_CASE("the fixture's reply gives text - stop - model and usage with a computed total") {
    const auto r = parse(200, fixture()["response"]["body"]);
    CHECK(r.well_formed);
    CHECK(r.text == "A small green square on a plain background.");
    CHECK(r.finish_reason == "stop");
    CHECK(r.model == "claude-haiku-4-5-20251001");
    check_usage(r.tokens, {75, 12, 87, std::nullopt, 0});
  }

  TEST_CASE("cache reads and writes count as input and usage without cache fields parses") {
    json body = fixture()["response"]["body"];
    body["usage"]["cache_creation_input_tokens"] = 100;
    body["usage"]["cache_read_input_tokens"] = 1000;
    auto r = parse(200, body);
    CHECK(r.tokens.prompt_tokens == 1175);
    CHECK(r.tokens.cached_tokens == 1000);
    CHECK(r.tokens.total_tokens == 1187);
    // message_start's usage shape: input and output only.
    body["usage"] = fixture()["stream_events"][0]["data"]["message"]["usage"];
    r = parse(200, body);
    CHECK(r.tokens.prompt_tokens == 11);
    CHECK(r.tokens.completion_tokens == 1);
    CHECK_FALSE(r.tokens.cached_tokens.has_value());
    body.erase("usage");
    CHECK_FALSE(parse(200, body).tokens.present());
  }

  TEST_CASE("thinking blocks go to reasoning and only text blocks are the answer") {
    json body = fixture()["response"]["body"];
    body["content"] = json::array(
        {{{"type", "thinking"}, {"thinking", "The digits are 4821."}, {"signature", "abc"}},
         {{"type", "redacted_thinking"}, {"data", "xyz"}},
         {{"type", "text"}, {"text", "48"}},
         {{"type", "text"}, {"text", "21"}}});
    const auto r = parse(200, body);
    CHECK(r.text == "4821");
    CHECK(r.reasoning == "The digits are 4821.");
  }

  TEST_CASE("stop reasons map to chat's: max_tokens is length and refusal is a refusal") {
    json body = fixture()["response"]["body"];
    body["stop_reason"] = "max_tokens";
    body["content"] = json::array();
    auto r = parse(200, body);
    CHECK(r.finish_reason == "length");
    CHECK(r.refusal.empty());
    body["stop_reason"] = "refusal";
    r = parse(200, body);
    CHECK(r.finish_reason == "refusal");
    CHECK(r.refusal == "stop_reason refusal");
    body["content"] = json::array({{{"type", "text"}, {"text", "I can't help with that."}}});
    r = parse(200, body);
    CHECK(r.refusal == "I can't help with that.");
    body["stop_reason"] = "pause_turn";
    CHECK(parse(200, body).finish_reason == "pause_turn");
  }

  TEST_CASE("wrong types give a precise parse error") {
    auto r = parse(200, json{{"type", "message"}, {"content", "text"}});
    CHECK(r.parse_error == "content is a string, expected array");
    r = parse(200, json::array({1}));
    CHECK(r.parse_error == "the body is an array, expected an object");
    CHECK_FALSE(r.well_formed);
  }

  TEST_CASE("every error body in the messages fixture gives its message and type") {
    const json& errors = fixture()["errors"];
    auto r = parse(400, errors["400"]["body"]);
    CHECK(r.error_message == "Could not process image");
    CHECK(r.error_code == "invalid_request_error");
    r = parse(401, errors["401"]["body"]);
    CHECK(r.error_message == "the API key or token was refused: invalid x-api-key");
    CHECK(r.error_code == "authentication_error");
    r = parse(429, errors["429"]["body"], {{"retry-after", "30"}});
    CHECK(r.error_code == "rate_limit_error");
    CHECK(r.retry_after == seconds{30});
    r = parse(500, errors["500"]["body"]);
    CHECK(r.error_code == "api_error");
    r = parse(529, errors["529"]["body"]);
    CHECK(r.error_message == "Overloaded");
    CHECK(r.error_code == "overloaded_error");
    CHECK_FALSE(r.well_formed);
  }

  TEST_CASE("a 529 overloaded_error is a 5xx-class failure and a 401 says the key was refused") {
    const json& errors = fixture()["errors"];
    http_result http = response(529, errors["529"]["body"].dump());
    reply rep = anthropic_messages::parse_reply(http, fixed_now);
    verdict v = judge(http, rep, answer_expectation{}, std::nullopt, verdict_checks{});
    CHECK(v.result == outcome::http_5xx);
    CHECK(v.reason == "HTTP 529: Overloaded (overloaded_error)");

    http = response(401, errors["401"]["body"].dump());
    rep = anthropic_messages::parse_reply(http, fixed_now);
    v = judge(http, rep, answer_expectation{}, std::nullopt, verdict_checks{});
    CHECK(v.result == outcome::http_4xx);
    CHECK(v.reason ==
          "HTTP 401: the API key or token was refused: invalid x-api-key (authentication_error)");
  }

  TEST_CASE("a 429 at the spend limit drops its retry hint and names the limit") {
    const json body = anthropic_spend_limit_error("You have reached your spend limit.");
    const auto r = parse(429, body, {{"retry-after", "5"}});
    CHECK_FALSE(r.retry_after.has_value());
    CHECK(r.error_code == "enforced_spend_limit_reached");
    CHECK(r.error_message ==
          "spend or quota limit reached (not retried sooner): You have reached your spend limit.");
  }

  TEST_CASE("the flavour table dispatches anthropic-messages") {
    CHECK(api_flavour_from_string("anthropic-messages") == api_flavour::anthropic_messages);
    CHECK(build_request(api_flavour::anthropic_messages, fixture_request()).url ==
          "https://api.anthropic.com/v1/messages");
  }
}

}  // namespace anthropic_messages_test
