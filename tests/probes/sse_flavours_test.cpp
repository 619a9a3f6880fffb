// What every SSE flavour's stream decoder must do, one table of flavours: replay the stream its
// fixture recorded (openai-chat, anthropic-messages, azure-openai; openai-responses and gemini
// build theirs in their own tests) and stay bounded on hostile streams.
#include <doctest/doctest.h>

#include <array>
#include <string>

#include "probes/adapter.hpp"
#include "tests/probes/flavour_test_support.hpp"
#include "tests/probes/stream_test_support.hpp"

namespace sse_flavours_test {

using namespace visionwatch;
namespace vt = visionwatch::test;

namespace {

struct recorded_case {
  api_flavour flavour;
  const char* fixture;  ///< in api-flavours/, with the stream under `stream_events`
  vt::expected_reply want;
};

// anthropic-messages: input_tokens from message_start; output_tokens the last (cumulative)
// value of message_delta, which replaces message_start's placeholder 1: never 1 + 6.
// azure-openai: its empty first chunk (content filter results) and its empty model are no
// model and no text.
const std::array recorded_cases = {
    recorded_case{api_flavour::openai_chat,
                  "openai-chat-stream.json",
                  {"我是助手。", "stop", "gpt-4o-2024-05-13", 14, 3, 17}},
    recorded_case{api_flavour::anthropic_messages,
                  "anthropic-messages.json",
                  {"Hello there!", "stop", "claude-3-opus-latest", 11, 6, 17}},
    recorded_case{api_flavour::azure_openai,
                  "azure-openai-chat.json",
                  {"A small", "stop", "gpt-4o-2024-11-20", 110, 6, 116}},
};

vt::wire_stream recorded(const recorded_case& c) {
  return vt::fixture_stream(vt::flavour_fixture(c.fixture).at("stream_events"));
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("each recorded stream gives its text - finish reason - model and usage") {
    for (const auto& c : recorded_cases) {
      CAPTURE(to_string(c.flavour));
      vt::check_complete(vt::decode_stream(c.flavour, recorded(c).body), c.want);
    }
  }

  TEST_CASE("the first text of each recorded stream is the event its fixture marks ttft") {
    // Not a role chunk, Azure's filter chunk, message_start or ping.
    for (const auto& c : recorded_cases) {
      CAPTURE(to_string(c.flavour));
      vt::check_first_text_on_ttft_event(c.flavour, recorded(c));
    }
  }

  TEST_CASE("each recorded stream decodes the same at every split") {
    for (const auto& c : recorded_cases) {
      CAPTURE(to_string(c.flavour));
      const std::string stream = recorded(c).body;
      REQUIRE(stream.size() > 1000);
      vt::check_every_split(c.flavour, stream);
      CHECK(vt::decode_stream(c.flavour, stream).r.text == c.want.text);
    }
  }

  TEST_CASE("every SSE decoder stays bounded on an endless line and an oversized event") {
    for (const auto flavour : {api_flavour::openai_chat,
                               api_flavour::openai_responses,
                               api_flavour::anthropic_messages,
                               api_flavour::azure_openai,
                               api_flavour::gemini}) {
      CAPTURE(to_string(flavour));
      vt::check_endless_line(flavour);
      vt::check_oversized_event(flavour);
    }
  }
}

}  // namespace sse_flavours_test
