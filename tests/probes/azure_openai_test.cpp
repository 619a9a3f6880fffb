// The azure-openai flavour against the wire data in api-flavours/azure-openai-chat.json.
#include "probes/azure_openai.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/probes/flavour_test_support.hpp"

namespace azure_openai_test {

using namespace visionwatch::flavour_test_names;

namespace {

const json& fixture() { return flavour_fixture("azure-openai-chat.json"); }

/// The probe_request the fixture's classic base64 request was made from.
probe_request fixture_request() {
  const json& body = fixture()["request"]["classic"]["body_base64_image"];
  return one_image_request("https://res.openai.azure.com/openai",
                           "gpt-4o-vision",
                           body["messages"][0]["content"][0]["text"],
                           image_part{body["messages"][0]["content"][1]["image_url"]["url"], "low"},
                           body["max_tokens"].get<int>());
}

reply parse(unsigned status, const json& body, header_list headers = {}) {
  return azure_openai::parse_reply(response(status, body.dump(), std::move(headers)), fixed_now);
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the deployment request is the fixture's classic request - byte for byte as JSON") {
    const http_request req = azure_openai::build_request(fixture_request());
    CHECK(req.method == "POST");
    CHECK(req.url ==
          "https://res.openai.azure.com/openai/deployments/gpt-4o-vision/chat/completions"
          "?api-version=2024-10-21");
    CHECK(json::parse(req.body) == fixture()["request"]["classic"]["body_base64_image"]);
    CHECK_FALSE(json::parse(req.body).contains("model"));
    CHECK(header_value(req, "api-key") == test_key);
    CHECK(header_count(req, "authorization") == 0);
    CHECK(req.body.find(test_key) == std::string::npos);
  }

  TEST_CASE("the Azure query-string regression: a base_url with api-version keeps it last") {
    auto r = fixture_request();
    r.base_url = "https://res.openai.azure.com/openai/?api-version=2025-01-01-preview";
    CHECK(azure_openai::build_request(r).url ==
          "https://res.openai.azure.com/openai/deployments/gpt-4o-vision/chat/completions"
          "?api-version=2025-01-01-preview");
    r.base_url = "https://res.openai.azure.com/openai";
    r.api_version = "2024-06-01";
    CHECK(azure_openai::build_request(r).url.ends_with("/chat/completions?api-version=2024-06-01"));
    r.model = "my deployment/1";
    CHECK(azure_openai::build_request(r).url ==
          "https://res.openai.azure.com/openai/deployments/my%20deployment%2F1/chat/completions"
          "?api-version=2024-06-01");
  }

  TEST_CASE("an Entra ID token is sent as Authorization Bearer instead of api-key") {
    auto r = fixture_request();
    r.bearer_token = true;
    const auto req = azure_openai::build_request(r);
    CHECK(header_value(req, "Authorization") == "Bearer " + std::string(test_key));
    CHECK(header_count(req, "api-key") == 0);
    r.bearer_token = false;
    check_extra_headers_replace(r, {{"API-KEY", "other-key-456"}}, azure_openai::build_request);
  }

  TEST_CASE("the control request and max_completion_tokens follow the route") {
    auto r = fixture_request();
    r.images.clear();
    r.use_max_completion_tokens = true;
    r.temperature = 0.0;
    const json body = json::parse(azure_openai::build_request(r).body);
    CHECK(body["messages"][0]["content"].size() == 1);
    CHECK(body["max_completion_tokens"] == 64);
    CHECK_FALSE(body.contains("max_tokens"));
    CHECK(body["temperature"] == 0.0);
  }

  TEST_CASE("the fixture's reply parses like chat with the served model") {
    const auto r = parse(200, fixture()["response"]["body"]);
    CHECK(r.well_formed);
    CHECK(r.text == "A small green square.");
    CHECK(r.finish_reason == "stop");
    check_usage(r.tokens, {110, 6, 116, std::nullopt, 0});
  }

  TEST_CASE("a content_filter finish reason on a 200 is kept for the verdict") {
    json body = fixture()["response"]["body"];
    body["choices"][0]["finish_reason"] = "content_filter";
    body["choices"][0]["message"]["content"] = nullptr;
    const auto r = parse(200, body);
    CHECK(r.well_formed);
    CHECK(r.finish_reason == "content_filter");
  }

  TEST_CASE("every error body in the Azure fixture gives its message - code and retry hint") {
    const json& errors = fixture()["errors"];
    auto r = parse(400, errors["400_content_filter"]["body"]);
    CHECK(r.error_code == "content_filter");
    CHECK(r.error_message.starts_with("The response was filtered due to the prompt triggering"));
    CHECK_FALSE(r.retry_after.has_value());

    r = parse(401, errors["401"]["body"]);
    CHECK(r.error_code == "401");
    CHECK(r.error_message ==
          "the API key or token was refused: Access denied due to invalid subscription key or "
          "wrong API endpoint. Make sure to provide a valid key for an active subscription and "
          "use a correct regional API endpoint for your resource.");

    // The hint from the headers, then from the message when no header came.
    r = parse(429, errors["429"]["body"], {{"Retry-After", "12"}});
    CHECK(r.retry_after == seconds{12});
    r = parse(429, errors["429"]["body"], {{"retry-after-ms", "2500"}});
    CHECK(r.retry_after == seconds{3});
    r = parse(429, errors["429"]["body"]);
    CHECK(r.retry_after == seconds{86400});
    CHECK(r.error_code == "429");
  }

  TEST_CASE("the flavour table dispatches azure-openai") {
    CHECK(api_flavour_from_string("azure-openai") == api_flavour::azure_openai);
    CHECK(build_request(api_flavour::azure_openai, fixture_request()).url.find("/deployments/") !=
          std::string::npos);
  }
}

}  // namespace azure_openai_test
