#pragma once
/// Retry-After (RFC 9110 §10.2.3) and HTTP-date (§5.6.7) parsing. Pure: "now" is always passed
/// in, so results are deterministic; the adapters prefer the response's own Date header as "now"
/// because it comes from the same clock as the Retry-After date (no skew between hosts).

#include <chrono>
#include <optional>
#include <string_view>

namespace visionwatch {

/// Retry hints above this are clamped: a scheduler should never park a route for days on the
/// word of one header.
inline constexpr std::chrono::seconds max_retry_after{86'400};

/// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), and the obsolete RFC 850
/// ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994") forms.
std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view text) noexcept;

/// Delta-seconds ("120") or an HTTP-date relative to `now`. A date in the past gives 0 s;
/// values are clamped to max_retry_after. Anything else (negative, fractions, junk) is nullopt.
std::optional<std::chrono::seconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) noexcept;

/// A protobuf Duration in JSON form as Google APIs send it in RetryInfo.retryDelay: "37s",
/// "0.5s", "1.000340012s". Fractions round up (retrying early defeats the hint). Clamped.
std::optional<std::chrono::seconds> parse_duration_seconds(std::string_view value) noexcept;

}  // namespace visionwatch
