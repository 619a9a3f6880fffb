#include "probes/openai_responses_stream.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "probes/adapter.hpp"
#include "tests/probes/flavour_test_support.hpp"
#include "tests/probes/stream_test_support.hpp"

namespace openai_responses_stream_test {

using namespace visionwatch::flavour_test_names;

namespace {

constexpr auto flavour = api_flavour::openai_responses;

const json& fixture() { return vt::flavour_fixture("openai-responses.json"); }

/// The fixture's stream as the wire carries it. The fixture abbreviates: deltas 5..11 are a
/// note (they are made here from the final text), and some events' data is a placeholder
/// string (replaced by a minimal event of that type).
std::string recorded_stream() {
  const auto& events = fixture().at("stream_events");
  std::string full_text;
  for (const auto& e : events) {
    if (e.value("event", "") == "response.output_text.done") {
      full_text = e.at("data").at("text");
    }
  }
  std::string out;
  std::string streamed;
  int sequence = 0;
  for (const auto& e : events) {
    const std::string type = e.at("event");
    if (!e.contains("data")) {
      // "... more deltas ...": the rest of the text, a few characters per delta.
      const std::string rest = full_text.substr(streamed.size());
      for (std::size_t i = 0; i < rest.size(); i += 5) {
        out += vt::sse_event(type,
                             {{"type", type},
                              {"sequence_number", ++sequence},
                              {"output_index", 0},
                              {"content_index", 0},
                              {"delta", rest.substr(i, 5)}});
      }
      streamed = full_text;
      continue;
    }
    json data = e.at("data");
    if (data.is_string()) {
      data = {{"type", type}, {"sequence_number", sequence + 1}};
    }
    sequence = data.value("sequence_number", sequence);
    if (type == "response.output_text.delta") {
      streamed += data.at("delta").get<std::string>();
    }
    out += vt::sse_event(type, data);
  }
  return out;
}

/// The bytes up to the end of the first event of `type`.
std::size_t end_of_first(const std::string& stream, const std::string& type) {
  const auto at = stream.find("event: " + type + "\n");
  REQUIRE(at != std::string::npos);
  return stream.find("\n\n", at) + 2;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the recorded Responses stream gives text - finish reason - model and usage") {
    // Only response.completed carries usage.
    vt::check_complete(vt::decode_stream(flavour, recorded_stream()),
                       {"Hi there! How can I assist you today?", "stop", "gpt-5.4", 37, 11, 48});
  }

  TEST_CASE("Responses: the first text is the first output_text delta - not response.created") {
    const std::string stream = recorded_stream();
    const auto d = vt::decode_stream(flavour, stream, 1);
    CHECK(d.first_text_after == end_of_first(stream, "response.output_text.delta"));
    // The marked event in the fixture is that delta.
    for (const auto& e : fixture().at("stream_events")) {
      if (e.value("ttft", false)) {
        CHECK(e.at("event") == "response.output_text.delta");
      }
    }
  }

  TEST_CASE("the Responses stream decodes the same at every split") {
    vt::check_every_split(flavour, recorded_stream());
  }

  TEST_CASE("Responses: a stream cut before response.completed is a stream error with no usage") {
    const std::string stream = recorded_stream();
    http_result res = vt::streamed_200();
    res.stream_interrupted = "the connection closed mid-stream (partial message)";
    const auto d = vt::decode_stream(
        flavour, stream.substr(0, stream.find("event: response.completed")), 0, res);
    CHECK(d.r.well_formed);
    CHECK(d.r.stream_error ==
          "the stream ended before its final event (response.completed): the connection closed "
          "mid-stream (partial message)");
    CHECK_FALSE(d.r.tokens.present());
    CHECK(d.r.text == "Hi there! How can I assist you today?");
  }

  TEST_CASE("Responses: the fixture's error event after HTTP 200 is a stream error") {
    const json in_stream = fixture().at("errors").at("in_stream").at("data");
    json error = in_stream;
    error["type"] = "error";
    const std::string stream =
        vt::sse_event("response.created",
                      {{"type", "response.created"}, {"response", {{"model", "gpt-5.4"}}}}) +
        vt::sse_event("response.output_text.delta",
                      {{"type", "response.output_text.delta"}, {"delta", "48"}}) +
        vt::sse_event("error", error) +
        vt::sse_event("response.output_text.delta",
                      {{"type", "response.output_text.delta"}, {"delta", "late"}});
    const auto d = vt::decode_stream(flavour, stream);
    vt::check_error_event(d, in_stream.at("message").get<std::string>() + " (server_error)");
    CHECK(d.r.text == "48");
    CHECK_FALSE(d.r.tokens.present());
  }

