// A model that answers shape `tools` with a call of the declared tool instead of text: every
// flavour parses the call (each fixture's success body with its documented tool-call shape in
// place of the text) as a well-formed reply with no text and finish reason "tool_calls", and the
// verdict fails it as an empty answer that says why. Shape `tools` exists to catch exactly this.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "probes/adapter.hpp"
#include "probes/probe_shape.hpp"
#include "probes/verdict.hpp"
#include "tests/probes/flavour_test_support.hpp"

namespace tool_call_reply_test {

using namespace visionwatch::flavour_test_names;

namespace {

const std::string tool(shape_tool_name);

/// The chat completion of the azure fixture (chat's shape) whose message calls the tool;
/// ChatCompletionMessageToolCall in openai-openapi-subset.json.
json chat_tool_call(std::string_view finish_reason) {
  json body = flavour_fixture("azure-openai-chat.json")["response"]["body"];
  body["choices"][0]["finish_reason"] = finish_reason;
  body["choices"][0]["message"] = {
      {"role", "assistant"},
      {"content", nullptr},
      {"tool_calls",
       json::array({{{"id", "call_abc123"},
                     {"type", "function"},
                     {"function", {{"name", tool}, {"arguments", "{}"}}}}})}};
  return body;
}

/// Responses: a function_call output item (FunctionToolCall: type, id, call_id, name,
/// arguments, status) in place of the message.
json responses_tool_call() {
  json body = flavour_fixture("openai-responses.json")["response"]["body"];
  body["output"] = json::array({{{"type", "function_call"},
                                 {"id", "fc_67ccd3a9"},
                                 {"call_id", "call_abc123"},
                                 {"name", tool},
                                 {"arguments", "{}"},
                                 {"status", "completed"}}});
  return body;
}

/// Messages: a tool_use block, stop_reason tool_use (the fixture's success_check lists it).
json anthropic_tool_call(bool with_text) {
  json body = flavour_fixture("anthropic-messages.json")["response"]["body"];
  body["content"] = json::array({{{"type", "tool_use"},
                                  {"id", "toolu_01A09q90qw"},
                                  {"name", tool},
                                  {"input", json::object()}}});
  if (with_text) {
    body["content"].insert(body["content"].begin(),
                           json{{"type", "text"}, {"text", "Let me check the time first."}});
  }
  body["stop_reason"] = "tool_use";
  return body;
}

/// Gemini: a functionCall part; finishReason stays STOP.
json gemini_tool_call() {
  json body = flavour_fixture("gemini-generatecontent.json")["response"]["body_image_illustrative"];
  body["candidates"][0]["content"]["parts"] =
      json::array({{{"functionCall", {{"name", tool}, {"args", json::object()}}}}});
  return body;
}

/// Converse: a toolUse block, stopReason tool_use (the fixture's success_check lists it).
json bedrock_tool_call() {
  json body = flavour_fixture("bedrock-converse.json")["response"]["body"];
  body["output"]["message"]["content"] = json::array(
      {{{"toolUse",
         {{"toolUseId", "tooluse_kZJMlvQm"}, {"name", tool}, {"input", json::object()}}}}});
  body["stopReason"] = "tool_use";
  return body;
}

reply parse(api_flavour f, const json& body) {
  return parse_reply(f, response(200, body.dump()), fixed_now);
}

verdict judged(const reply& r) {
  answer_expectation expect;
  expect.kind = challenge_kind::digits;
  expect.answer = "4821";
  return judge(response(200, "{}"), r, expect, std::nullopt, verdict_checks{});
}

void check_tool_call_fails(api_flavour f, const json& body) {
  CAPTURE(to_string(f));
  const reply r = parse(f, body);
  CHECK(r.well_formed);
  CHECK(r.parse_error.empty());
  CHECK(r.text.empty());
  CHECK(r.refusal.empty());
  CHECK(r.finish_reason == "tool_calls");
  CHECK(r.tokens.prompt_tokens.has_value());
  const verdict v = judged(r);
  CHECK(v.result == outcome::empty_answer);
  CHECK(v.reason ==
        "empty answer: the model called the declared tool instead of answering (finish_reason "
        "tool_calls)");
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a tool call instead of an answer fails as an empty answer in every flavour") {
    check_tool_call_fails(api_flavour::openai_chat, chat_tool_call("tool_calls"));
    check_tool_call_fails(api_flavour::azure_openai, chat_tool_call("tool_calls"));
    check_tool_call_fails(api_flavour::openai_responses, responses_tool_call());
    check_tool_call_fails(api_flavour::anthropic_messages, anthropic_tool_call(false));
    check_tool_call_fails(api_flavour::gemini, gemini_tool_call());
    check_tool_call_fails(api_flavour::bedrock_converse, bedrock_tool_call());
  }

