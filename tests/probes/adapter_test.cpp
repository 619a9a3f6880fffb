#include "probes/adapter.hpp"

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

namespace adapter_test {

using namespace visionwatch;

TEST_SUITE("unit") {
  TEST_CASE("every flavour name maps back to its flavour and the list is in enum order") {
    const std::vector<std::string_view> names = api_flavour_names();
    REQUIRE(names == std::vector<std::string_view>{"openai-chat",
                                                   "openai-responses",
                                                   "anthropic-messages",
                                                   "azure-openai",
                                                   "gemini",
                                                   "bedrock-converse"});
    for (std::size_t i = 0; i < names.size(); ++i) {
      const auto f = api_flavour_from_string(names[i]);
      REQUIRE(f.has_value());
      CHECK(static_cast<std::size_t>(*f) == i);
      CHECK(to_string(*f) == names[i]);
    }
  }

  TEST_CASE("an unknown flavour name or value is refused and never guessed") {
    CHECK_FALSE(api_flavour_from_string("grpc").has_value());
    CHECK_FALSE(api_flavour_from_string("OpenAI-Chat").has_value());
    CHECK_FALSE(api_flavour_from_string("").has_value());
    CHECK(to_string(static_cast<api_flavour>(200)) == "unknown");
  }

  TEST_CASE("build_request and parse_reply dispatch to the flavour's functions") {
    probe_request r;
    r.base_url = "https://gateway.example/v1/";
    r.model = "m";
    r.prompt = "p";
    const http_request req = build_request(api_flavour::openai_chat, r);
    CHECK(req.url == "https://gateway.example/v1/chat/completions");
    CHECK(req.method == "POST");

    http_result res;
    res.status = 200;
    res.body = R"({"choices":[{"message":{"content":"4821"},"finish_reason":"stop"}]})";
    const reply rep = parse_reply(api_flavour::openai_chat, res);
    CHECK(rep.well_formed);
    CHECK(rep.text == "4821");
  }
}

}  // namespace adapter_test
