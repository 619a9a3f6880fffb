// Azure OpenAI streams chat's chunks: its decoder is openai_chat's with Azure's parser for what
// is not streamed (probes/azure_openai.hpp, make_stream_decoder).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "probes/adapter.hpp"
#include "tests/probes/flavour_test_support.hpp"
#include "tests/probes/stream_test_support.hpp"

namespace azure_openai_stream_test {

using namespace visionwatch::flavour_test_names;

namespace {

constexpr auto flavour = api_flavour::azure_openai;

const json& fixture() { return vt::flavour_fixture("azure-openai-chat.json"); }

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("Azure: a stream cut before [DONE] is a stream error with no usage") {
    const std::string stream = vt::recorded_stream(fixture());
    const auto d = vt::decode_stream(flavour, stream.substr(0, stream.find("data: [DONE]")));
    CHECK(d.r.stream_error == "the stream ended before its final event (data: [DONE])");
    CHECK_FALSE(d.r.tokens.present());
  }

  TEST_CASE(
      "Azure: an error chunk after HTTP 200 is a stream error - a numeric code adds nothing") {
    const json error = fixture().at("errors").at("429").at("body");
    const std::string stream = vt::recorded_stream(fixture());
    const auto cut = stream.find("data: ", stream.find("A small"));
    const auto d = vt::decode_stream(flavour, stream.substr(0, cut) + vt::sse_event("", error));
    vt::check_error_event(d, error.at("error").at("message").get<std::string>());
  }

  TEST_CASE("Azure: an error status goes through Azure's parser - the hint in its message") {
    const auto& e = fixture().at("errors").at("429");
    const auto d = vt::decode_stream(flavour,
                                     e.at("body").dump(),
                                     0,
                                     vt::response(429, "", {{"content-type", "application/json"}}));
    CHECK(d.r.stream_error.empty());
    // Azure's "Please retry after 86400 seconds" (openai_chat's parser would not read it).
    CHECK(d.r.retry_after == std::chrono::seconds(86400));
    const auto ms = vt::decode_stream(
        flavour, e.at("body").dump(), 0, vt::response(429, "", {{"retry-after-ms", "1500"}}));
    CHECK(ms.r.retry_after == std::chrono::seconds(2));
  }

  TEST_CASE("the Azure request asks for a stream with usage - and only when told to") {
    const auto [plain, streamed] =
        vt::build_stream_requests(flavour, "https://res.openai.azure.com/openai", "gpt-4o");
    CHECK_FALSE(json::parse(plain.body).contains("stream"));
    CHECK_FALSE(json::parse(plain.body).contains("stream_options"));
    const auto body = json::parse(streamed.body);
    CHECK(body.at("stream") == true);
    CHECK(body.at("stream_options").at("include_usage") == true);
    CHECK_FALSE(body.contains("model"));  // the deployment in the path selects it
    CHECK(streamed.url ==
          "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version="
          "2024-10-21");
  }
}

}  // namespace azure_openai_stream_test
