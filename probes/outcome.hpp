#pragma once
/// The bounded set of probe outcomes. Each value is used verbatim as the `outcome` metric label,
/// so the set and its spellings are part of the public interface (see README, "Outcomes").

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace visionwatch {

enum class outcome : std::uint8_t {
  ok,  ///< the model saw the image and answered right; usage consistent with an image
  // transport: no HTTP response was read
  dns_error,         ///< the gateway's host name did not resolve
  connect_error,     ///< TCP connect refused, unreachable, or connect timeout (also via proxy)
  tls_error,         ///< handshake failed: unknown CA, wrong host name, protocol mismatch
  timeout,           ///< the probe's total deadline passed before the response was complete
  connection_reset,  ///< the peer closed or reset the connection mid-exchange
  body_too_large,    ///< the response body (or header) exceeded its cap
  protocol_error,    ///< the peer did not speak valid HTTP/1.1
  // HTTP status
  http_4xx,      ///< a 4xx status other than 429
  http_5xx,      ///< a 5xx status (and any status outside 2xx/4xx/5xx)
  rate_limited,  ///< 429
  // malformed
  bad_response,  ///< 2xx, but not JSON, required fields missing, or wrong types
  stream_error,  ///< 2xx stream that carried an error event or ended before its final event
  // silent failures: HTTP 2xx, but the route did not really work
  empty_answer,          ///< no text in the answer
  refusal,               ///< the model declined to answer
  no_image_claim,        ///< the model said it got no image
  wrong_answer,          ///< the answer does not match the challenge
  image_tokens_missing,  ///< usage shows no image was processed (vs. the text-only baseline)
  model_mismatch,        ///< the reply names another model than the route's (a fallback answered)
};

inline constexpr std::size_t outcome_count = 19;

inline constexpr std::array<outcome, outcome_count> all_outcomes = {
    outcome::ok,
    outcome::dns_error,
    outcome::connect_error,
    outcome::tls_error,
    outcome::timeout,
    outcome::connection_reset,
    outcome::body_too_large,
    outcome::protocol_error,
    outcome::http_4xx,
    outcome::http_5xx,
    outcome::rate_limited,
    outcome::bad_response,
    outcome::stream_error,
    outcome::empty_answer,
    outcome::refusal,
    outcome::no_image_claim,
    outcome::wrong_answer,
    outcome::image_tokens_missing,
    outcome::model_mismatch,
};

/// The metric label spelling, e.g. "no_image_claim".
std::string_view to_string(outcome o) noexcept;
std::optional<outcome> outcome_from_string(std::string_view s) noexcept;

/// No HTTP response was read.
constexpr bool is_transport_error(outcome o) noexcept {
  return o >= outcome::dns_error && o <= outcome::protocol_error;
}
/// HTTP 2xx but the route did not really work.
constexpr bool is_silent_failure(outcome o) noexcept {
  return o >= outcome::empty_answer && o <= outcome::model_mismatch;
}

}  // namespace visionwatch
