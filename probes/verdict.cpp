#include "probes/verdict.hpp"

#include <algorithm>
#include <exception>
#include <limits>

#include "probes/text_util.hpp"
#include "probes/verdict_match.hpp"
#include "probes/verdict_normalise.hpp"

namespace visionwatch {
namespace {

using namespace verdict_detail;

/// Bytes of the answer quoted in a reason.
constexpr std::size_t excerpt_bytes = 120;

// ---------------------------------------------------------------------------------------------
// Reasons

std::string quoted(std::string_view text, std::size_t max_bytes = excerpt_bytes) {
  return "'" + one_line_excerpt(text, max_bytes) + "'";
}

std::string wrong_answer_reason(const answer_expectation& e,
                                std::string_view text,
                                match_status status) {
  const std::string answer = "answer " + quoted(text);
  if (status == match_status::bad_pattern) {
    return "pattern " + quoted(e.pattern) + " is not a valid regular expression; " + answer +
           " not checked";
  }
  if (!e.pattern.empty() || !e.accepted.empty()) {
    std::string want;
    if (!e.pattern.empty()) {
      want = "pattern " + quoted(e.pattern);
    }
    for (std::size_t i = 0; i < e.accepted.size() && i < 5; ++i) {
      want += want.empty() ? "" : (i == 0 ? " or " : ", ");
      want += quoted(e.accepted[i], 40);
    }
    if (e.accepted.size() > 5) {
      want += ", ...";
    }
    return answer + " does not match " + want;
  }
  if (status == match_status::several) {
    return answer + " names several candidates, expected " + quoted(e.answer, 40);
  }
  return answer + " does not contain expected " + quoted(e.answer, 40);
}

std::string http_reason(const http_result& http, const reply& r) {
  std::string s = "HTTP " + std::to_string(http.status);
  if (http.status >= 300 && http.status < 400) {
    s += ": redirect";
    if (const auto loc = http.header("location"); !loc.empty()) {
      s += " to " + one_line_excerpt(redact_secrets(loc), message_bytes);
    }
    return s + " (redirects are not followed; check base_url)";
  }
  const std::string message = one_line_excerpt(redact_secrets(r.error_message), message_bytes);
  if (!message.empty()) {
    s += ": " + message;
  }
  const std::string code = one_line_excerpt(r.error_code, 64);
  if (!code.empty() && !all_digits(code) && message.find(code) == std::string::npos) {
    s += " (" + code + ")";
  }
  if (r.retry_after) {
    s += "; retry after " + std::to_string(r.retry_after->count()) + "s";
  }
  return s;
}

/// The checks every reply goes through: transport, HTTP status, body shape.
std::optional<verdict> judge_response(const http_result& http, const reply& r) {
  verdict v;
  if (http.transport_error) {
    v.result = *http.transport_error;
    v.reason = http.reason.empty() ? std::string(to_string(v.result))
                                   : one_line_excerpt(redact_secrets(http.reason), message_bytes);
    return v;
  }
  if (http.status < 200 || http.status >= 300) {
    v.result = http.status == 429                        ? outcome::rate_limited
               : http.status >= 400 && http.status < 500 ? outcome::http_4xx
                                                         : outcome::http_5xx;
    v.reason = http_reason(http, r);
    return v;
  }
  if (!r.well_formed) {
    v.result = outcome::bad_response;
    v.reason = r.parse_error.empty()
                   ? "malformed reply"
                   : "malformed reply: " + one_line_excerpt(r.parse_error, message_bytes);
    return v;
  }
  if (!r.stream_error.empty()) {
    v.result = outcome::stream_error;
    v.reason = "stream error: " + one_line_excerpt(redact_secrets(r.stream_error), message_bytes);
    return v;
  }
  return std::nullopt;
}

long long saturating_add(long long a, long long b) noexcept {
  long long out = 0;
  if (__builtin_add_overflow(a, b, &out)) {
    return b > 0 ? std::numeric_limits<long long>::max() : std::numeric_limits<long long>::min();
  }
  return out;
}

verdict fail(outcome o, std::string reason, const verdict& base) {
  verdict v = base;
  v.result = o;
  v.reason = std::move(reason);
  return v;
}

verdict judge_unchecked(const http_result& http,
                        const reply& r,
                        const answer_expectation& expect,
                        std::optional<long long> baseline,
                        const verdict_checks& checks) {
  if (auto early = judge_response(http, r)) {
    return *early;
  }
  verdict v;
  v.usage_missing = !r.tokens.present();

  const bool filtered = r.finish_reason == "content_filter";
  if (is_blank(r.text) && is_blank(r.refusal) && !filtered) {
    std::string reason = "empty answer";
    if (r.finish_reason == "length") {
      reason +=
          " (finish_reason length: the token limit was reached before any text; raise "
          "max_tokens)";
    } else if (!r.finish_reason.empty() && r.finish_reason != "stop") {
      reason += " (finish_reason " + one_line_excerpt(r.finish_reason, 64) + ")";
    }
    return fail(outcome::empty_answer, std::move(reason), v);
  }

  const std::string text = normalize(r.text);
  const std::string refusal = normalize(r.refusal);
  const auto& no_image = checks.no_image_phrases.normalized();
  if (has_phrase(text, no_image)) {
    return fail(outcome::no_image_claim, "no-image claim: " + quoted(r.text), v);
  }
  if (has_phrase(refusal, no_image)) {
    return fail(outcome::no_image_claim, "no-image claim: " + quoted(r.refusal), v);
  }
  if (!is_blank(r.refusal)) {
    return fail(outcome::refusal, "refusal: " + quoted(r.refusal), v);
  }
  if (filtered) {
    std::string reason = "refusal: finish_reason content_filter";
    if (!is_blank(r.text)) {
      reason += ", answer " + quoted(r.text);
    }
    return fail(outcome::refusal, std::move(reason), v);
  }

  // Refusal phrases count only when the answer is not right: "I'm sorry, but I can't be sure;
  // it reads 4821" did answer.
  const match_status m =
      has_expectation(expect) ? match_answer(expect, r.text) : match_status::match;
  if (m != match_status::match || !has_expectation(expect)) {
    if (has_phrase(text, checks.refusal_phrases.normalized())) {
      return fail(outcome::refusal, "refusal: " + quoted(r.text), v);
    }
  }
  if (m != match_status::match) {
    return fail(outcome::wrong_answer, wrong_answer_reason(expect, r.text, m), v);
  }

  if (v.usage_missing) {
    if (checks.require_usage) {
      return fail(
          outcome::image_tokens_missing, "no usage in the reply and require_usage is set", v);
    }
    return v;
  }
  if (r.tokens.image_tokens && *r.tokens.image_tokens > 0) {
    return v;
  }
  if (baseline) {
    const long long margin = std::max(0LL, checks.min_image_tokens);
    const long long needed = saturating_add(*baseline, margin);
    const long long prompt = *r.tokens.prompt_tokens;
    if (prompt < needed) {
      std::string reason = "prompt_tokens " + std::to_string(prompt) + " < baseline " +
                           std::to_string(*baseline) + " + " + std::to_string(margin);
      if (r.tokens.image_tokens) {
        reason += " (image_tokens 0)";
      }
      reason += ": the image was probably not processed";
      return fail(outcome::image_tokens_missing, std::move(reason), v);
    }
  }
  return v;
}

}  // namespace

verdict judge(const http_result& http,
              const reply& r,
              const answer_expectation& expect,
              std::optional<long long> baseline_prompt_tokens,
              const verdict_checks& checks) {
  try {
    return judge_unchecked(http, r, expect, baseline_prompt_tokens, checks);
  } catch (const std::exception& e) {
    // Only allocation failure can land here; a probe must never take the daemon down.
    verdict v;
    v.result = outcome::bad_response;
    v.reason = one_line_excerpt(std::string("verdict failed: ") + e.what(), message_bytes);
    return v;
  }
}

verdict judge_control(const http_result& http, const reply& r) {
  if (auto early = judge_response(http, r)) {
    return *early;
  }
  verdict v;
  v.usage_missing = !r.tokens.present();
  return v;
}

}  // namespace visionwatch
