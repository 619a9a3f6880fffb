// libFuzzer target for every flavour's reply parser, the verdict and answer matching.
// Input layout: byte 0 picks the flavour (a row of the flavour table, wrapped: a new flavour is
// covered without a change here); byte 1 the HTTP status (its low six bits, wrapped over
// `statuses`), and with bit 7 set the text up to the first '\n' becomes a Retry-After header,
// with bit 6 set the next line an x-amzn-ErrorType header (Bedrock's error code); the rest is
// the response body. Invariants are the ones tests/probes/reply_fuzz_test.cpp checks
// (fuzz_checks.hpp); a violation traps so libFuzzer keeps the input. Seeds: fuzz/corpus/reply/
// (fuzz/seeds_from_fixtures.py writes the fixtures' bodies there). Build and run: scripts/fuzz.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_checks.hpp"
#include "probes/verdict.hpp"

namespace {

using namespace visionwatch;
using fuzz::require;

void check_verdict(const verdict& v, unsigned status) {
  require((v.result == outcome::ok) == v.reason.empty());
  require(fuzz::one_line(v.reason) && is_valid_utf8(v.reason) && v.reason.size() <= 400);
  const bool two_xx = status >= 200 && status < 300;
  const bool http_outcome = v.result == outcome::rate_limited || v.result == outcome::http_4xx ||
                            v.result == outcome::http_5xx;
  require(two_xx != http_outcome);
}

/// Takes the text up to the first '\n' off the front of `rest`.
std::string take_line(std::string_view& rest) {
  const auto nl = rest.find('\n');
  std::string line(rest.substr(0, nl));
  rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return -1;
  }
  // fuzz/seeds_from_fixtures.py keeps a copy of this table.
  static constexpr std::array<unsigned, 15> statuses = {
      200, 200, 200, 200, 204, 301, 400, 401, 403, 404, 429, 500, 503, 529, 0};
  const api_flavour flavour = fuzz::flavour_at(data[0]);
  http_result h;
  h.status = statuses[(data[1] & 0x3Fu) % statuses.size()];
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  if ((data[1] & 0x80u) != 0) {
    h.headers.emplace_back("retry-after", take_line(rest));
    h.headers.emplace_back("date", "Sun, 01 Mar 2026 12:00:00 GMT");
  }
  if ((data[1] & 0x40u) != 0) {
    h.headers.emplace_back("x-amzn-errortype", take_line(rest));
  }
  h.body = std::string(rest);

  const auto now = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};
  const reply r = parse_reply(flavour, h, now);
  fuzz::check_reply(r);
  require(r.stream_error.empty());  // only a stream decoder sets it

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
