#pragma once
/// UTC timestamps as text: the one formatter for logs, notifications, the status page and state
/// file names. Pure functions, no locale, no time zone database.

#include <chrono>
#include <string>

namespace visionwatch {

/// The last day every clock we use can hold: system_clock counts nanoseconds in 64 bits on
/// libstdc++ and ends on 2262-04-11. Dates parsed from the wire or from files (HTTP Date,
/// Retry-After, silences, the state file) are clamped to it instead of overflowing.
inline constexpr std::chrono::sys_days latest_time_point_day{
    std::chrono::year{2262} / std::chrono::January / std::chrono::day{1}};

/// `t` as a system_clock time point; times after latest_time_point_day become that day.
std::chrono::system_clock::time_point clamp_to_time_point(std::chrono::sys_seconds t) noexcept;

/// `now + d`, saturating at latest_time_point_day (and at the epoch for negative overflow).
std::chrono::system_clock::time_point saturating_add(std::chrono::system_clock::time_point now,
                                                     std::chrono::milliseconds d) noexcept;

/// How many digits of the second to print after the decimal point.
enum class utc_precision { seconds, milliseconds };

/// RFC 3339 in UTC: `2026-11-25T23:18:00Z`, or `2026-11-25T23:18:00.123Z` with milliseconds.
/// Times before the epoch round down to the whole millisecond below.
std::string format_rfc3339(std::chrono::system_clock::time_point t,
                           utc_precision precision = utc_precision::seconds);

/// Basic ISO 8601 without separators, for file names: `20261125T231800Z`.
std::string format_compact_utc(std::chrono::system_clock::time_point t);

}  // namespace visionwatch