  TEST_CASE("Responses: response.failed is a stream error with the response's error") {
    const std::string stream =
        vt::sse_event("response.failed",
                      {{"type", "response.failed"},
                       {"response",
                        {{"status", "failed"},
                         {"error", {{"code", "invalid_image"}, {"message", "Invalid image."}}},
                         {"usage", {{"input_tokens", 12}, {"output_tokens", 0}}}}}});
    const auto d = vt::decode_stream(flavour, stream);
    CHECK(d.r.stream_error == "error event after HTTP 200: Invalid image. (invalid_image)");
    CHECK_FALSE(d.r.tokens.present());
  }

  TEST_CASE("Responses: response.incomplete ends the stream with finish reason length") {
    const std::string stream =
        vt::sse_event("response.output_text.delta",
                      {{"type", "response.output_text.delta"}, {"delta", "The dig"}}) +
        vt::sse_event("response.incomplete",
                      {{"type", "response.incomplete"},
                       {"response",
                        {{"status", "incomplete"},
                         {"model", "gpt-5.4"},
                         {"incomplete_details", {{"reason", "max_output_tokens"}}},
                         {"output", json::array()},
                         {"usage", {{"input_tokens", 300}, {"output_tokens", 16}}}}}});
    const auto d = vt::decode_stream(flavour, stream);
    CHECK(d.r.stream_error.empty());
    CHECK(d.r.finish_reason == "length");
    CHECK(d.r.text == "The dig");
    CHECK(d.r.tokens.prompt_tokens == 300);
  }

  TEST_CASE("Responses: reasoning and refusal deltas go to their fields - not the text") {
    const std::string stream =
        vt::sse_event("response.reasoning_summary_text.delta",
                      {{"type", "response.reasoning_summary_text.delta"}, {"delta", "Looking"}}) +
        vt::sse_event("response.refusal.delta",
                      {{"type", "response.refusal.delta"}, {"delta", "I can't help"}}) +
        vt::sse_event("response.completed",
                      {{"type", "response.completed"},
                       {"response", {{"status", "completed"}, {"output", json::array()}}}});
    const auto d = vt::decode_stream(flavour, stream, 3);
    CHECK(d.first_text_after == 0);
    CHECK(d.r.text.empty());
    CHECK(d.r.reasoning == "Looking");
    CHECK(d.r.refusal == "I can't help");
  }

  TEST_CASE("Responses: only a final event - its output is the answer") {
    const std::string stream =
        vt::sse_event(
            "",
            {{"type", "response.completed"},
             {"response",
              {{"status", "completed"},
               {"output",
                json::array(
                    {{{"type", "message"},
                      {"content", json::array({{{"type", "output_text"}, {"text", "4821"}}})}}})},
               {"usage", {{"input_tokens", 300}, {"output_tokens", 2}}}}}}) +
        "data: [DONE]\n\n";
    const auto d = vt::decode_stream(flavour, stream, 1);
    CHECK(d.r.stream_error.empty());
    CHECK(d.r.text == "4821");
    CHECK(d.first_text_after == stream.find("data: [DONE]"));
    CHECK(d.r.tokens.completion_tokens == 2);
  }

  TEST_CASE(
      "Responses: a chunk that is not JSON or a final event without a response is malformed") {
    CHECK(vt::decode_stream(flavour, "event: response.created\ndata: {oops\n\n")
              .r.parse_error.starts_with("stream: stream chunk 1: "));
    const auto d = vt::decode_stream(flavour, "data: {\"type\":\"response.completed\"}\n\n");
    CHECK_FALSE(d.r.well_formed);
    CHECK(d.r.parse_error ==
          "stream: stream chunk 1: response.completed without a response object");
  }

  TEST_CASE("Responses: an error status is parsed whole with its retry hint") {
    const auto& e = fixture().at("errors").at("429_rate_limit");
    const auto d = vt::decode_stream(
        flavour, e.at("body").dump(), 0, vt::response(429, "", {{"Retry-After", "20"}}));
    CHECK(d.r.error_message == "Rate limit reached ...");
    CHECK(d.r.retry_after == std::chrono::seconds(20));
    CHECK(d.r.stream_error.empty());
  }

  TEST_CASE("the Responses request asks for a stream - and only when told to") {
    const auto [plain, streamed] =
        vt::build_stream_requests(flavour, "https://api.openai.com/v1", "gpt-5.4");
    CHECK_FALSE(json::parse(plain.body).contains("stream"));
    CHECK(vt::header_value(plain, "Accept") == "application/json");
    CHECK(json::parse(streamed.body).at("stream") == true);
    CHECK(streamed.url == "https://api.openai.com/v1/responses");
  }
}

}  // namespace openai_responses_stream_test
