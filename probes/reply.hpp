#pragma once
/// The neutral shape every API adapter parses a response into; the verdict only sees this.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace visionwatch {

/// Caps on what a parsed reply keeps (bytes, cut on a code-point boundary): a misbehaving route
/// must not grow the daemon's memory or its log lines.
inline constexpr std::size_t reply_text_limit = std::size_t{64} * 1024;  ///< text, refusal
inline constexpr std::size_t reply_error_limit = 1024;  ///< error_message, parse_error
inline constexpr std::size_t reply_model_limit = 256;   ///< model
/// Token counts above this are treated as absent (no real request comes close; a bigger value
/// is a gateway bug or garbage and would overflow sums and cost figures).
inline constexpr long long max_token_count = 1'000'000'000'000;

struct usage {
  std::optional<long long> prompt_tokens;
  std::optional<long long> completion_tokens;
  std::optional<long long> total_tokens;
  std::optional<long long> image_tokens;   ///< prompt_tokens_details.image_tokens when given
  std::optional<long long> cached_tokens;  ///< prompt_tokens_details.cached_tokens when given
  [[nodiscard]] bool present() const noexcept { return prompt_tokens.has_value(); }
};

struct reply {
  /// False when a 2xx body is not the expected JSON shape; `parse_error` says why.
  bool well_formed = false;
  std::string parse_error;
  std::string text;           ///< the assistant's answer, parts concatenated
  std::string finish_reason;  ///< "stop", "length", "content_filter", "tool_calls", ...
  std::string refusal;        ///< the API's explicit refusal field, when given
  /// The served model the reply names (chat's `model`, Gemini's `modelVersion`, ...); empty when
  /// the reply names none. Compared with the route's model (`model_mismatch`).
  std::string model;
  /// Reasoning the API returned beside the answer (`reasoning_content`, thinking blocks), capped
  /// like `text`. Never the answer: the verdict does not read it for claims.
  std::string reasoning;
  usage tokens;
  /// From an error body ({"error": {...}}): message and type/code, for the reason string.
  std::string error_message;
  std::string error_code;
  /// A 2xx stream that carried an error event or ended before its final event: why (upstream
  /// text: the verdict redacts it). Empty for a whole reply or a complete stream.
  std::string stream_error;
  /// From Retry-After (seconds or HTTP date) or a body retry hint (Gemini RetryInfo.retryDelay).
  std::optional<std::chrono::seconds> retry_after;
};

}  // namespace visionwatch
