#include "probes/gemini_stream.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "probes/adapter.hpp"
#include "tests/probes/flavour_test_support.hpp"
#include "tests/probes/stream_test_support.hpp"

namespace gemini_stream_test {

using namespace visionwatch::flavour_test_names;

namespace {

constexpr auto flavour = api_flavour::gemini;

const json& fixture() { return vt::flavour_fixture("gemini-generatecontent.json"); }

/// A fixture chunk on the wire: "data: <json>" and a blank line.
std::string chunk(const json& data) { return vt::sse_event("", data); }

/// The real single-chunk stream (the chunk the fixture marks ttft).
std::string single_chunk_stream() {
  for (const auto& e : fixture().at("stream_events")) {
    if (e.value("ttft", false)) {
      return e.at("raw_line_prefix").get<std::string>() + e.at("data").dump() + "\n\n";
    }
  }
  FAIL("no chunk marked ttft");
  return {};
}

/// The illustrative image reply streamed as Gemini does: text in two chunks, usageMetadata on
/// each (cumulative: candidatesTokenCount grows), finishReason on the last.
std::string image_stream() {
  json last = fixture().at("response").at("body_image_illustrative");
  json first = last;
  first["candidates"][0]["content"]["parts"][0]["text"] = "A small";
  first["candidates"][0].erase("finishReason");
  first["usageMetadata"]["candidatesTokenCount"] = 2;
  first["usageMetadata"]["totalTokenCount"] = 272;
  last["candidates"][0]["content"]["parts"][0]["text"] = " green square.";
  return chunk(first) + chunk(last);
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE(
      "the recorded single-chunk Gemini stream gives text - finish reason - model and usage") {
    const auto d = vt::decode_stream(flavour, single_chunk_stream());
    // Thinking tokens are output too.
    vt::check_complete(d, {"1, 2, 3", "stop", "gemini-2.5-flash", 8, 7 + 23, 38});
    CHECK(d.r.tokens.image_tokens == 0);  // every modality listed: no IMAGE entry
  }

  TEST_CASE("Gemini: usage is the last chunk's with its IMAGE tokens - never a sum") {
    const auto d = vt::decode_stream(flavour, image_stream(), 7);
    CHECK(d.r.stream_error.empty());
    CHECK(d.r.text == "A small green square.");
    vt::check_usage(d.r.tokens, {270, 6, 276, 258, std::nullopt});
  }

  TEST_CASE("Gemini: the first text is the first chunk with a text part") {
    const std::string stream = image_stream();
    CHECK(vt::decode_stream(flavour, stream, 1).first_text_after == stream.find("data: ", 1));
    const std::string single = single_chunk_stream();
    CHECK(vt::decode_stream(flavour, single, 1).first_text_after == single.size());
  }

  TEST_CASE("Gemini: thought parts go to the reasoning and do not start the first token") {
    const std::string thought = chunk(
        {{"candidates",
          json::array({{{"content",
                         {{"role", "model"},
                          {"parts",
                           json::array({{{"text", "Counting the dots"}, {"thought", true}}})}}}}})},
         {"usageMetadata", {{"promptTokenCount", 300}, {"thoughtsTokenCount", 2042}}}});
    const std::string stream =
        thought + chunk({{"candidates",
                          json::array({{{"content", {{"parts", json::array({{{"text", "7"}}})}}},
                                        {"finishReason", "STOP"}}})},
                         {"usageMetadata",
                          {{"promptTokenCount", 300},
                           {"candidatesTokenCount", 1},
                           {"thoughtsTokenCount", 2042}}}});
    const auto d = vt::decode_stream(flavour, stream, 1);
    CHECK(d.r.reasoning == "Counting the dots");
    CHECK(d.r.text == "7");
    CHECK(d.first_text_after == stream.size());
    CHECK(d.r.tokens.completion_tokens == 2043);
  }

  TEST_CASE(
      "Gemini: a functionCall chunk before the finishReason chunk makes the reply a tool call") {
    // Gemini streams a function call as its own chunk; the last chunk only says STOP.
    const std::string call =
        chunk({{"candidates",
                json::array({{{"content",
                               {{"role", "model"},
                                {"parts",
                                 json::array({{{"functionCall",
                                                {{"name", "get_current_time"},
                                                 {"args", json::object()}}}}})}}}}})},
               {"usageMetadata", {{"promptTokenCount", 300}}}});
    const std::string stop = chunk(
        {{"candidates",
          json::array({{{"content", {{"role", "model"}, {"parts", json::array({{{"text", ""}}})}}},
                        {"finishReason", "STOP"}}})},
         {"usageMetadata", {{"promptTokenCount", 300}, {"candidatesTokenCount", 5}}}});
    for (const std::size_t piece : {std::size_t{0}, std::size_t{1}}) {
      const auto d = vt::decode_stream(flavour, call + stop, piece);
      CHECK(d.r.stream_error.empty());
      CHECK(d.r.text.empty());
      CHECK(d.r.finish_reason == "tool_calls");
      // The stream goes on to its last chunk: the usage is the last chunk's.
      CHECK(d.r.tokens.completion_tokens == 5);
    }
    // A call and STOP in one chunk read the same.
    const auto one = vt::decode_stream(
        flavour,
        chunk(
            {{"candidates",
              json::array({{{"content",
                             {{"parts",
                               json::array({{{"functionCall", {{"name", "get_current_time"}}}}})}}},
                            {"finishReason", "STOP"}}})}}));
    CHECK(one.r.stream_error.empty());
    CHECK(one.r.finish_reason == "tool_calls");
  }

  TEST_CASE("the Gemini stream decodes the same at every split") {
    vt::check_every_split(flavour, image_stream());
    vt::check_every_split(flavour, single_chunk_stream());
  }

  TEST_CASE("Gemini: the long stream cut before its finishReason chunk is a stream error") {
    std::string stream;
    for (const auto& e : fixture().at("stream_events")) {
      if (!e.value("ttft", false)) {
        stream += chunk(e.at("data"));  // the first two chunks of a long stream
      }
    }
    http_result res = vt::streamed_200();
    res.stream_interrupted = "the connection closed mid-stream (partial message)";
    const auto d = vt::decode_stream(flavour, stream, 0, res);
    CHECK(d.r.well_formed);
    CHECK(d.r.stream_error ==
          "the stream ended before its final event (a chunk with finishReason): the connection "
          "closed mid-stream (partial message)");
    CHECK_FALSE(d.r.tokens.present());
    CHECK(d.r.text.starts_with("Okay, let's create a Tetris game"));
  }

  TEST_CASE("Gemini: an error chunk after HTTP 200 is a stream error with its message") {
    const json error = fixture().at("errors").at("500").at("body");
    const std::string stream = image_stream();
    const auto d = vt::decode_stream(flavour,
                                     stream.substr(0, stream.find("data: ", 1)) + chunk(error) +
                                         stream.substr(stream.find("data: ", 1)));
    vt::check_error_event(d, error.at("error").at("message").get<std::string>() + " (INTERNAL)");
    CHECK(d.r.text == "A small");
    CHECK_FALSE(d.r.tokens.present());
  }

  TEST_CASE("Gemini: a blocked prompt is a refusal that ends the stream") {
    const auto d = vt::decode_stream(
        flavour,
        chunk({{"promptFeedback", {{"blockReason", "SAFETY"}}},
               {"usageMetadata", {{"promptTokenCount", 270}, {"totalTokenCount", 270}}}}));
    CHECK(d.r.stream_error.empty());
    CHECK(d.r.finish_reason == "content_filter");
    CHECK(d.r.refusal == "the prompt was blocked (blockReason SAFETY)");
    CHECK(d.r.tokens.prompt_tokens == 270);
  }

  TEST_CASE("Gemini: candidates of the wrong type make the reply malformed") {
    const auto d = vt::decode_stream(flavour, chunk({{"candidates", "x"}}));
    CHECK_FALSE(d.r.well_formed);
    CHECK(d.r.parse_error == "stream: stream chunk 1: candidates is a string, expected array");
  }

  TEST_CASE("Gemini: a bad key (HTTP 400) is parsed whole and says so") {
    const auto d = vt::decode_stream(flavour,
                                     fixture().at("errors").at("400_bad_api_key").at("body").dump(),
                                     0,
                                     vt::response(400, "", {{"content-type", "application/json"}}));
    CHECK(d.r.error_code == "API_KEY_INVALID");
    CHECK(d.r.error_message.starts_with("authentication failed, the API key was refused"));
  }

  TEST_CASE("the Gemini request streams from streamGenerateContent with alt=sse") {
    const auto [plain, streamed] = vt::build_stream_requests(
        flavour, "https://generativelanguage.googleapis.com/v1beta", "gemini-2.5-flash");
    CHECK(
        plain.url ==
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent");
    CHECK(streamed.url ==
          "https://generativelanguage.googleapis.com/v1beta/models/"
          "gemini-2.5-flash:streamGenerateContent?alt=sse");
    CHECK(streamed.body == plain.body);  // the same body
    // A base_url's own query string stays, alt=sse joins it.
    CHECK(
        vt::build_stream_requests(flavour, "https://gw.example/gemini?tenant=a", "gemini-2.5-flash")
            .streamed.url ==
        "https://gw.example/gemini/models/gemini-2.5-flash:streamGenerateContent?tenant=a&alt=sse");
  }
}

}  // namespace gemini_stream_test
