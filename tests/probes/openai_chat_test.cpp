#include "probes/openai_chat.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "probes/adapter.hpp"
#include "probes/text_util.hpp"
#include "tests/probes/flavour_test_support.hpp"

namespace openai_chat_test {

using namespace visionwatch::flavour_test_names;

namespace {

const json& schema() {
  static const json s =
      json::parse(test::read_file(test::fixtures_dir() / "openai-openapi-subset.json"));
  return s;
}

const json& real_replies() {
  static const json s = json::parse(test::read_file(test::fixtures_dir() / "real-replies.json"));
  return s;
}

probe_request image_request() {
  auto r = one_image_request("https://gateway.example/v1",
                             "gpt-4.1-mini",
                             "What number is written in the image? Reply with the digits only.",
                             image_part{png_data_url("\x89PNG fake"), "low"},
                             50,
                             "sk-test-secret");
  r.temperature = 0.0;
  return r;
}

/// Checks `value` against a schema object from the fixture: required keys present, declared
/// property types and enums respected (the subset of JSON Schema the request parts use).
void check_against(const json& value, const json& sch, const std::string& where) {
  INFO(where);
  const std::string type = sch.value("type", "");
  if (type == "object") {
    REQUIRE(value.is_object());
    for (const auto& key : sch.value("required", json::array())) {
      CHECK_MESSAGE(value.contains(key.get<std::string>()), "missing required key " << key);
    }
    const json props = sch.value("properties", json::object());
    for (const auto& [key, v] : value.items()) {
      REQUIRE_MESSAGE(props.contains(key), "key not in schema: " << key);
      std::string child = where;
      child.append(".").append(key);
      check_against(v, props[key], child);
    }
  } else if (type == "string") {
    CHECK(value.is_string());
    if (sch.contains("enum")) {
      CHECK_MESSAGE(std::find(sch["enum"].begin(), sch["enum"].end(), value) != sch["enum"].end(),
                    value << " not in enum");
    }
  } else if (type == "integer") {
    CHECK(value.is_number_integer());
  }
}

reply parse(unsigned status, std::string body, header_list headers = {}) {
  return openai_chat::parse_reply(response(status, std::move(body), std::move(headers)), fixed_now);
}

std::string ok_body(const json& content, const json& usage = nullptr) {
  json b = {{"id", "chatcmpl-1"},
            {"object", "chat.completion"},
            {"choices",
             json::array({{{"index", 0},
                           {"message", {{"role", "assistant"}, {"content", content}}},
                           {"finish_reason", "stop"},
                           {"logprobs", nullptr}}})}};
  if (!usage.is_null()) {
    b["usage"] = usage;
  }
  return b.dump();
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the image request body follows the OpenAI schema for user messages and parts") {
    const auto req = openai_chat::build_request(image_request());
    const json body = json::parse(req.body);
    const json& s = schema()["schemas"];

    for (const auto& key : schema()["CreateChatCompletionRequest_outline"]["required"]) {
      CHECK(body.contains(key.get<std::string>()));
    }
    // temperature comes from the allOf CreateModelResponseProperties, outside the subset.
    json own = schema()["CreateChatCompletionRequest_outline"]["own_properties"];
    own.push_back("temperature");
    for (const auto& [key, v] : body.items()) {
      CHECK_MESSAGE(std::find(own.begin(), own.end(), key) != own.end(), key);
    }
    REQUIRE(body["messages"].size() == 1);
    const json& msg = body["messages"][0];
    CHECK(msg["role"] == "user");
    for (const auto& key : s["ChatCompletionRequestUserMessage"]["required"]) {
      CHECK(msg.contains(key.get<std::string>()));
    }
    const json& content = msg["content"];
    REQUIRE(content.is_array());
    REQUIRE(content.size() == 2);
    check_against(content[0], s["ChatCompletionRequestMessageContentPartText"], "content[0]");
    check_against(content[1], s["ChatCompletionRequestMessageContentPartImage"], "content[1]");
    CHECK(content[0]["text"] == image_request().prompt);
    CHECK(content[1]["image_url"]["url"].get<std::string>().starts_with("data:image/png;base64,"));
    CHECK(content[1]["image_url"]["detail"] == "low");
    CHECK(body["model"] == "gpt-4.1-mini");
    CHECK(body["max_tokens"] == 50);
    CHECK_FALSE(body.contains("max_completion_tokens"));
    CHECK(body["temperature"] == 0.0);
  }

