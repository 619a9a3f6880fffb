#pragma once
/// Parsers for the scalar value syntaxes of the configuration file (durations, sizes, RFC 3339
/// times, listen addresses, URLs, route names, ${VAR} substitution). Pure: no I/O, never throw for
/// bad input; a bad value gives nullopt (or an error text that never echoes the value, for URLs).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace visionwatch {

/// "500ms", "30s", "5m", "1h", "1h30m", "2d": integer amounts with units d, h, m, s, ms, each at
/// most once and largest first. A bare number is rejected (its unit would be a guess).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept;
/// The inverse: 90'000 ms -> "1m30s", 500 ms -> "500ms", 0 -> "0s".
std::string format_duration(std::chrono::milliseconds d);

/// "4194304", "512KiB", "4MiB", "1GiB", "4MB" (decimal), "100B". Nullopt when malformed or above
/// 2^50 bytes.
std::optional<std::uint64_t> parse_size(std::string_view text) noexcept;

/// RFC 3339 date-time: "2026-12-01T00:00:00Z", "2026-12-01T02:00:00.5+02:00".
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) noexcept;

struct listen_address {
  std::string host;  ///< without brackets: "127.0.0.1", "::1", "localhost"
  std::uint16_t port = 0;
  bool loopback = false;
};
/// "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464", "localhost:9464" (port 0: any free port).
std::optional<listen_address> parse_listen_address(std::string_view text);

/// Nullopt when `text` is an absolute URL whose scheme is one of `schemes` and that has a host;
/// otherwise a short reason that does not echo the URL (it may carry credentials).
std::optional<std::string> check_url(std::string_view text,
                                     const std::vector<std::string>& schemes);

/// Route, gateway and receiver names become metric labels and URL path segments:
/// ^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$
bool valid_route_name(std::string_view name) noexcept;
/// Prometheus label names: [a-zA-Z_][a-zA-Z0-9_]*.
bool valid_label_name(std::string_view name) noexcept;
/// Environment variable names: [A-Za-z_][A-Za-z0-9_]*.
bool valid_env_name(std::string_view name) noexcept;
/// HTTP header field names (RFC 9110 token).
bool valid_header_name(std::string_view name) noexcept;

/// Result of ${VAR} substitution. `error` names the variable, never a value.
struct substitution {
  std::string value;
  bool substituted = false;  ///< at least one ${VAR} was replaced
  std::optional<std::string> error;
};
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;
/// Replaces ${NAME} with the variable's value; "$${" is a literal "${"; any other "$" is kept.
substitution substitute_env(std::string_view text, const env_lookup& lookup);
/// getenv as an env_lookup.
std::optional<std::string> process_env(const std::string& name);

/// Levenshtein distance, for "did you mean" hints on unknown keys.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace visionwatch
