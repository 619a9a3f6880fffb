#pragma once
/// UTC timestamps as text: the one formatter for logs, notifications, the status page and state
/// file names. Pure functions, no locale, no time zone database.

#include <chrono>
#include <string>

namespace visionwatch {

/// How many digits of the second to print after the decimal point.
enum class utc_precision { seconds, milliseconds };

/// RFC 3339 in UTC: `2026-11-25T23:18:00Z`, or `2026-11-25T23:18:00.123Z` with milliseconds.
/// Times before the epoch round down to the whole millisecond below.
std::string format_rfc3339(std::chrono::system_clock::time_point t,
                           utc_precision precision = utc_precision::seconds);

/// Basic ISO 8601 without separators, for file names: `20261125T231800Z`.
std::string format_compact_utc(std::chrono::system_clock::time_point t);

}  // namespace visionwatch