  TEST_CASE("the text-only control request has no image part") {
    auto r = image_request();
    r.images.clear();
    const json body = json::parse(openai_chat::build_request(r).body);
    const json& content = body["messages"][0]["content"];
    REQUIRE(content.size() == 1);
    check_against(content[0],
                  schema()["schemas"]["ChatCompletionRequestMessageContentPartText"],
                  "content[0]");
  }

  TEST_CASE("optional request fields are omitted or renamed as configured") {
    auto r = image_request();
    r.max_tokens.reset();
    r.temperature.reset();
    r.images.front().detail.clear();
    json body = json::parse(openai_chat::build_request(r).body);
    CHECK_FALSE(body.contains("max_tokens"));
    CHECK_FALSE(body.contains("temperature"));
    CHECK_FALSE(body["messages"][0]["content"][1]["image_url"].contains("detail"));

    r.max_tokens = 20;
    r.use_max_completion_tokens = true;
    body = json::parse(openai_chat::build_request(r).body);
    CHECK(body["max_completion_tokens"] == 20);
    CHECK_FALSE(body.contains("max_tokens"));
  }

  TEST_CASE("a prompt with invalid UTF-8 is sent with replacement characters") {
    auto r = image_request();
    r.prompt = "digits \xff please";
    const json body = json::parse(openai_chat::build_request(r).body);
    CHECK(body["messages"][0]["content"][0]["text"] == "digits \xEF\xBF\xBD please");
  }

  TEST_CASE("the endpoint joins base_url and /chat/completions without a double slash") {
    CHECK(openai_chat::endpoint_url("https://a.example/v1") ==
          "https://a.example/v1/chat/completions");
    CHECK(openai_chat::endpoint_url("https://a.example/v1/") ==
          "https://a.example/v1/chat/completions");
    CHECK(openai_chat::endpoint_url("https://a.example/v1//") ==
          "https://a.example/v1/chat/completions");
    CHECK(openai_chat::endpoint_url("https://a.example/v1/chat/completions") ==
          "https://a.example/v1/chat/completions");
    CHECK(build_request(api_flavour::openai_chat, image_request()).url ==
          "https://gateway.example/v1/chat/completions");
    CHECK(build_request(api_flavour::openai_chat, image_request()).method == "POST");
  }

  TEST_CASE(
      "request headers have defaults and a bearer only with a key and extras override without "
      "duplicates") {
    auto r = image_request();
    auto req = openai_chat::build_request(r);
    CHECK(header_value(req, "Content-Type") == "application/json");
    CHECK(header_value(req, "Accept") == "application/json");
    CHECK(header_value(req, "Authorization") == "Bearer sk-test-secret");
    CHECK(header_value(req, "User-Agent") == std::string(default_user_agent()));
    CHECK(default_user_agent().starts_with("visionwatch/"));
    CHECK(default_user_agent().size() > std::string_view("visionwatch/").size());

    r.api_key.clear();
    req = openai_chat::build_request(r);
    CHECK(header_count(req, "authorization") == 0);

    r.extra_headers = {{"user-agent", "probe/1"},
                       {"X-Title", "visionwatch"},
                       {"authorization", "Basic abc"},
                       {"x-title", "second"}};
    req = openai_chat::build_request(r);
    check_header_once(req, "User-Agent", "probe/1");
    check_header_once(req, "Authorization", "Basic abc");
    check_header_once(req, "X-Title", "second");
  }

  TEST_CASE("png_data_url encodes base64 with padding") {
    CHECK(png_data_url("") == "data:image/png;base64,");
    CHECK(png_data_url("f") == "data:image/png;base64,Zg==");
    CHECK(png_data_url("fo") == "data:image/png;base64,Zm8=");
    CHECK(png_data_url("foo") == "data:image/png;base64,Zm9v");
    CHECK(png_data_url("foobar") == "data:image/png;base64,Zm9vYmFy");
    CHECK(png_data_url(std::string("\x00\xff\xfe", 3)) == "data:image/png;base64,AP/+");
  }