  TEST_CASE("a gateway that says stop beside tool_calls still reports the tool call") {
    check_tool_call_fails(api_flavour::openai_chat, chat_tool_call("stop"));
    json legacy = chat_tool_call("stop");
    auto& message = legacy["choices"][0]["message"];
    message.erase("tool_calls");
    message["function_call"] = {{"name", tool}, {"arguments", "{}"}};
    check_tool_call_fails(api_flavour::openai_chat, legacy);
  }

  TEST_CASE("a tool call cut by the token limit keeps its finish reason length") {
    json body = chat_tool_call("length");
    const reply r = parse(api_flavour::openai_chat, body);
    CHECK(r.finish_reason == "length");
    CHECK(judged(r).reason.find("raise max_tokens") != std::string::npos);
    CHECK(judged(r).result == outcome::empty_answer);
  }

  TEST_CASE("text beside a tool call is the answer that is judged") {
    const reply r = parse(api_flavour::anthropic_messages, anthropic_tool_call(true));
    CHECK(r.well_formed);
    CHECK(r.text == "Let me check the time first.");
    CHECK(r.finish_reason == "tool_calls");
    const verdict v = judged(r);
    CHECK(v.result == outcome::wrong_answer);
  }

  TEST_CASE("an empty tool_calls list is no tool call") {
    json body = chat_tool_call("stop");
    body["choices"][0]["message"]["tool_calls"] = json::array();
    body["choices"][0]["message"]["content"] = "4821";
    const reply r = parse(api_flavour::openai_chat, body);
    CHECK(r.finish_reason == "stop");
    CHECK(judged(r).result == outcome::ok);
  }

  TEST_CASE("a streamed tool call ends with finish_reason tool_calls and fails the same way") {
    // OpenAI's stream: the call arrives in delta.tool_calls, finish_reason tool_calls on the last
    // chunk (openai-chat-stream.json: end_of_answer), then the usage chunk.
    const std::string stream =
        R"(data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_current_time","arguments":""}}]},"finish_reason":null}]})"
        "\n\n"
        R"(data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":null}]})"
        "\n\n"
        R"(data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"
        "\n\n"
        R"(data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":9,"total_tokens":129}})"
        "\n\ndata: [DONE]\n\n";
    auto d = make_stream_decoder(api_flavour::openai_chat);
    REQUIRE(d != nullptr);
    http_result res;
    res.status = 200;
    res.headers = {{"content-type", "text/event-stream"}};
    res.streamed = true;
    REQUIRE(d->on_headers(res.status, res.headers));
    const auto progress = d->on_body(stream);
    CHECK_FALSE(progress.text_seen);
    const reply r = d->finish(res, fixed_now);
    CHECK(r.well_formed);
    CHECK(r.stream_error.empty());
    CHECK(r.text.empty());
    CHECK(r.finish_reason == "tool_calls");
    CHECK(judged(r).result == outcome::empty_answer);
    CHECK(judged(r).reason.find("called the declared tool") != std::string::npos);
  }
}

}  // namespace tool_call_reply_test
