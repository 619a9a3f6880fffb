#pragma once
// What the reply and stream fuzzers check on every `reply` (reply.hpp's contract), and how they
// pick a flavour from an input byte. A violated invariant traps, so libFuzzer keeps the input.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "probes/adapter.hpp"
#include "probes/retry_after.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::fuzz {

inline void require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

inline bool one_line(std::string_view s) {
  return s.find('\n') == std::string_view::npos && s.find('\r') == std::string_view::npos;
}

inline bool sane_count(const std::optional<long long>& v) {
  return !v || (*v >= 0 && *v <= max_token_count);
}

/// The flavour table's row `index` (wrapped): every flavour, in enum order, so a flavour added
/// to the table is fuzzed without a change here.
inline api_flavour flavour_at(std::size_t index) {
  static const std::size_t count = api_flavour_names().size();
  return static_cast<api_flavour>(index % count);
}

/// reply.hpp's caps and UTF-8 rules, for a whole reply or a streamed one.
inline void check_reply(const reply& r) {
  require(r.well_formed == r.parse_error.empty());
  require(r.text.size() <= reply_text_limit && is_valid_utf8(r.text));
  require(r.refusal.size() <= reply_text_limit && is_valid_utf8(r.refusal));
  require(r.reasoning.size() <= reply_text_limit && is_valid_utf8(r.reasoning));
  require(r.model.size() <= reply_model_limit && is_valid_utf8(r.model) && one_line(r.model));
  for (const auto* field : {&r.error_message, &r.parse_error, &r.stream_error}) {
    require(field->size() <= reply_error_limit && is_valid_utf8(*field) && one_line(*field));
  }
  require(is_valid_utf8(r.error_code) && is_valid_utf8(r.finish_reason));
  require(sane_count(r.tokens.prompt_tokens) && sane_count(r.tokens.completion_tokens) &&
          sane_count(r.tokens.total_tokens) && sane_count(r.tokens.image_tokens) &&
          sane_count(r.tokens.cached_tokens));
  require(!r.retry_after || (r.retry_after->count() >= 0 && *r.retry_after <= max_retry_after));
}

/// Two replies of the same bytes (whole and split) are the same reply.
inline void require_same(const reply& a, const reply& b) {
  require(a.well_formed == b.well_formed && a.parse_error == b.parse_error);
  require(a.stream_error == b.stream_error);
  require(a.text == b.text && a.refusal == b.refusal && a.reasoning == b.reasoning);
  require(a.finish_reason == b.finish_reason && a.model == b.model);
  require(a.error_message == b.error_message && a.error_code == b.error_code);
  require(a.tokens.prompt_tokens == b.tokens.prompt_tokens &&
          a.tokens.completion_tokens == b.tokens.completion_tokens &&
          a.tokens.total_tokens == b.tokens.total_tokens &&
          a.tokens.image_tokens == b.tokens.image_tokens &&
          a.tokens.cached_tokens == b.tokens.cached_tokens);
}

}  // namespace visionwatch::fuzz