  TEST_CASE("a healthy reply gives text and finish reason and usage") {
    const auto r =
        parse(200,
              ok_body("4821",
                      {{"prompt_tokens", 159},
                       {"completion_tokens", 2},
                       {"total_tokens", 161},
                       {"prompt_tokens_details", {{"cached_tokens", 0}, {"image_tokens", 85}}}}));
    CHECK(r.well_formed);
    CHECK(r.parse_error.empty());
    CHECK(r.text == "4821");
    CHECK(r.finish_reason == "stop");
    check_usage(r.tokens, {159, 2, 161, 85, 0});
    CHECK(r.error_message.empty());
    CHECK_FALSE(r.retry_after.has_value());
  }

  TEST_CASE("content given as an array of parts is concatenated and refusal parts go to refusal") {
    const json parts = json::array({{{"type", "text"}, {"text", "48"}},
                                    {{"type", "image_url"}, {"image_url", {{"url", "x"}}}},
                                    {{"type", "text"}, {"text", "21"}},
                                    {{"type", "refusal"}, {"refusal", "no more"}},
                                    "!"});
    const auto r = parse(200, ok_body(parts));
    CHECK(r.well_formed);
    CHECK(r.text == "4821!");
    CHECK(r.refusal == "no more");
  }

  TEST_CASE("an explicit refusal field and a null content are well formed") {
    json b = json::parse(ok_body(nullptr));
    b["choices"][0]["message"]["refusal"] = "I can't help with that.";
    b["choices"][0]["finish_reason"] = "content_filter";
    const auto r = parse(200, b.dump());
    CHECK(r.well_formed);
    CHECK(r.text.empty());
    CHECK(r.refusal == "I can't help with that.");
    CHECK(r.finish_reason == "content_filter");
  }

  TEST_CASE("Gemini's null prompt_tokens_details and absent usage are tolerated") {
    auto r = parse(200,
                   ok_body("7",
                           {{"prompt_tokens", 1109},
                            {"completion_tokens", 1},
                            {"total_tokens", 1110},
                            {"prompt_tokens_details", nullptr}}));
    CHECK(r.well_formed);
    CHECK(r.tokens.prompt_tokens == 1109);
    CHECK_FALSE(r.tokens.image_tokens.has_value());
    CHECK_FALSE(r.tokens.cached_tokens.has_value());

    r = parse(200, ok_body("7"));
    CHECK(r.well_formed);
    CHECK_FALSE(r.tokens.present());

    json b = json::parse(ok_body("7"));
    b["usage"] = nullptr;
    r = parse(200, b.dump());
    CHECK(r.well_formed);
    CHECK_FALSE(r.tokens.present());
  }

  TEST_CASE("token counts accept integral floats and digit strings and treat junk as absent") {
    const auto r = parse(
        200,
        ok_body("7",
                {{"prompt_tokens", 159.0},
                 {"completion_tokens", "12"},
                 {"total_tokens", -5},
                 {"prompt_tokens_details", {{"image_tokens", 10.5}, {"cached_tokens", 2e13}}}}));
    CHECK(r.well_formed);
    CHECK(r.tokens.prompt_tokens == 159);
    CHECK(r.tokens.completion_tokens == 12);
    CHECK_FALSE(r.tokens.total_tokens.has_value());
    CHECK_FALSE(r.tokens.image_tokens.has_value());
    CHECK_FALSE(r.tokens.cached_tokens.has_value());

    const auto big = parse(200,
                           R"({"choices":[{"message":{"content":"7"}}],
                               "usage":{"prompt_tokens":1180591620717411303424,
                                        "completion_tokens":"-3","total_tokens":"1e3"}})");
    CHECK(big.well_formed);
    CHECK_FALSE(big.tokens.prompt_tokens.has_value());
    CHECK_FALSE(big.tokens.completion_tokens.has_value());
    CHECK_FALSE(big.tokens.total_tokens.has_value());
  }

