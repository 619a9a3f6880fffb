#include "probes/anthropic_messages_stream.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "probes/adapter.hpp"
#include "tests/probes/flavour_test_support.hpp"
#include "tests/probes/stream_test_support.hpp"

namespace anthropic_messages_stream_test {

using namespace visionwatch::flavour_test_names;

namespace {

constexpr auto flavour = api_flavour::anthropic_messages;

const json& fixture() { return vt::flavour_fixture("anthropic-messages.json"); }

std::string delta_event(std::string_view type, std::string_view key, std::string_view text) {
  return vt::sse_event(
      "content_block_delta",
      {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", type}, {key, text}}}});
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("Messages: usage sent cumulatively in several message_delta events is the last") {
    const std::string stream =
        vt::sse_event("message_start",
                      {{"type", "message_start"},
                       {"message",
                        {{"model", "claude-haiku-4-5"},
                         {"usage",
                          {{"input_tokens", 40},
                           {"cache_read_input_tokens", 1500},
                           {"output_tokens", 1}}}}}}) +
        delta_event("text_delta", "text", "48") +
        vt::sse_event("message_delta",
                      {{"type", "message_delta"},
                       {"delta", json::object()},
                       {"usage", {{"output_tokens", 3}}}}) +
        delta_event("text_delta", "text", "21") +
        vt::sse_event("message_delta",
                      {{"type", "message_delta"},
                       {"delta", {{"stop_reason", "max_tokens"}}},
                       {"usage", {{"input_tokens", 40}, {"output_tokens", 5}}}}) +
        vt::sse_event("message_stop", {{"type", "message_stop"}});
    const auto d = vt::decode_stream(flavour, stream);
    CHECK(d.r.text == "4821");
    CHECK(d.r.finish_reason == "length");
    CHECK(d.r.tokens.prompt_tokens == 1540);  // input plus cache reads, as the whole reply
    CHECK(d.r.tokens.cached_tokens == 1500);
    CHECK(d.r.tokens.completion_tokens == 5);
  }

  TEST_CASE("Messages: thinking deltas go to the reasoning and do not start the first token") {
    std::string stream =
        vt::sse_event(
            "message_start",
            {{"type", "message_start"}, {"message", {{"usage", {{"input_tokens", 9}}}}}}) +
        vt::sse_event("content_block_start",
                      {{"type", "content_block_start"},
                       {"content_block", {{"type", "thinking"}, {"thinking", ""}}}}) +
        delta_event("thinking_delta", "thinking", "The image shows");
    const std::size_t thinking_end = stream.size();
    stream += delta_event("signature_delta", "signature", "EqQBCgIYAhIM") +
              delta_event("text_delta", "text", "7") +
              vt::sse_event("message_stop", {{"type", "message_stop"}});
    const auto d = vt::decode_stream(flavour, stream, 1);
    CHECK(d.r.reasoning == "The image shows");
    CHECK(d.r.text == "7");
    CHECK(d.first_text_after > thinking_end);
  }

  TEST_CASE("Messages: a refusal stop reason makes the text the refusal") {
    const std::string stream =
        delta_event("text_delta", "text", "I won't describe this.") +
        vt::sse_event("message_delta",
                      {{"type", "message_delta"}, {"delta", {{"stop_reason", "refusal"}}}}) +
        vt::sse_event("message_stop", {{"type", "message_stop"}});
    const auto d = vt::decode_stream(flavour, stream);
    CHECK(d.r.finish_reason == "refusal");
    CHECK(d.r.refusal == "I won't describe this.");
  }

  TEST_CASE("Messages: an overloaded error event after HTTP 200 is a stream error") {
    const json error = fixture().at("errors").at("529").at("body");
    std::string stream = vt::recorded_stream(fixture());
    stream = stream.substr(0, stream.find("event: content_block_stop")) +
             vt::sse_event("error", error) + delta_event("text_delta", "text", "late");
    const auto d = vt::decode_stream(flavour, stream);
    vt::check_error_event(d, "Overloaded (overloaded_error)");
    CHECK(d.r.text == "Hello there!");
    CHECK_FALSE(d.r.tokens.present());  // message_start's input alone is not the usage
  }

  TEST_CASE("Messages: a stream cut before message_stop is a stream error with no usage") {
    const std::string stream = vt::recorded_stream(fixture());
    const auto d = vt::decode_stream(flavour, stream.substr(0, stream.find("event: message_stop")));
    CHECK(d.r.well_formed);
    CHECK(d.r.stream_error == "the stream ended before its final event (message_stop)");
    CHECK_FALSE(d.r.tokens.present());
  }

  TEST_CASE("Messages: unknown events are ignored - a chunk that is not JSON is malformed") {
    const std::string ok = vt::sse_event("content_block_citation", {{"type", "x"}}) +
                           delta_event("text_delta", "text", "ok") +
                           vt::sse_event("message_stop", {{"type", "message_stop"}});
    CHECK(vt::decode_stream(flavour, ok).r.text == "ok");
    const auto d = vt::decode_stream(flavour, "event: ping\ndata: {\n\n");
    CHECK_FALSE(d.r.well_formed);
    CHECK(d.r.parse_error.starts_with("stream: stream chunk 1: "));
  }

  TEST_CASE("Messages: an error status is parsed whole - the spend cap drops the retry hint") {
    const json body = vt::anthropic_spend_limit_error("spend limit reached");
    const auto d = vt::decode_stream(
        flavour,
        body.dump(),
        0,
        vt::response(429, "", {{"retry-after", "30"}, {"content-type", "application/json"}}));
    CHECK(d.r.error_code == "enforced_spend_limit_reached");
    CHECK_FALSE(d.r.retry_after.has_value());
    CHECK(d.r.stream_error.empty());
  }

  TEST_CASE("the Messages request asks for a stream - and only when told to") {
    const auto [plain, streamed] =
        vt::build_stream_requests(flavour, "https://api.anthropic.com/v1", "claude-haiku-4-5");
    CHECK_FALSE(json::parse(plain.body).contains("stream"));
    CHECK(json::parse(streamed.body).at("stream") == true);
    CHECK(vt::header_value(streamed, "anthropic-version") == "2023-06-01");
  }
}

}  // namespace anthropic_messages_stream_test
