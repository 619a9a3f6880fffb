#include "probes/verdict.hpp"

#include <algorithm>
#include <exception>
#include <limits>

#include "probes/reasoning_text.hpp"
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

std::string in_quotes(std::string_view text, std::size_t max_bytes = excerpt_bytes) {
  return "'" + one_line_excerpt(text, max_bytes) + "'";
}

std::string wrong_answer_reason(const answer_expectation& e,
                                std::string_view text,
                                match_status status) {
  const std::string answer = "answer " + in_quotes(text);
  if (status == match_status::bad_pattern) {
    return "pattern " + in_quotes(e.pattern) + " is not a valid regular expression; " + answer +
           " not checked";
  }
  if (!e.pattern.empty() || !e.accepted.empty()) {
    std::string want;
    if (!e.pattern.empty()) {
      want = "pattern " + in_quotes(e.pattern);
    }
    for (std::size_t i = 0; i < e.accepted.size() && i < 5; ++i) {
      want += want.empty() ? "" : (i == 0 ? " or " : ", ");
      want += in_quotes(e.accepted[i], 40);
    }
    if (e.accepted.size() > 5) {
      want += ", ...";
    }
    return answer + " does not match " + want;
  }
  if (status == match_status::several) {
    return answer + " names several candidates, expected " + in_quotes(e.answer, 40);
  }
  return answer + " does not contain expected " + in_quotes(e.answer, 40);
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
  v.note = probe_note::none;  // notes qualify a pass
  return v;
}

/// A user-supplied probe's expectation (pattern and/or accepted words) against the final
/// answer, with the pattern compiled at load and the answer normalised by the caller.
match_status match_custom(const answer_expectation& e,
                          std::string_view answer,
                          std::string_view normalized) {
  bool invalid = false;
  if (!e.pattern.empty()) {
    std::shared_ptr<const answer_pattern> re = e.compiled_pattern;
    if (!re) {
      std::string error;
      re = answer_pattern::compile(e.pattern, error);
    }
    const std::optional<bool> found = re ? re->search(answer) : std::nullopt;
    if (found == true) {
      return match_status::match;
    }
    invalid = !found.has_value();
  }
  for (const auto& w : e.accepted) {
    if (contains_phrase(normalized, normalize(w))) {
      return match_status::match;
    }
  }
  return invalid ? match_status::bad_pattern : match_status::missing;
}

/// The answer against the expectation. Custom expectations are matched here on the normalised
/// answer; generated challenges go to the kind-aware matchers (verdict_match).
match_status match_final_answer(const answer_expectation& e,
                                std::string_view answer,
                                std::string_view normalized) {
  if (!e.pattern.empty() || !e.accepted.empty()) {
    return match_custom(e, answer, normalized);
  }
  return match_answer(e, answer, normalized);
}

std::string empty_answer_reason(const reply& r, bool reasoned) {
  if (r.finish_reason == "tool_calls") {
    // Shape `tools` exists to catch this: an application that declares tools gets no answer.
    return "empty answer: the model called the declared tool instead of answering "
           "(finish_reason tool_calls)";
  }
  if (reasoned) {
    if (r.finish_reason == "length") {
      return "empty answer: the model was still reasoning when the token limit was reached "
             "(finish_reason length); raise max_tokens";
    }
    return "empty answer: only reasoning, no final answer";
  }
  std::string reason = "empty answer";
  if (r.finish_reason == "length") {
    reason +=
        " (finish_reason length: the token limit was reached before any text; raise "
        "max_tokens)";
  } else if (!r.finish_reason.empty() && r.finish_reason != "stop") {
    reason += " (finish_reason " + one_line_excerpt(r.finish_reason, 64) + ")";
  }
  return reason;
}

/// The usage checks of an answer judged right: nullopt when usage is consistent with an image.
/// A reported image_tokens > 0 is a claim (one-api/new-api gateways compute it from the tile
/// formula whether or not the upstream got the image), so it is checked against the prompt's
/// growth over the text-only baseline too.
std::optional<verdict> judge_usage(const reply& r,
                                   std::optional<long long> baseline,
                                   const verdict_checks& checks,
                                   const verdict& v) {
  if (v.usage_missing) {
    if (checks.require_usage) {
      return fail(
          outcome::image_tokens_missing, "no usage in the reply and require_usage is set", v);
    }
    return std::nullopt;
  }
  if (!baseline) {
    return std::nullopt;  // nothing to compare with: the claim (if any) cannot be checked
  }
  const long long margin = std::max(0LL, checks.min_image_tokens);
  const long long prompt = *r.tokens.prompt_tokens;
  if (r.tokens.image_tokens && *r.tokens.image_tokens > 0) {
    const long long claimed = *r.tokens.image_tokens;
    const long long needed = std::min(claimed, margin);
    const long long growth = saturating_add(prompt, -*baseline);
    if (growth < needed) {
      return fail(outcome::image_tokens_missing,
                  "image_tokens " + std::to_string(claimed) + " claimed, but prompt_tokens " +
                      std::to_string(prompt) + " grew only " + std::to_string(growth) +
                      " over the text-only baseline " + std::to_string(*baseline) + " (at least " +
                      std::to_string(needed) +
                      " expected): the upstream probably never got the image",
                  v);
    }
    return std::nullopt;
  }
  const long long needed = saturating_add(*baseline, margin);
  if (prompt < needed) {
    std::string reason = "prompt_tokens " + std::to_string(prompt) + " < baseline " +
                         std::to_string(*baseline) + " + " + std::to_string(margin);
    if (r.tokens.image_tokens) {
      reason += " (image_tokens 0)";
    }
    reason += ": the image was probably not processed";
    return fail(outcome::image_tokens_missing, std::move(reason), v);
  }
  return std::nullopt;
}

