// Hostile bytes for the native flavours' parsers (openai-responses, anthropic-messages,
// azure-openai): every fixture reply and error body truncated at every byte and edited at random
// (fixed seed), with wrong types swapped in at every path. Each must parse without throwing and
// keep reply.hpp's invariants; a truncated body is never well formed.
#include <doctest/doctest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "probes/adapter.hpp"
#include "probes/text_util.hpp"
#include "tests/probes/flavour_test_support.hpp"

namespace flavour_robustness_test {

using namespace visionwatch::flavour_test_names;

namespace {

struct sample {
  api_flavour flavour;
  unsigned status;
  std::string body;
};

/// Every reply and error body of the three fixtures, with the flavour that parses it.
std::vector<sample> samples() {
  std::vector<sample> out;
  const std::vector<std::pair<api_flavour, std::string>> files = {
      {api_flavour::openai_responses, "openai-responses.json"},
      {api_flavour::anthropic_messages, "anthropic-messages.json"},
      {api_flavour::azure_openai, "azure-openai-chat.json"}};
  for (const auto& [flavour, file] : files) {
    const json& f = flavour_fixture(file);
    out.push_back({flavour, 200, f["response"]["body"].dump()});
    for (const auto& [name, e] : f["errors"].items()) {
      if (e.is_object() && e.contains("body")) {
        const unsigned status = static_cast<unsigned>(std::stoul(name.substr(0, 3)));
        out.push_back({flavour, status, e["body"].dump()});
      }
    }
  }
  return out;
}

void check_invariants(const sample& s, const std::string& body) {
  http_result h;
  h.status = s.status;
  h.body = body;
  reply r;
  REQUIRE_NOTHROW(r = parse_reply(s.flavour, h, fixed_now));
  CHECK(is_valid_utf8(r.text));
  CHECK(is_valid_utf8(r.reasoning));
  CHECK(r.text.size() <= reply_text_limit);
  CHECK(r.parse_error.size() <= reply_error_limit);
  CHECK(r.error_message.size() <= reply_error_limit + 128);
  CHECK(r.parse_error.find('\n') == std::string::npos);
  CHECK((!r.tokens.prompt_tokens || *r.tokens.prompt_tokens >= 0));
}

/// Every value in `j` replaced, one at a time, by a value of each other JSON type.
void for_each_type_swap(json& j, const std::function<void()>& visit) {
  static const std::vector<json> swaps = {
      nullptr, 42, -1, 1.5, "x", json::array(), json::object(), true};
  if (!j.is_structured()) {
    return;
  }
  for (auto& v : j) {  // an object's values or an array's elements
    const json saved = v;
    for (const auto& s : swaps) {
      v = s;
      visit();
    }
    v = saved;
    for_each_type_swap(v, visit);
  }
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE(
      "native flavour replies truncated at every byte parse cleanly and are not well formed") {
    for (const auto& s : samples()) {
      CAPTURE(s.body);
      for (std::size_t n = 0; n < s.body.size(); ++n) {
        const std::string cut = s.body.substr(0, n);
        check_invariants(s, cut);
        http_result h;
        h.status = s.status;
        h.body = cut;
        CHECK_FALSE(parse_reply(s.flavour, h, fixed_now).well_formed);
      }
    }
  }

  TEST_CASE("native flavour replies with random byte edits parse cleanly") {
    std::mt19937_64 rng(20261126);
    for (const auto& s : samples()) {
      for (int i = 0; i < 300; ++i) {
        std::string body = s.body;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !body.empty(); ++e) {
          body[rng() % body.size()] = static_cast<char>(rng() % 256);
        }
        check_invariants(s, body);
      }
    }
  }

  TEST_CASE("native flavour replies with a wrong type at any path parse cleanly") {
    for (const auto& s : samples()) {
      json j = json::parse(s.body);
      for_each_type_swap(j, [&] { check_invariants(s, j.dump()); });
    }
  }
}

}  // namespace flavour_robustness_test
