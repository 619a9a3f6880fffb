#include "probes/openai_chat_stream.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "probes/adapter.hpp"
#include "tests/probes/stream_test_support.hpp"
#include "tests/support/test_paths.hpp"

namespace openai_chat_stream_test {

using namespace visionwatch;
namespace vt = visionwatch::test;
using vt::decoded;
using vt::streamed_200;

namespace {

nlohmann::json fixture() {
  return nlohmann::json::parse(
      vt::read_file(vt::fixtures_dir() / "api-flavours" / "openai-chat-stream.json"));
}

decoded decode(std::string_view body, std::size_t piece = 0, http_result res = streamed_200()) {
  return vt::decode_stream(api_flavour::openai_chat, body, piece, std::move(res));
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("a stream cut before [DONE] is a stream error with no usage") {
    const std::string stream = vt::recorded_stream(fixture());
    const auto cut = stream.substr(0, stream.find("data: [DONE]"));
    http_result res = streamed_200();
    res.stream_interrupted = "the connection closed mid-stream (partial message)";
    const auto d = decode(cut, 0, res);
    CHECK(d.r.well_formed);
    CHECK(d.r.stream_error ==
          "the stream ended before its final event (data: [DONE]): the connection closed "
          "mid-stream (partial message)");
    CHECK_FALSE(d.r.tokens.present());
    CHECK(d.r.text == "我是助手。");  // kept for the excerpt
  }

  TEST_CASE("an error chunk after HTTP 200 is a stream error with its message and stops reading") {
    const std::string stream =
        "data: "
        "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
        "data: {\"error\":{\"message\":\"The server had an error while processing your "
        "request.\",\"type\":\"server_error\",\"code\":null}}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"late\"}}]}\n\n";
    const auto d = decode(stream);
    vt::check_error_event(d,
                          "The server had an error while processing your request. (server_error)");
    CHECK(d.r.text.empty());
    CHECK(d.first_text_after == 0);
  }

  TEST_CASE("an `event: error` from a gateway is a stream error too") {
    const auto d =
        decode("event: error\ndata: {\"error\":{\"message\":\"upstream overloaded\"}}\n\n");
    CHECK(d.r.stream_error == "error event after HTTP 200: upstream overloaded");
  }

  TEST_CASE("a chunk that is not JSON makes the reply malformed - not a crash") {
    const auto d = decode("data: {\"choices\":[\ndata: oops\n\n");
    CHECK(d.stopped);
    CHECK_FALSE(d.r.well_formed);
    CHECK(d.r.parse_error.starts_with("stream: stream chunk 1: "));
  }

  TEST_CASE("choices of the wrong type make the reply malformed") {
    const auto d = decode("data: {\"choices\":\"x\"}\n\ndata: [DONE]\n\n");
    CHECK_FALSE(d.r.well_formed);
    CHECK(d.r.parse_error == "stream: stream chunk 1: choices is a string, expected array");
  }

  TEST_CASE("usage repeated on every chunk is taken from the last one - never summed") {
    const std::string stream =
        "data: {\"choices\":[{\"delta\":{\"content\":\"48\"}}],\"usage\":{\"prompt_tokens\":900,"
        "\"completion_tokens\":1}}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"21\"},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":900,\"completion_tokens\":2,\"prompt_tokens_details\":{"
        "\"image_tokens\":850}}}\n\n"
        "data: {\"choices\":[],\"usage\":null}\n\n"
        "data: [DONE]\n\n";
    const auto d = decode(stream);
    CHECK(d.r.text == "4821");
    CHECK(d.r.tokens.prompt_tokens == 900);
    CHECK(d.r.tokens.completion_tokens == 2);
    CHECK(d.r.tokens.image_tokens == 850);
  }

  TEST_CASE("Azure's first chunk with empty choices and filter results is harmless") {
    const std::string stream =
        "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
        "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":"
        "\"stop\"}],\"model\":\"gpt-4o-2024-11-20\"}\n\n"
        "data: [DONE]\n\n";
    const auto d = decode(stream);
    CHECK(d.r.well_formed);
    CHECK(d.r.text == "ok");
    CHECK(d.r.model == "gpt-4o-2024-11-20");
  }

  TEST_CASE("refusal and reasoning deltas go to their fields - not the text") {
    const std::string stream =
        "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"thinking\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"refusal\":\"I can't help\"}}]}\n\n"
        "data: [DONE]\n\n";
    const auto d = decode(stream, 7);
    CHECK(d.r.text.empty());
    CHECK(d.first_text_after == 0);
    CHECK(d.r.refusal == "I can't help");
    CHECK(d.r.reasoning == "thinking");
  }

  TEST_CASE("an error status or a JSON body is parsed whole - as without streaming") {
    http_result err;
    err.status = 429;
    err.headers = {{"content-type", "application/json"}, {"retry-after", "7"}};
    const auto d =
        decode(R"({"error":{"message":"Rate limit reached","type":"requests"}})", 0, err);
    CHECK(d.r.error_message == "Rate limit reached");
    CHECK(d.r.retry_after == std::chrono::seconds(7));
    CHECK(d.r.stream_error.empty());

    http_result json_200;
    json_200.status = 200;
    json_200.headers = {{"content-type", "application/json"}};
    const auto whole = decode(
        R"({"choices":[{"message":{"content":"4821"},"finish_reason":"stop"}]})", 0, json_200);
    CHECK(whole.r.well_formed);
    CHECK(whole.r.text == "4821");
    CHECK(whole.r.stream_error.empty());
  }

  TEST_CASE("a transport failure is the flavour's no-response reply") {
    http_result failed;
    failed.transport_error = outcome::timeout;
    failed.reason = "deadline of 100 ms passed during transfer (h:1)";
    auto d = make_stream_decoder(api_flavour::openai_chat);
    const reply r = d->finish(failed, vt::stream_now);
    CHECK_FALSE(r.well_formed);
    CHECK(r.stream_error.empty());
  }

  TEST_CASE("the request asks for a stream with usage - and only when told to") {
    const auto [plain_request, streamed] = vt::build_stream_requests(
        api_flavour::openai_chat, "https://api.openai.com/v1", "gpt-4.1-mini");
    const auto plain = nlohmann::json::parse(plain_request.body);
    CHECK_FALSE(plain.contains("stream"));
    CHECK_FALSE(plain.contains("stream_options"));
    const auto body = nlohmann::json::parse(streamed.body);
    const auto additions = fixture()["request"]["body_additions"];
    CHECK(body["stream"] == additions["stream"]);
    CHECK(body["stream_options"]["include_usage"] == additions["stream_options"]["include_usage"]);
    bool accept_sse = false;
    for (const auto& [k, v] : streamed.headers) {
      accept_sse = accept_sse || (k == "Accept" && v == "text/event-stream");
    }
    CHECK(accept_sse);  // with the exact spelling "Accept"
  }
}

}  // namespace openai_chat_stream_test