/// Judges the answer itself (empty, claim, refusal, wrong, usage) of a well-formed 2xx reply.
/// `answer` is the final answer: the text without thinking blocks.
verdict judge_answer(const reply& r,
                     const std::string& answer,
                     bool reasoned,
                     const answer_expectation& expect,
                     std::optional<long long> baseline,
                     const verdict_checks& checks) {
  verdict v;
  v.usage_missing = !r.tokens.present();

  const bool filtered = r.finish_reason == "content_filter";
  if (is_blank(answer) && is_blank(r.refusal) && !filtered) {
    return fail(outcome::empty_answer, empty_answer_reason(r, reasoned), v);
  }

  // Normalised once here; the phrase lists were normalised at load.
  const std::string text = normalize(answer);
  const auto& no_image = checks.no_image_phrases.normalized();
  const bool claim = has_phrase(text, no_image);
  const bool expected = has_expectation(expect);
  // Matched only when it can change the outcome: a claim beside a generated challenge's
  // answer (the hedge rule), or no claim at all.
  const bool generated = expect.kind.has_value() && expect.pattern.empty() &&
                         expect.accepted.empty() && !expect.answer.empty();
  std::optional<match_status> m;
  if (!claim || generated) {
    m = expected ? match_final_answer(expect, answer, text) : match_status::match;
  }
  if (claim) {
    // A right answer outranks a hedge: an exact answer to a generated (guess-proof) challenge
    // cannot come from a model that did not see the image.
    if (!(generated && m == match_status::match && is_blank(r.refusal) && !filtered)) {
      return fail(outcome::no_image_claim, "no-image claim: " + in_quotes(answer), v);
    }
    v.note = probe_note::hedged;
  }
  if (has_phrase(normalize(r.refusal), no_image)) {
    return fail(outcome::no_image_claim, "no-image claim: " + in_quotes(r.refusal), v);
  }
  if (!is_blank(r.refusal)) {
    return fail(outcome::refusal, "refusal: " + in_quotes(r.refusal), v);
  }
  if (filtered) {
    std::string reason = "refusal: finish_reason content_filter";
    if (!is_blank(answer)) {
      reason += ", answer " + in_quotes(answer);
    }
    return fail(outcome::refusal, std::move(reason), v);
  }

  // Refusal phrases count only when the answer is not right: "I'm sorry, but I can't be sure;
  // it reads 4821" did answer.
  if (*m != match_status::match || !expected) {
    if (has_phrase(text, checks.refusal_phrases.normalized())) {
      return fail(outcome::refusal, "refusal: " + in_quotes(answer), v);
    }
  }
  if (*m != match_status::match) {
    return fail(outcome::wrong_answer, wrong_answer_reason(expect, answer, *m), v);
  }
  if (auto usage_failure = judge_usage(r, baseline, checks, v)) {
    return *usage_failure;
  }
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
  // The parser moves thinking blocks to reply::reasoning; a flavour that left them in the text
  // is split here, so doubts inside reasoning are never claims.
  bool reasoned = !is_blank(r.reasoning);
  std::string answer;
  if (has_thinking_tags(r.text)) {
    auto split = split_reasoning(r.text);
    answer = std::move(split.answer);
    reasoned = reasoned || !split.reasoning.empty();
  } else {
    answer = r.text;
  }
  verdict v = judge_answer(r, answer, reasoned, expect, baseline, checks);

  // The served model ranks first among the silent failures: a fallback model explains whatever
  // its answer did (a text-only fallback's no-image claim), and a right answer from it is still
  // not the route working. The reason keeps what the answer alone would have been.
  if (!checks.expect_model.accepts(r.model, expect.model)) {
    std::string reason = "the reply names model '" + one_line_excerpt(r.model, 120) + "', not " +
                         checks.expect_model.describe(expect.model);
    if (v.result != outcome::ok) {
      reason += " (the answer: " + std::string(to_string(v.result)) + ")";
    }
    v.result = outcome::model_mismatch;
    v.reason = std::move(reason);
    v.note = probe_note::none;
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
