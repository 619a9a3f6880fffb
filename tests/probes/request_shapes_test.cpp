// The request shapes system, tools and history in every flavour's wire format
// (probes/request_shapes.cpp): each body as the provider documents it, the images in the first
// user turn of a history, the control request in the same form without the images, and
// streaming beside every shape.
#include "probes/request_shapes.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "probes/adapter.hpp"
#include "probes/probe_shape.hpp"
#include "tests/probes/flavour_test_support.hpp"
#include "tests/support/flavour_cases.hpp"

namespace request_shapes_test {

using namespace visionwatch::flavour_test_names;

namespace {

/// One image probe with short texts, so the expected bodies below stay readable.
probe_request small_request() {
  return one_image_request(
      "https://gw.example/v1", "m", "Which number?", image_part{fixture_png_data_url(), "low"}, 50);
}

probe_request with_system() {
  auto r = small_request();
  r.system_prompt = "Be exact.";
  return r;
}

probe_request with_tool() {
  auto r = small_request();
  r.declare_tool = true;
  return r;
}

probe_request with_history() {
  auto r = small_request();
  r.earlier = earlier_turn{"Look at this image.", "I see it."};
  return r;
}

/// The built body against the documented one (`@B64@` stands for the fixture PNG's base64):
/// equal as JSON, and byte for byte the compact serialisation (object members in name order).
void check_body(api_flavour f, const probe_request& r, std::string expected) {
  for (auto at = expected.find("@B64@"); at != std::string::npos; at = expected.find("@B64@")) {
    expected.replace(at, 5, fixture_png_base64);
  }
  const json want = json::parse(expected);
  const http_request req = build_request(f, r);
  CHECK(json::parse(req.body) == want);
  CHECK(req.body == want.dump());
  CHECK(req.body.find(test_key) == std::string::npos);
}

/// Runs `check(f, shaped)` for every flavour and request-form shape, `shaped` being `request` with
/// the shape applied; the checks name the flavour and the shape.
void for_every_flavour_and_shape(
    const probe_request& request,
    const std::function<void(api_flavour f, const probe_request& shaped)>& check) {
  for (const auto f : every_flavour()) {
    for (const auto shape : request_form_shapes) {
      CAPTURE(to_string(f));
      CAPTURE(to_string(shape));
      auto shaped = request;
      apply_shape(shape, shaped);
      check(f, shaped);
    }
  }
}

/// `body` without its image parts, whatever the flavour calls them.
json without_images(json body) {
  if (body.is_array()) {
    json out = json::array();
    for (auto& item : body) {
      const bool image =
          item.is_object() &&
          (item.contains("inline_data") || item.contains("file_data") || item.contains("image") ||
           (item.contains("type") && (item["type"] == "image_url" ||
                                      item["type"] == "input_image" || item["type"] == "image")));
      if (!image) {
        out.push_back(without_images(std::move(item)));
      }
    }
    return out;
  }
  if (body.is_object()) {
    for (auto& [k, v] : body.items()) {
      v = without_images(std::move(v));
    }
  }
  return body;
}

/// The turns of a body: chat's messages, Responses' input, Gemini's contents.
const json& turns_of(api_flavour f, const json& body) {
  if (f == api_flavour::openai_responses) {
    return body.at("input");
  }
  if (f == api_flavour::gemini) {
    return body.at("contents");
  }
  return body.at("messages");
}

/// The number of image parts in one turn.
std::size_t images_in(const json& turn) {
  const json& parts = turn.contains("parts") ? turn["parts"] : turn["content"];
  if (!parts.is_array()) {
    return 0;
  }
  return parts.size() - without_images(parts).size();
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("openai-chat: each shape's body is the documented chat completions body") {
    const auto f = api_flavour::openai_chat;
    check_body(f, with_system(), R"({"model":"m","max_tokens":50,"messages":[
      {"role":"system","content":"Be exact."},
      {"role":"user","content":[{"type":"text","text":"Which number?"},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,@B64@","detail":"low"}}]}]})");
    check_body(f, with_tool(), R"({"model":"m","max_tokens":50,"messages":[
      {"role":"user","content":[{"type":"text","text":"Which number?"},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,@B64@","detail":"low"}}]}],
      "tools":[{"type":"function","function":{"name":"get_current_time",
        "description":"Returns the current UTC time as an ISO 8601 string.",
        "parameters":{"type":"object","properties":{}}}}]})");
    check_body(f, with_history(), R"({"model":"m","max_tokens":50,"messages":[
      {"role":"user","content":[{"type":"text","text":"Look at this image."},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,@B64@","detail":"low"}}]},
      {"role":"assistant","content":"I see it."},
      {"role":"user","content":[{"type":"text","text":"Which number?"}]}]})");
  }

  TEST_CASE("azure-openai: each shape's body is chat's without the model member") {
    for (const auto& r : {with_system(), with_tool(), with_history()}) {
      json chat = json::parse(build_request(api_flavour::openai_chat, r).body);
      chat.erase("model");
      CHECK(build_request(api_flavour::azure_openai, r).body == chat.dump());
    }
  }

  TEST_CASE("openai-responses: instructions - a non-strict function tool - input items") {
    const auto f = api_flavour::openai_responses;
    check_body(f, with_system(), R"({"model":"m","max_output_tokens":50,"store":false,
      "instructions":"Be exact.",
      "input":[{"role":"user","content":[{"type":"input_text","text":"Which number?"},
        {"type":"input_image","image_url":"data:image/png;base64,@B64@","detail":"low"}]}]})");
    check_body(f, with_tool(), R"({"model":"m","max_output_tokens":50,"store":false,
      "input":[{"role":"user","content":[{"type":"input_text","text":"Which number?"},
        {"type":"input_image","image_url":"data:image/png;base64,@B64@","detail":"low"}]}],
      "tools":[{"type":"function","name":"get_current_time",
        "description":"Returns the current UTC time as an ISO 8601 string.",
        "parameters":{"type":"object","properties":{}},"strict":false}]})");
    check_body(f, with_history(), R"({"model":"m","max_output_tokens":50,"store":false,
      "input":[{"role":"user","content":[{"type":"input_text","text":"Look at this image."},
        {"type":"input_image","image_url":"data:image/png;base64,@B64@","detail":"low"}]},
        {"role":"assistant","content":"I see it."},
        {"role":"user","content":[{"type":"input_text","text":"Which number?"}]}]})");
  }

  TEST_CASE("anthropic-messages: a top-level system - input_schema tools - alternating turns") {
    const auto f = api_flavour::anthropic_messages;
    check_body(f, with_system(), R"({"model":"m","max_tokens":50,"system":"Be exact.",
      "messages":[{"role":"user","content":[
        {"type":"image","source":{"type":"base64","media_type":"image/png","data":"@B64@"}},
        {"type":"text","text":"Which number?"}]}]})");
    check_body(f, with_tool(), R"({"model":"m","max_tokens":50,
      "messages":[{"role":"user","content":[
        {"type":"image","source":{"type":"base64","media_type":"image/png","data":"@B64@"}},
        {"type":"text","text":"Which number?"}]}],
      "tools":[{"name":"get_current_time",
        "description":"Returns the current UTC time as an ISO 8601 string.",
        "input_schema":{"type":"object","properties":{}}}]})");
    check_body(f, with_history(), R"({"model":"m","max_tokens":50,"messages":[
      {"role":"user","content":[
        {"type":"image","source":{"type":"base64","media_type":"image/png","data":"@B64@"}},
        {"type":"text","text":"Look at this image."}]},
      {"role":"assistant","content":[{"type":"text","text":"I see it."}]},
      {"role":"user","content":[{"type":"text","text":"Which number?"}]}]})");
  }

  TEST_CASE("gemini: systemInstruction - functionDeclarations without parameters - model turns") {
    const auto f = api_flavour::gemini;
    check_body(f, with_system(), R"({"generationConfig":{"maxOutputTokens":50},
      "systemInstruction":{"parts":[{"text":"Be exact."}]},
      "contents":[{"role":"user","parts":[
        {"inline_data":{"mime_type":"image/png","data":"@B64@"}},{"text":"Which number?"}]}]})");
    check_body(f, with_tool(), R"({"generationConfig":{"maxOutputTokens":50},
      "contents":[{"role":"user","parts":[
        {"inline_data":{"mime_type":"image/png","data":"@B64@"}},{"text":"Which number?"}]}],
      "tools":[{"functionDeclarations":[{"name":"get_current_time",
        "description":"Returns the current UTC time as an ISO 8601 string."}]}]})");
    check_body(f, with_history(), R"({"generationConfig":{"maxOutputTokens":50},"contents":[
      {"role":"user","parts":[
        {"inline_data":{"mime_type":"image/png","data":"@B64@"}},{"text":"Look at this image."}]},
      {"role":"model","parts":[{"text":"I see it."}]},
      {"role":"user","parts":[{"text":"Which number?"}]}]})");
  }

  TEST_CASE("bedrock-converse: system blocks - a toolConfig toolSpec - alternating messages") {
    const auto f = api_flavour::bedrock_converse;
    check_body(f, with_system(), R"({"inferenceConfig":{"maxTokens":50},
      "system":[{"text":"Be exact."}],
      "messages":[{"role":"user","content":[
        {"image":{"format":"png","source":{"bytes":"@B64@"}}},{"text":"Which number?"}]}]})");
    check_body(f, with_tool(), R"({"inferenceConfig":{"maxTokens":50},
      "messages":[{"role":"user","content":[
        {"image":{"format":"png","source":{"bytes":"@B64@"}}},{"text":"Which number?"}]}],
      "toolConfig":{"tools":[{"toolSpec":{"name":"get_current_time",
        "description":"Returns the current UTC time as an ISO 8601 string.",
        "inputSchema":{"json":{"type":"object","properties":{}}}}}]}})");
    check_body(f, with_history(), R"({"inferenceConfig":{"maxTokens":50},"messages":[
      {"role":"user","content":[
        {"image":{"format":"png","source":{"bytes":"@B64@"}}},{"text":"Look at this image."}]},
      {"role":"assistant","content":[{"text":"I see it."}]},
      {"role":"user","content":[{"text":"Which number?"}]}]})");
  }

  TEST_CASE("the shapes combine: a system message - a tool and a history in one request") {
    auto r = with_history();
    r.system_prompt = "Be exact.";
    r.declare_tool = true;
    check_body(api_flavour::anthropic_messages, r, R"({"model":"m","max_tokens":50,
      "system":"Be exact.","messages":[
      {"role":"user","content":[
        {"type":"image","source":{"type":"base64","media_type":"image/png","data":"@B64@"}},
        {"type":"text","text":"Look at this image."}]},
      {"role":"assistant","content":[{"type":"text","text":"I see it."}]},
      {"role":"user","content":[{"type":"text","text":"Which number?"}]}],
      "tools":[{"name":"get_current_time",
        "description":"Returns the current UTC time as an ISO 8601 string.",
        "input_schema":{"type":"object","properties":{}}}]})");
    const json chat = json::parse(build_request(api_flavour::openai_chat, r).body);
    REQUIRE(chat["messages"].size() == 4);
    CHECK(chat["messages"][0]["role"] == "system");
    CHECK(images_in(chat["messages"][1]) == 1);
    CHECK(chat["tools"].size() == 1);
  }

  TEST_CASE("apply_shape puts the shape texts where each flavour carries them") {
    for (const auto f : every_flavour()) {
      CAPTURE(to_string(f));
      auto r = small_request();
      apply_shape(probe_shape::system, r);
      apply_shape(probe_shape::tools, r);
      apply_shape(probe_shape::history, r);
      const std::string body = build_request(f, r).body;
      for (const std::string_view text : {shape_system_prompt,
                                          shape_tool_name,
                                          shape_tool_description,
                                          shape_history_question,
                                          shape_history_reply}) {
        CHECK_MESSAGE(body.find(text) != std::string::npos, text);
      }
      // The last user turn asks the question with the history prefix, and only there.
      const json turns = turns_of(f, json::parse(body));
      const std::string last = turns.back().dump();
      CHECK(last.find(std::string(shape_history_prefix) + "Which number?") != std::string::npos);
      CHECK(body.find(shape_history_prefix) == body.rfind(shape_history_prefix));
    }
  }

  TEST_CASE("a history's images sit in its first user turn in every flavour - in order") {
    for (const auto f : every_flavour()) {
      CAPTURE(to_string(f));
      auto r = with_history();
      r.images.push_back(image_part{"data:image/jpeg;base64,/9j/AAAA", ""});
      const json body = json::parse(build_request(f, r).body);
      const json& turns = turns_of(f, body);
      REQUIRE(turns.size() == 3);
      CHECK(turns[0]["role"] == "user");
      CHECK(turns[1]["role"] == (f == api_flavour::gemini ? "model" : "assistant"));
      CHECK(turns[2]["role"] == "user");
      CHECK(images_in(turns[0]) == 2);
      CHECK(images_in(turns[1]) == 0);
      CHECK(images_in(turns[2]) == 0);
      const std::string first = turns[0].dump();
      CHECK(first.find("Look at this image.") != std::string::npos);
      CHECK(first.find(fixture_png_base64) < first.find("/9j/AAAA"));
      CHECK(turns[2].dump().find("Which number?") != std::string::npos);
      CHECK(turns[0].dump().find("Which number?") == std::string::npos);
    }
  }

  TEST_CASE("the control request of every shape is the image request without its images") {
    auto two_images = small_request();
    two_images.images.push_back(image_part{"https://example.com/second.png", "low"});
    for_every_flavour_and_shape(two_images, [](api_flavour f, const probe_request& image_probe) {
      auto control = image_probe;
      control.images.clear();
      const json sent = json::parse(build_request(f, image_probe).body);
      const json text_only = json::parse(build_request(f, control).body);
      CHECK(without_images(sent) == text_only);
      CHECK(sent != text_only);
    });
  }

  TEST_CASE("a plain request has no shape members in any flavour") {
    for (const auto f : every_flavour()) {
      CAPTURE(to_string(f));
      const json body = json::parse(build_request(f, small_request()).body);
      for (const char* key :
           {"tools", "toolConfig", "system", "systemInstruction", "instructions"}) {
        CHECK_FALSE(body.contains(key));
      }
      CHECK(turns_of(f, body).size() == 1);
    }
  }

  TEST_CASE("streaming and the shapes combine: the shape members are those of the whole reply") {
    for_every_flavour_and_shape(small_request(), [](api_flavour f, const probe_request& r) {
      auto streamed = r;
      streamed.stream = true;
      json whole = json::parse(build_request(f, r).body);
      json stream_body = json::parse(build_request(f, streamed).body);
      // Flavours that stream by a body member say so there; the others by the URL.
      for (const char* key : {"stream", "stream_options"}) {
        stream_body.erase(key);
        whole.erase(key);
      }
      CHECK(stream_body == whole);
    });
    auto r = small_request();
    apply_shape(probe_shape::tools, r);
    r.stream = true;
    const json chat = json::parse(build_request(api_flavour::openai_chat, r).body);
    CHECK(chat["stream"] == true);
    CHECK(chat["stream_options"]["include_usage"] == true);
    CHECK(chat["tools"][0]["function"]["name"] == shape_tool_name);
  }

  TEST_CASE("a remote image and a non-plain data URL keep their places in a history") {
    for (const auto f : {api_flavour::openai_chat,
                         api_flavour::anthropic_messages,
                         api_flavour::openai_responses}) {
      CAPTURE(to_string(f));
      auto r = with_history();
      r.system_prompt = "Be exact.";
      r.images = {image_part{"https://example.com/a.png", ""},
                  image_part{"data:image/png;base64,AA\"AA", ""}};
      const json body = json::parse(build_request(f, r).body);
      const json& turns = turns_of(f, body);
      const json& first = turns[f == api_flavour::openai_chat ? 1 : 0];
      CHECK(images_in(first) == 2);
      CHECK(first.dump().find("https://example.com/a.png") != std::string::npos);
    }
  }
}

}  // namespace request_shapes_test
