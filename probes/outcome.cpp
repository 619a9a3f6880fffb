#include "probes/outcome.hpp"

#include "probes/enum_table.hpp"

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
    "stream_error",
    "empty_answer",
    "refusal",
    "no_image_claim",
    "wrong_answer",
    "image_tokens_missing",
    "model_mismatch",
};
}  // namespace

std::string_view to_string(outcome o) noexcept { return enum_name(names, o); }

std::optional<outcome> outcome_from_string(std::string_view s) noexcept {
  return enum_from_name<outcome>(names, s);
}

}  // namespace visionwatch
