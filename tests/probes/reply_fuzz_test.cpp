// Deterministic mutation tests for the reply parser and the verdict: truncation at every byte,
// random byte edits, JSON type swaps at every path, deep nesting, huge numbers, invalid UTF-8 and
// NUL bytes. Each input must parse without throwing and keep the reply's invariants; the verdict
// must give one bounded line. (fuzz/reply_fuzzer.cpp runs the same checks under libFuzzer.)
#include <doctest/doctest.h>

#include <array>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "probes/adapter.hpp"
#include "probes/retry_after.hpp"
#include "probes/text_util.hpp"
#include "probes/verdict.hpp"
#include "tests/probes/reply_invariants.hpp"

namespace reply_fuzz_test {

using nlohmann::json;
using namespace visionwatch;

namespace {

const auto fixed_now = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};

const std::string healthy_body = R"({
  "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
  "object": "chat.completion",
  "created": 1741570283,
  "model": "gpt-4.1-mini-2025-04-14",
  "choices": [{"index": 0,
               "message": {"role": "assistant", "content": "4821", "refusal": null,
                           "annotations": []},
               "logprobs": null, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 159, "completion_tokens": 2, "total_tokens": 161,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0, "image_tokens": 85},
            "completion_tokens_details": {"reasoning_tokens": 0}},
  "service_tier": "default"
})";

const std::string parts_body =
    R"({"choices":[{"message":{"content":[{"type":"text","text":"48"},{"type":"text","text":"21"}]},"finish_reason":"length"}],"usage":{"prompt_tokens":27.0,"completion_tokens":"5","total_tokens":32,"prompt_tokens_details":null}})";

const std::string gemini_error =
    R"([{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}])";

const std::string anthropic_error =
    R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})";

bool one_line(std::string_view s) {
  return s.find('\n') == std::string_view::npos && s.find('\r') == std::string_view::npos;
}