  TEST_CASE("wrong types give a precise parse error") {
    CHECK(parse(200, R"({"choices":[{"message":{"content":42}}]})").parse_error ==
          "choices[0].message.content is a number, expected string or array");
    CHECK(parse(200, R"({"choices":[{"message":{"content":{"a":1}}}]})").parse_error ==
          "choices[0].message.content is an object, expected string or array");
    CHECK(parse(200, R"({"choices":{}})").parse_error == "choices is an object, expected array");
    CHECK(parse(200, R"({"choices":[]})").parse_error == "choices is empty");
    CHECK(parse(200, R"({"choices":[7]})").parse_error ==
          "choices[0] is a number, expected object");
    CHECK(parse(200, R"({"choices":[{"message":"hi"}]})").parse_error ==
          "choices[0].message is a string, expected object");
    CHECK(parse(200, R"({"choices":[{"finish_reason":"stop"}]})").parse_error ==
          "no choices[0].message in the body");
    CHECK(parse(200, R"({"choices":[{"message":{"content":"x","refusal":1}}]})").parse_error ==
          "choices[0].message.refusal is a number, expected string or null");
    CHECK(parse(200, R"({"id":"x"})").parse_error == "no \"choices\" in the body");
    CHECK(parse(200, R"([1,2])").parse_error == "the body is an array, expected an object");
    CHECK(parse(200, "").parse_error == "empty body");
    const auto r = parse(200, R"({"choices":[{"message":{"content":42}}]})");
    CHECK_FALSE(r.well_formed);
  }

  TEST_CASE("a 200 carrying an error object is malformed and keeps the error") {
    const auto r = parse(200, R"({"error":{"message":"upstream failed","code":502}})");
    CHECK_FALSE(r.well_formed);
    CHECK(r.parse_error == "no \"choices\" in the body; error: upstream failed");
    CHECK(r.error_message == "upstream failed");
    CHECK(r.error_code == "502");
  }

  TEST_CASE("the legacy choices[0].text shape is accepted") {
    const auto r = parse(200, R"({"choices":[{"text":"4821","finish_reason":"stop"}]})");
    CHECK(r.well_formed);
    CHECK(r.text == "4821");
  }

  TEST_CASE("every real error body in the fixture gives its message and code and retry hint") {
    struct expected_error {
      std::string message;
      std::string code;
      std::optional<seconds> retry;
    };
    const std::vector<expected_error> want = {
        {"Invalid image URL: 'messages[0].content[1].image_url.url'. Expected a base64-encoded "
         "data URL with an image MIME type ...",
         "invalid_value",
         std::nullopt},
        {"invalid image input", "invalid_request_error", std::nullopt},
        {"No endpoints found that support image input", "404", std::nullopt},
        {"Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED", seconds{37}},
        {"Overloaded", "overloaded_error", std::nullopt},
        {"...", "rate_limit_error", std::nullopt},
        {"Rate limit reached ...", "rate_limit_exceeded", seconds{20}},
    };
    const json& errors = real_replies()["errors"];
    REQUIRE(errors.size() == want.size());
    for (std::size_t i = 0; i < errors.size(); ++i) {
      const json& e = errors[i];
      CAPTURE(e.dump());
      header_list headers;
      if (e.contains("headers")) {
        for (const auto& [k, v] : e["headers"].items()) {
          headers.emplace_back(k, v.get<std::string>());  // response() lower-cases names
        }
      }
      const auto r = parse(e["http_status"].get<unsigned>(), e["body"].dump(), std::move(headers));
      CHECK_FALSE(r.well_formed);
      CHECK(r.error_message == want[i].message);
      CHECK(r.error_code == want[i].code);
      CHECK(r.retry_after == want[i].retry);
    }
  }

