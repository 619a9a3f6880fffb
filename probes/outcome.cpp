#include "probes/outcome.hpp"

namespace visionwatch {
namespace {
constexpr std::array<std::string_view, outcome_count> names = {
    "ok",
    "dns_error",
    "connect_error",
    "tls_error",
    "timeout",
    "connection_reset",
    "body_too_large",
    "protocol_error",
    "http_4xx",
    "http_5xx",
    "rate_limited",
    "bad_response",
    "empty_answer",
    "refusal",
    "no_image_claim",
    "wrong_answer",
    "image_tokens_missing",
};
}  // namespace

std::string_view to_string(outcome o) noexcept {
  const auto i = static_cast<std::size_t>(o);
  return i < names.size() ? names[i] : std::string_view{"unknown"};
}

std::optional<outcome> outcome_from_string(std::string_view s) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == s) {
      return static_cast<outcome>(i);
    }
  }
  return std::nullopt;
}

}  // namespace visionwatch