/// Parses and judges one response; returns false (after CHECKs) when an invariant breaks.
void check_one(unsigned status, const std::string& body, header_list headers = {}) {
  http_result h;
  h.status = status;
  h.body = body;
  h.headers = std::move(headers);
  reply r;
  REQUIRE_NOTHROW(r = parse_reply(api_flavour::openai_chat, h, fixed_now));

  if (!test::reply_invariants_hold(r)) {
    CAPTURE(status);
    CAPTURE(one_line_excerpt(body, 400));
    CAPTURE(r.parse_error);
    CHECK(test::reply_invariants_hold(r));
  }

  answer_expectation e;
  e.kind = challenge_kind::digits;
  e.answer = "4821";
  verdict v;
  REQUIRE_NOTHROW(v = judge(h, r, e, 25, verdict_checks{}));
  const bool two_xx = status >= 200 && status < 300;
  const bool v_ok = (v.result == outcome::ok) == v.reason.empty() && one_line(v.reason) &&
                    is_valid_utf8(v.reason) && v.reason.size() <= 400 &&
                    !is_transport_error(v.result) &&
                    (two_xx || v.result == outcome::rate_limited || v.result == outcome::http_4xx ||
                     v.result == outcome::http_5xx) &&
                    (!two_xx || (v.result != outcome::rate_limited &&
                                 v.result != outcome::http_4xx && v.result != outcome::http_5xx)) &&
                    (r.well_formed || !two_xx || v.result == outcome::bad_response);
  if (!v_ok) {
    CAPTURE(status);
    CAPTURE(one_line_excerpt(body, 400));
    CAPTURE(to_string(v.result));
    CAPTURE(v.reason);
    CHECK(v_ok);
  }
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("fuzz: truncation at every byte of real replies") {
    for (const std::string* body : {&healthy_body, &parts_body, &gemini_error, &anthropic_error}) {
      for (std::size_t n = 0; n <= body->size(); ++n) {
        check_one(200, body->substr(0, n));
        check_one(429, body->substr(0, n), {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}});
      }
    }
  }

  TEST_CASE("fuzz: every value swapped for every JSON type") {
    const std::vector<json> replacements = {nullptr,
                                            true,
                                            0,
                                            -1,
                                            159.0,
                                            10.5,
                                            1e308,
                                            -1e308,
                                            std::numeric_limits<std::uint64_t>::max(),
                                            std::numeric_limits<std::int64_t>::min(),
                                            "",
                                            "4821",
                                            "159",
                                            std::string("\0\0", 2),
                                            json::array(),
                                            json::array({1, "x", nullptr}),
                                            json::object(),
                                            json{{"type", "text"}, {"text", 7}}};
    for (const std::string* body : {&healthy_body, &parts_body, &gemini_error, &anthropic_error}) {
      const json doc = json::parse(*body);
      std::vector<json::json_pointer> pointers;
      test::collect_pointers(doc, json::json_pointer{}, pointers);
      for (const auto& p : pointers) {
        for (const auto& rep : replacements) {
          json mutated = doc;
          mutated[p] = rep;
          check_one(200, mutated.dump());
          check_one(400, mutated.dump());
        }
      }
    }
  }

  TEST_CASE("fuzz: thousands of random byte edits stay safe") {
    std::mt19937_64 rng(20260301);
    const std::vector<std::string> seeds = {
        healthy_body, parts_body, gemini_error, anthropic_error};
    const auto interesting = std::to_array<std::string>({"\"",
                                                         "\\",
                                                         "{",
                                                         "}",
                                                         "[",
                                                         "]",
                                                         ",",
                                                         ":",
                                                         "\\u0000",
                                                         "\\ud800",
                                                         "1e400",
                                                         "-0",
                                                         "1180591620717411303424",
                                                         "null",
                                                         "\xff",
                                                         "\xc3",
                                                         "\xed\xa0\x80",
                                                         std::string(1, '\0'),
                                                         "\xf4\x90\x80\x80"});
    for (int iteration = 0; iteration < 6000; ++iteration) {
      std::string body = seeds[rng() % seeds.size()];
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < edits && !body.empty(); ++k) {
        const std::size_t pos = rng() % body.size();
        switch (rng() % 4) {
          case 0:
            body[pos] = static_cast<char>(rng() % 256);
            break;
          case 1:
            body.erase(pos, 1 + rng() % 8);
            break;
          case 2:
            body.insert(pos, interesting[rng() % interesting.size()]);
            break;
          default:
            body.insert(pos, body.substr(rng() % body.size(), rng() % 32));
            break;
        }
      }
      constexpr auto statuses =
          std::to_array<unsigned>({200, 200, 200, 204, 301, 400, 404, 429, 500, 529, 0, 999});
      check_one(statuses[rng() % statuses.size()], body);
    }
  }

  TEST_CASE("fuzz: deep nesting anywhere is refused quickly") {
    const std::string deep_arrays = std::string(100'000, '[') + std::string(100'000, ']');
    const std::string deep_objects = [] {
      std::string s;
      for (int i = 0; i < 100'000; ++i) {
        s += "{\"a\":";
      }
      s += "1";
      s += std::string(100'000, '}');
      return s;
    }();
    check_one(200, deep_arrays);
    check_one(200, deep_objects);
    check_one(500, deep_objects);
    // Nested inside a real field, and unterminated.
    std::string in_content = healthy_body;
    in_content.replace(in_content.find("\"4821\""), 6, std::string(5000, '['));
    check_one(200, in_content);
    check_one(200, std::string(100'000, '['));
  }

  TEST_CASE("fuzz: huge numbers in every usage field") {
    for (const char* number : {"1e400",
                               "-1e400",
                               "1e-400",
                               "1180591620717411303424",
                               "18446744073709551616",
                               "-9223372036854775809",
                               "1e12",
                               "1000000000001",
                               "NaN",
                               "Infinity",
                               "0.0000001",
                               "-0.0"}) {
      for (const char* field : {"prompt_tokens",
                                "completion_tokens",
                                "total_tokens",
                                "image_tokens",
                                "cached_tokens"}) {
        std::string body = healthy_body;
        const std::string key = std::string("\"") + field + "\": ";
        const auto at = body.find(key);
        REQUIRE(at != std::string::npos);
        const auto value_start = at + key.size();
        const auto value_end = body.find_first_of(",}", value_start);
        body.replace(value_start, value_end - value_start, number);
        CAPTURE(body);
        check_one(200, body);
      }
    }
  }

  TEST_CASE("fuzz: invalid UTF-8 and NUL bytes in every string") {
    const auto bad = std::to_array<std::string>({"\xff",
                                                 "\xc0\xaf",
                                                 "\xed\xa0\x80",
                                                 "\xe2\x82",
                                                 std::string(1, '\0'),
                                                 "\\u0000",
                                                 "\\udc00",
                                                 "\x7f\x80\x9f"});
    for (const auto& b : bad) {
      std::string body = healthy_body;
      for (std::size_t pos = body.find('"'); pos != std::string::npos;
           pos = body.find('"', pos + b.size() + 2)) {
        std::string mutated = body;
        mutated.insert(pos + 1, b);
        check_one(200, mutated);
      }
    }
    // And the verdict sees the text: a NUL-laden answer is still judged.
    http_result h;
    h.status = 200;
    h.body = R"({"choices":[{"message":{"content":"48\u000021"}}]})";
    const auto r = parse_reply(api_flavour::openai_chat, h, fixed_now);
    CHECK(r.well_formed);
    CHECK(r.text == std::string("48\0"
                                "21",
                                5));
  }
}

}  // namespace reply_fuzz_test