  TEST_CASE(
      "other error shapes are understood: plain string and top-level message and detail and "
      "array-wrapped") {
    auto r = parse(404, R"({"error":"model 'llava' not found"})");
    CHECK(r.error_message == "model 'llava' not found");
    r = parse(
        400,
        R"({"object":"error","message":"image too large","type":"BadRequestError","code":400})");
    CHECK(r.error_message == "image too large");
    CHECK(r.error_code == "BadRequestError");
    r = parse(422, R"({"detail":"Field required"})");
    CHECK(r.error_message == "Field required");
    r = parse(429,
              R"([{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED",
                  "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2.5s"}]}}])");
    CHECK(r.error_message == "quota");
    CHECK(r.error_code == "RESOURCE_EXHAUSTED");
    CHECK(r.retry_after == seconds{3});
  }

  TEST_CASE(
      "Retry-After is delta seconds or an HTTP date against the Date header or the given now") {
    auto r = parse(429, "{}", {{"retry-after", "20"}});
    CHECK(r.retry_after == seconds{20});
    // The response's Date header is the reference clock.
    r = parse(429,
              "{}",
              {{"retry-after", "Wed, 21 Oct 2015 07:28:30 GMT"},
               {"date", "Wed, 21 Oct 2015 07:28:00 GMT"}});
    CHECK(r.retry_after == seconds{30});
    // Without a Date header: the caller's now.
    r = parse(429, "{}", {{"retry-after", "Sun, 01 Mar 2026 12:01:05 GMT"}});
    CHECK(r.retry_after == seconds{65});
    // A header wins over Gemini's body hint.
    r = parse(429,
              R"({"error":{"details":[{"@type":"x/google.rpc.RetryInfo","retryDelay":"37s"}]}})",
              {{"retry-after", "5"}});
    CHECK(r.retry_after == seconds{5});
    r = parse(429, "{}", {{"retry-after", "soon"}});
    CHECK_FALSE(r.retry_after.has_value());
  }

  TEST_CASE(
      "an HTML error page gives its title as the message and a safe quote as the parse error") {
    const std::string page =
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body></html>";
    auto r = parse(502, page);
    CHECK_FALSE(r.well_formed);
    CHECK(r.error_message == "502 Bad Gateway");
    CHECK(r.parse_error.starts_with("body is not JSON: starts with '<html> <head><title>502"));

    r = parse(200, std::string("\x01\x02<!DOCTYPE html>\n\xff\xfe") + std::string(500, 'x'));
    CHECK_FALSE(r.well_formed);
    CHECK(r.parse_error.size() < 120);
    CHECK(is_valid_utf8(r.parse_error));
    CHECK(r.parse_error.find('\n') == std::string::npos);
    CHECK(r.parse_error.find('\x01') == std::string::npos);

    r = parse(503, "Service Unavailable\n");
    CHECK(r.error_message == "Service Unavailable");
  }

  TEST_CASE("truncated JSON is a clean parse error") {
    const std::string body = ok_body("4821", {{"prompt_tokens", 1}});
    for (std::size_t cut : {body.size() / 2, std::size_t{13}, body.size() - 1}) {
      const auto r = parse(200, body.substr(0, cut));
      CHECK_FALSE(r.well_formed);
      CHECK(r.parse_error ==
            "truncated JSON: unexpected end of input after " + std::to_string(cut) + " bytes");
    }
    const auto g = parse(200, R"({"choices": [}])");
    CHECK(g.parse_error.starts_with("invalid JSON at byte "));
    CHECK(g.parse_error.find("last read") == std::string::npos);
  }

  TEST_CASE("deep nesting is refused before parsing") {
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    const auto r = parse(200, deep);
    CHECK_FALSE(r.well_formed);
    CHECK(r.parse_error == "JSON nested deeper than 64 levels (at byte 64)");
    // Brackets inside strings do not count.
    const auto s = parse(200, ok_body(std::string(1000, '[')));
    CHECK(s.well_formed);
  }

  TEST_CASE("invalid UTF-8 in the content still parses with replacement characters") {
    const auto r = parse(200,
                         "{\"choices\":[{\"message\":{\"content\":\"48\xff\xc3\x28"
                         "21\"}}]}");
    CHECK(r.well_formed);
    CHECK(r.text == "48\xEF\xBF\xBD\xEF\xBF\xBD(21");
  }

  TEST_CASE("numbers beyond double range are a clean parse error") {
    const auto r = parse(200, R"({"choices":[{"message":{"content":"7"}}],"created":1e400})");
    CHECK_FALSE(r.well_formed);
    CHECK_FALSE(r.parse_error.empty());
    CHECK(r.parse_error.find("last read") == std::string::npos);
  }

  TEST_CASE("the answer text is capped on a code point boundary") {
    std::string big;
    while (big.size() < reply_text_limit + 10) {
      big += "\xE2\x82\xAC";  // €
    }
    const auto r = parse(200, ok_body(big));
    CHECK(r.well_formed);
    CHECK(r.text.size() <= reply_text_limit);
    CHECK(r.text.size() > reply_text_limit - 4);
    CHECK(is_valid_utf8(r.text));
  }

  TEST_CASE("a transport failure parses to a malformed reply without touching the body") {
    http_result h;
    h.transport_error = outcome::timeout;
    h.reason = "total deadline 30s passed";
    const auto r = parse_reply(api_flavour::openai_chat, h, fixed_now);
    CHECK_FALSE(r.well_formed);
    CHECK(r.parse_error == "no response: total deadline 30s passed");
  }
  TEST_CASE("the served model is read from the reply and bounded to one line") {
    json b = json::parse(ok_body("4821"));
    b["model"] = "gpt-4o-mini-2024-07-18";
    CHECK(parse(200, b.dump()).model == "gpt-4o-mini-2024-07-18");
    b["model"] = nullptr;
    CHECK(parse(200, b.dump()).model.empty());
    b["model"] = 42;
    auto r = parse(200, b.dump());
    CHECK(r.well_formed);
    CHECK(r.model.empty());
    b["model"] = "evil\nmodel" + std::string(1000, 'x');
    r = parse(200, b.dump());
    CHECK(r.model.find('\n') == std::string::npos);
    CHECK(r.model.size() <= reply_model_limit);
  }

  TEST_CASE("think blocks and reasoning fields and thinking parts go to reasoning - not the text") {
    auto r = parse(200, ok_body("<think>\nNo image? There it is.\n</think>\n\n4821"));
    CHECK(r.text == "4821");
    CHECK(r.reasoning == "No image? There it is.");
    r = parse(200, ok_body("<thinking>a</thinking>4821<thinking>b</thinking>"));
    CHECK(r.text == "4821");
    CHECK(r.reasoning == "a\n\nb");
    r = parse(200, ok_body("<think>still thinking when the limit came"));
    CHECK(r.text.empty());
    CHECK(r.reasoning == "still thinking when the limit came");
    r = parse(200, ok_body("template opened it</think>4821"));
    CHECK(r.text == "4821");
    CHECK(r.reasoning == "template opened it");

    json b = json::parse(ok_body("4821"));
    b["choices"][0]["message"]["reasoning_content"] = "I cannot see the image... yes I can.";
    r = parse(200, b.dump());
    CHECK(r.text == "4821");
    CHECK(r.reasoning == "I cannot see the image... yes I can.");
    b["choices"][0]["message"].erase("reasoning_content");
    b["choices"][0]["message"]["reasoning"] = "OpenRouter's field";
    CHECK(parse(200, b.dump()).reasoning == "OpenRouter's field");

    r = parse(200,
              ok_body(json::array({{{"type", "thinking"}, {"thinking", "hmm"}},
                                   {{"type", "text"}, {"text", "4821"}}})));
    CHECK(r.text == "4821");
    CHECK(r.reasoning == "hmm");
    // Text without tags is untouched (not even trimmed).
    CHECK(parse(200, ok_body(" 4821 ")).text == " 4821 ");
  }

  TEST_CASE("reasoning is capped like the text") {
    const std::string huge(reply_text_limit + 5000, 'r');
    const auto r = parse(200, ok_body("<think>" + huge + "</think>4821"));
    CHECK(r.text == "4821");
    CHECK(r.reasoning.size() <= reply_text_limit);
    CHECK(is_valid_utf8(r.reasoning));
  }
}

}  // namespace openai_chat_test
