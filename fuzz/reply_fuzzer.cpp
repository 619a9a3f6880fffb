// libFuzzer target for the reply parser, the verdict and answer matching.
// Input layout: byte 0 picks the HTTP status (and, with its high bit set, the text up to the
// first '\n' becomes a Retry-After header); the rest is the response body. Invariants are the
// ones tests/probes/reply_fuzz_test.cpp checks; a violation traps so libFuzzer keeps the input.
// Build and run: see docs/verdict.md ("Fuzzing").
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "probes/adapter.hpp"
#include "probes/retry_after.hpp"
#include "probes/text_util.hpp"
#include "probes/verdict.hpp"

namespace {

using namespace visionwatch;

void require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

bool one_line(std::string_view s) {
  return s.find('\n') == std::string_view::npos && s.find('\r') == std::string_view::npos;
}

bool sane_count(const std::optional<long long>& v) {
  return !v || (*v >= 0 && *v <= max_token_count);
}

void check_reply(const reply& r) {
  require(r.well_formed == r.parse_error.empty());
  require(r.text.size() <= reply_text_limit && is_valid_utf8(r.text));
  require(r.refusal.size() <= reply_text_limit && is_valid_utf8(r.refusal));
  require(r.error_message.size() <= reply_error_limit && is_valid_utf8(r.error_message) &&
          one_line(r.error_message));
  require(r.parse_error.size() <= reply_error_limit && is_valid_utf8(r.parse_error) &&
          one_line(r.parse_error));
  require(is_valid_utf8(r.error_code) && is_valid_utf8(r.finish_reason));
  require(sane_count(r.tokens.prompt_tokens) && sane_count(r.tokens.completion_tokens) &&
          sane_count(r.tokens.total_tokens) && sane_count(r.tokens.image_tokens) &&
          sane_count(r.tokens.cached_tokens));
  require(!r.retry_after || (r.retry_after->count() >= 0 && *r.retry_after <= max_retry_after));
}

void check_verdict(const verdict& v, unsigned status) {
  require((v.result == outcome::ok) == v.reason.empty());
  require(one_line(v.reason) && is_valid_utf8(v.reason) && v.reason.size() <= 400);
  const bool two_xx = status >= 200 && status < 300;
  const bool http_outcome = v.result == outcome::rate_limited || v.result == outcome::http_4xx ||
                            v.result == outcome::http_5xx;
  require(two_xx != http_outcome);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  static constexpr std::array<unsigned, 12> statuses = {
      200, 200, 200, 200, 204, 301, 400, 404, 429, 500, 529, 0};
  http_result h;
  h.status = statuses[data[0] % statuses.size()];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 0x80u) != 0) {
    const auto nl = rest.find('\n');
    h.headers.emplace_back("retry-after", std::string(rest.substr(0, nl)));
    h.headers.emplace_back("date", "Sun, 01 Mar 2026 12:00:00 GMT");
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  h.body = std::string(rest);

  const auto now = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};
  const reply r = parse_reply(api_flavour::openai_chat, h, now);
  check_reply(r);

  static const std::array<answer_expectation, 5> expectations = [] {
    std::array<answer_expectation, 5> e;
    e[0].kind = challenge_kind::digits;
    e[0].answer = "48213";
    e[1].kind = challenge_kind::color;
    e[1].answer = "gray";
    e[2].kind = challenge_kind::shape;
    e[2].answer = "cross";
    e[3].kind = challenge_kind::count;
    e[3].answer = "7";
    e[4].pattern = "^\\s*(yes|ok)\\b";
    e[4].accepted = {"octocat", "数字"};
    return e;
  }();
  static const verdict_checks checks;
  for (const auto& e : expectations) {
    check_verdict(judge(h, r, e, 25, checks), h.status);
    // The raw body as an answer exercises matching on arbitrary bytes.
    (void)answer_matches(e, h.body);
  }
  check_verdict(judge_control(h, r), h.status);
  return 0;
}
