#include "probes/gemini.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "probes/adapter.hpp"
#include "probes/text_util.hpp"
#include "tests/probes/flavour_test_support.hpp"
#include "tests/probes/reply_invariants.hpp"

namespace gemini_test {

using namespace visionwatch::flavour_test_names;

namespace {

const json& fixture() { return test::flavour_fixture("gemini-generatecontent.json"); }

probe_request image_request() {
  return one_image_request("https://generativelanguage.googleapis.com/v1beta",
                           "gemini-2.5-flash",
                           "What is in this image? Answer in one short sentence.",
                           image_part{fixture_png_data_url(), "low"},
                           256,
                           "AIzaTESTSECRETgemini0123456789");
}

reply parse(unsigned status, const json& body, header_list headers = {}) {
  return gemini::parse_reply(response(status, body.dump(), std::move(headers)), fixed_now);
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE(
      "gemini: the image request is the fixture's body - byte for byte - at the fixture's URL") {
    const auto req = gemini::build_request(image_request());
    CHECK(req.method == "POST");
    CHECK(req.url == fixture()["request"]["url"].get<std::string>());
    // The fixture's body without its thinkingConfig (visionwatch sends no thinking settings), in
    // the same order of parts: the image, then the question.
    json expected = fixture()["request"]["body_base64_image"];
    expected["generationConfig"].erase("thinkingConfig");
    CHECK(req.body == expected.dump());
    CHECK(header_value(req, "x-goog-api-key") == image_request().api_key);
    CHECK(header_value(req, "content-type") == "application/json");
    CHECK(header_count(req, "authorization") == 0);
    CHECK(req.body.find(image_request().api_key) == std::string::npos);
    CHECK(req.url.find(image_request().api_key) == std::string::npos);
  }

  TEST_CASE("gemini: the control request is text only - temperature goes in generationConfig") {
    auto r = control_request(image_request());
    const json body = json::parse(gemini::build_request(r).body);
    CHECK(body == json::parse(R"({"contents":[{"role":"user","parts":[{"text":
          "What is in this image? Answer in one short sentence."}]}],
          "generationConfig":{"temperature":0.0}})"));
    r.temperature.reset();
    CHECK_FALSE(json::parse(gemini::build_request(r).body).contains("generationConfig"));
  }

  TEST_CASE(
      "gemini: a remote image URL becomes file_data as in the fixture - images stay in order") {
    auto r = image_request();
    r.images = {image_part{"https://upload.wikimedia.org/wikipedia/commons/a/a7/"
                           "Camponotus_flavomarginatus_ant.jpg",
                           ""},
                image_part{"data:image/jpeg;base64,/9j/AAAA", ""},
                image_part{"https://media.example/m/abc.png?sig=1", ""}};
    r.prompt = "Describe this image.";
    const json body = json::parse(gemini::build_request(r).body);
    const json& parts = body["contents"][0]["parts"];
    REQUIRE(parts.size() == 4);
    CHECK(parts[0] == fixture()["request"]["body_image_url"]["contents"][0]["parts"][0]);
    CHECK(parts[1] ==
          json::parse(R"({"inline_data":{"mime_type":"image/jpeg","data":"/9j/AAAA"}})"));
    CHECK(parts[2]["file_data"]["mime_type"] == "image/png");
    CHECK(parts[3] == json{{"text", "Describe this image."}});
  }

  TEST_CASE("gemini: the endpoint keeps a query string - tolerates slashes and encodes the model") {
    CHECK(gemini::endpoint_url("https://h/v1beta/", "gemini-2.5-flash") ==
          "https://h/v1beta/models/gemini-2.5-flash:generateContent");
    CHECK(gemini::endpoint_url("https://h/v1beta", "models/gemini-2.5-pro") ==
          "https://h/v1beta/models/gemini-2.5-pro:generateContent");
    CHECK(gemini::endpoint_url("https://proxy/gemini/v1beta?tenant=a", "g 1") ==
          "https://proxy/gemini/v1beta/models/g%201:generateContent?tenant=a");
  }

  TEST_CASE("gemini: extra headers replace the key header instead of doubling it") {
    check_extra_headers_replace(image_request(),
                                {{"X-Goog-Api-Key", "other"}, {"X-Team", "vision"}},
                                gemini::build_request);
  }

  TEST_CASE("gemini: the real text reply parses: text - finish reason - served model - usage") {
    const auto r = parse(200, fixture()["response"]["body_real_text_only"]);
    CHECK(r.well_formed);
    CHECK(r.parse_error.empty());
    CHECK(r.text == "Hello!");
    CHECK(r.finish_reason == "stop");
    CHECK(r.model == "gemini-2.5-flash");
    // Thinking tokens are billed as output (completion 19: 2 visible + 17 thoughts). Gemini lists
    // every modality: no IMAGE entry means no image was counted (image 0).
    check_usage(r.tokens, {3, 19, 22, 0, std::nullopt});
  }

  TEST_CASE("gemini: the image reply reports the IMAGE modality as image tokens") {
    const auto r = parse(200, fixture()["response"]["body_image_illustrative"]);
    CHECK(r.well_formed);
    CHECK(r.text == "A small green square.");
    check_usage(r.tokens, {270, 6, 276, 258, std::nullopt});
  }

  TEST_CASE("gemini: usage shapes: none - no details - cached content - junk counts") {
    json body = fixture()["response"]["body_image_illustrative"];
    body.erase("usageMetadata");
    auto r = parse(200, body);
    CHECK(r.well_formed);
    CHECK_FALSE(r.tokens.present());
    CHECK_FALSE(r.tokens.image_tokens);

    body["usageMetadata"] = {{"promptTokenCount", 12}, {"candidatesTokenCount", "5"}};
    r = parse(200, body);
    CHECK(r.tokens.prompt_tokens == 12);
    CHECK(r.tokens.completion_tokens == 5);
    CHECK_FALSE(r.tokens.image_tokens);  // no per-modality list: unknown, not zero

    body["usageMetadata"] = {{"promptTokenCount", -1},
                             {"cachedContentTokenCount", 7},
                             {"promptTokensDetails", json::array({{{"modality", "IMAGE"}}})}};
    r = parse(200, body);
    CHECK_FALSE(r.tokens.prompt_tokens);
    CHECK(r.tokens.cached_tokens == 7);
    CHECK(r.tokens.image_tokens == 0);
  }

  TEST_CASE("gemini: thought parts are reasoning - never the answer") {
    const json body = json::parse(R"({"candidates":[{"content":{"role":"model","parts":[
        {"text":"Let me look at the digits.","thought":true},{"text":"4711"}]},
        "finishReason":"STOP"}],"modelVersion":"gemini-2.5-pro"})");
    const auto r = parse(200, body);
    CHECK(r.text == "4711");
    CHECK(r.reasoning == "Let me look at the digits.");
    CHECK(r.model == "gemini-2.5-pro");
  }

  TEST_CASE("gemini: finish reasons map to the neutral spellings") {
    json body = fixture()["response"]["body_image_illustrative"];
    body["candidates"][0]["finishReason"] = "MAX_TOKENS";
    CHECK(parse(200, body).finish_reason == "length");
    body["candidates"][0]["finishReason"] = "OTHER";
    CHECK(parse(200, body).finish_reason == "other");
    for (const char* filtered : {"SAFETY", "RECITATION", "PROHIBITED_CONTENT", "IMAGE_SAFETY"}) {
      CAPTURE(filtered);
      body["candidates"][0]["finishReason"] = filtered;
      body["candidates"][0].erase("content");
      const auto r = parse(200, body);
      CHECK(r.well_formed);
      CHECK(r.finish_reason == "content_filter");
      CHECK(r.refusal == std::string("the answer was withheld (finishReason ") + filtered + ")");
    }
  }

  TEST_CASE("gemini: a prompt blocked by promptFeedback is a refusal - not a malformed reply") {
    const json body = json::parse(
        R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":270,"totalTokenCount":270},"modelVersion":"gemini-2.5-flash"})");
    const auto r = parse(200, body);
    CHECK(r.well_formed);
    CHECK(r.finish_reason == "content_filter");
    CHECK(r.refusal == "the prompt was blocked (blockReason PROHIBITED_CONTENT)");
    CHECK(r.tokens.prompt_tokens == 270);
  }

  TEST_CASE("gemini: malformed success bodies say what is wrong") {
    CHECK(parse(200, json::object()).parse_error == "no \"candidates\" in the body");
    CHECK(parse(200, json{{"candidates", json::array()}}).parse_error == "candidates is empty");
    CHECK(parse(200, json{{"candidates", "x"}}).parse_error ==
          "candidates is a string, expected array");
    CHECK(parse(200, json::parse(R"({"candidates":[{"content":{"parts":7}}]})")).parse_error ==
          "candidates[0].content.parts is a number, expected array");
    CHECK_FALSE(parse(200, json::parse(R"({"candidates":[{"content":{"parts":7}}]})")).well_formed);
  }

  TEST_CASE("gemini: a bad API key (HTTP 400 API_KEY_INVALID) is named as a refused key") {
    const auto r = parse(400, fixture()["errors"]["400_bad_api_key"]["body"]);
    CHECK_FALSE(r.well_formed);
    CHECK(r.error_code == "API_KEY_INVALID");
    CHECK(r.error_message ==
          "authentication failed, the API key was refused: API key not valid. Please pass a valid "
          "API key.");
    // Gemini's occasional one-element array wrapping.
    const auto wrapped = parse(400, json::array({fixture()["errors"]["400_bad_api_key"]["body"]}));
    CHECK(wrapped.error_code == "API_KEY_INVALID");
    CHECK(wrapped.error_message.starts_with("authentication failed, the API key was refused"));
  }

  TEST_CASE("gemini: 429 takes RetryInfo.retryDelay from the body - fractions rounded up") {
    const json& body = fixture()["errors"]["429"]["body"];
    auto r = parse(429, body);
    CHECK(r.error_code == "RESOURCE_EXHAUSTED");
    CHECK(r.error_message.starts_with("You exceeded your current quota"));
    CHECK(r.retry_after == seconds(47));
    json frac = body;
    frac["error"]["details"][2]["retryDelay"] = "1.5s";
    CHECK(parse(429, frac).retry_after == seconds(2));
    // A Retry-After header wins over the body when both are present.
    CHECK(parse(429, body, {{"retry-after", "5"}}).retry_after == seconds(5));
  }

  TEST_CASE("gemini: 403 - 500 and 503 error bodies keep their status and message") {
    const auto r500 = parse(500, fixture()["errors"]["500"]["body"]);
    CHECK(r500.error_code == "INTERNAL");
    CHECK(r500.error_message.starts_with("An internal error has occurred."));
    const auto r503 = parse(503, fixture()["errors"]["503"]["body"]);
    CHECK(r503.error_code == "UNAVAILABLE");
    CHECK(r503.error_message == "The model is overloaded. Please try again later.");
    CHECK_FALSE(r503.retry_after);
    const auto r403 = parse(
        403,
        json::parse(
            R"({"error":{"code":403,"message":"Permission denied.","status":"PERMISSION_DENIED"}})"));
    CHECK(r403.error_code == "PERMISSION_DENIED");
    CHECK(r403.error_message == "permission denied for this API key: Permission denied.");
  }

  TEST_CASE("gemini: the flavour table routes \"gemini\" here") {
    REQUIRE(api_flavour_from_string("gemini") == api_flavour::gemini);
    CHECK(to_string(api_flavour::gemini) == "gemini");
    CHECK(build_request(api_flavour::gemini, image_request()).url ==
          gemini::build_request(image_request()).url);
  }

  TEST_CASE("gemini: every fixture body truncated and with every value swapped parses safely") {
    const auto& f = fixture();
    for (const auto* body : {&f["response"]["body_real_text_only"],
                             &f["response"]["body_image_illustrative"],
                             &f["stream_events"][2]["data"],
                             &f["errors"]["400_bad_api_key"]["body"],
                             &f["errors"]["429"]["body"]}) {
      test::check_mutations(api_flavour::gemini, *body);
    }
  }
}

}  // namespace gemini_test
