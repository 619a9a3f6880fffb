// How every flavour turns a gateway's base_url into its endpoint: the path goes before the query
// string (issue 12: an Azure base_url with ?api-version= used to become
// "...?api-version=2024-10-21/chat/completions", an HTTP 404).
#include <doctest/doctest.h>

#include "probes/adapter.hpp"
#include "probes/adapter_support.hpp"

namespace endpoint_url_test {

using namespace visionwatch;

namespace {

probe_request request_for(std::string base_url) {
  probe_request r;
  r.base_url = std::move(base_url);
  r.model = "gpt-4o";
  r.prompt = "What number is written in the image?";
  return r;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("an openai-chat base_url with an api-version query keeps the query after the path") {
    const auto req = build_request(api_flavour::openai_chat,
                                   request_for("https://res.openai.azure.com/openai/deployments/"
                                               "gpt-4o?api-version=2024-10-21"));
    CHECK(req.url ==
          "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions"
          "?api-version=2024-10-21");
  }

  TEST_CASE("join_url appends the path before the query and drops trailing slashes") {
    using adapter_support::join_url;
    CHECK(join_url("https://x/openai?api-version=1", "/chat/completions") ==
          "https://x/openai/chat/completions?api-version=1");
    CHECK(join_url("https://x/openai/?api-version=1", "/chat/completions") ==
          "https://x/openai/chat/completions?api-version=1");
    CHECK(join_url("https://x/v1//", "/responses") == "https://x/v1/responses");
    CHECK(join_url("https://x/v1", "/messages") == "https://x/v1/messages");
    CHECK(join_url("https://x/v1?a=1&b=2", "/messages") == "https://x/v1/messages?a=1&b=2");
    CHECK(join_url("https://x/v1?", "/messages") == "https://x/v1/messages?");
    // An endpoint already in base_url is used as is, query and all.
    CHECK(join_url("https://x/v1/messages?beta=true", "/messages") ==
          "https://x/v1/messages?beta=true");
  }

  TEST_CASE("with_query_param adds a parameter unless the URL already has it") {
    using adapter_support::with_query_param;
    CHECK(with_query_param("https://x/a", "api-version", "2024-10-21") ==
          "https://x/a?api-version=2024-10-21");
    CHECK(with_query_param("https://x/a?foo=1", "api-version", "2024-10-21") ==
          "https://x/a?foo=1&api-version=2024-10-21");
    CHECK(with_query_param("https://x/a?api-version=2025-01-01", "api-version", "2024-10-21") ==
          "https://x/a?api-version=2025-01-01");
    CHECK(with_query_param("https://x/a?x-api-version=1", "api-version", "2") ==
          "https://x/a?x-api-version=1&api-version=2");
    CHECK(with_query_param("https://x/a?", "api-version", "2") == "https://x/a?api-version=2");
    // Values are percent-encoded.
    CHECK(with_query_param("https://x/a", "v", "a b&c") == "https://x/a?v=a%20b%26c");
  }
}

}  // namespace endpoint_url_test
