#pragma once
/// Which routes one request of /api/v1/routes or the status page shows: the query (filters,
/// sort, page size, cursor), validated; each route's key (what filtering and sorting read,
/// without a string copied); and one page chosen from the keys in one pass, with the counts of
/// the whole fleet. Pure: the daemon builds a key per route and full views only for the page's
/// routes, so a request at 10,000 routes never renders 10,000 routes.
///
/// Pages are keyset pages: the order is (rank, name), where the rank comes from the sort, and a
/// cursor holds the (rank, name) of the last route shown (or, backwards, the first). A route
/// that does not change between two requests is therefore shown exactly once while paging,
/// whatever the others do; a route whose rank changes may move to a page already seen.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "probes/outcome.hpp"

namespace visionwatch {

/// A route's state as the page colours it. The order is the default sort's: failing first.
enum class route_health : std::uint8_t {
  error,     ///< the latest probe failed: transport, HTTP, malformed reply or broken stream
  silent,    ///< the latest probe was a silent failure (HTTP 2xx, the route did not work)
  unprobed,  ///< no probe yet
  ok,        ///< the latest probe passed
};
std::string_view to_string(route_health h) noexcept;

/// A route's health from its latest probe; with shapes (more than `[plain]`, `by_shapes`), the
/// worst of the shapes' latest outcomes, so a route that fails one shape of several stays
/// marked between that shape's probes (no shape probed yet: the latest probe's again).
route_health route_health_of(bool by_shapes,
                             std::span<const std::optional<outcome>> shape_latest,
                             std::optional<outcome> last) noexcept;

/// A route's alerts in one word.
enum class alert_level : std::uint8_t {
  inactive,  ///< no rule fires or counts failures
  pending,   ///< a rule counts failed evaluations toward its threshold; none fires yet
  firing,    ///< a rule fires and no silence covers the route
  silenced,  ///< a rule fires, but a silence covers the route
};
std::string_view to_string(alert_level a) noexcept;
alert_level alert_level_of(bool firing, bool pending, bool silenced) noexcept;

/// `sort=`: each with its one direction.
enum class route_sort : std::uint8_t {
  status,      ///< failing first (error, silent, not probed yet, ok), then by name (default)
  name,        ///< by name, bytewise
  last_probe,  ///< the latest probe first; routes never probed last
  latency,     ///< the slowest latest probe first; routes never probed last
};
std::string_view to_string(route_sort s) noexcept;

/// `state=`: which routes by state; fleet_counts counts the routes of each value.
enum class state_filter : std::uint8_t {
  all,
  failing,   ///< error or silent
  error,     ///< route_health::error
  silent,    ///< route_health::silent
  unprobed,  ///< route_health::unprobed
  ok,        ///< route_health::ok
  retrying,  ///< retry mode: the latest probe failed, the next comes retry_interval after it
  deferred,  ///< a Retry-After reply defers the route's probes
};
std::string_view to_string(state_filter s) noexcept;
inline constexpr std::array<state_filter, 8> all_state_filters = {state_filter::all,
                                                                  state_filter::failing,
                                                                  state_filter::error,
                                                                  state_filter::silent,
                                                                  state_filter::unprobed,
                                                                  state_filter::ok,
                                                                  state_filter::retrying,
                                                                  state_filter::deferred};

/// What filtering and sorting read of one route. The views point into the daemon's
/// configuration and live as long as the request's pass.
struct route_key {
  std::string_view name;
  std::string_view gateway;
  std::string_view model;
  route_health health = route_health::unprobed;
  std::optional<outcome> last;                      ///< the latest probe's outcome
  std::chrono::system_clock::time_point last_at{};  ///< its start; meaningful when `last` is set
  double last_latency_seconds = 0;
  bool retrying = false;
  bool deferred = false;
  alert_level alert = alert_level::inactive;
};

/// A position in one sort order: after (or, for a previous page, before) the route with this
/// rank and name.
struct route_cursor {
  route_sort sort = route_sort::status;
  bool before = false;
  std::int64_t rank = 0;
  std::string name;
};
/// Opaque to clients: base64url (no padding) of "v1:<sort>:<a|b>:<rank>:<name>".
std::string encode_cursor(const route_cursor& c);
/// nullopt for anything encode_cursor did not write.
std::optional<route_cursor> decode_cursor(std::string_view text);

struct route_query {
  static constexpr std::size_t default_limit = 100;
  static constexpr std::size_t max_limit = 1000;
  /// Longest accepted parameter value (bytes, after decoding): names are short, cursors too.
  static constexpr std::size_t max_value_bytes = 1024;

  state_filter state = state_filter::all;
  std::string gateway;  ///< exact gateway name; empty: any
  std::string model;    ///< exact model name; empty: any
  std::optional<outcome> last_outcome;
  std::optional<alert_level> alert;
  std::string text;  ///< `q=`: part of the route name, ASCII case ignored; empty: any
  route_sort sort = route_sort::status;
  std::size_t limit = default_limit;
  std::optional<route_cursor> cursor;
};

/// A query, or why it was refused (for a 400; the message never repeats the request's text).
struct route_query_result {
  std::optional<route_query> query;
  std::string error;
};

/// The query from its decoded parameters, in request order. Empty values count as absent (an
/// HTML form sends every field); unknown names, repeated names, values that are not UTF-8 or
/// too long, and values outside each parameter's set are refused.
route_query_result parse_route_query(std::span<const std::pair<std::string, std::string>> params);

/// The query's parameters as a URL query (percent-encoded, defaults left out, no '?'), with
/// `cursor` as its cursor; for the page's links and form.
std::string to_query_string(const route_query& q, const std::optional<std::string>& cursor = {});

/// Whether the route passes every filter of `q` (the cursor aside).
bool matches(const route_key& k, const route_query& q) noexcept;
/// The route's place in `sort`: pages are ordered by (rank, name), ascending.
std::int64_t sort_rank(const route_key& k, route_sort sort) noexcept;

/// The whole fleet, by state: each figure is what `?state=<that value>` alone would match.
struct fleet_counts {
  std::array<std::size_t, all_state_filters.size()> by_state{};  ///< indexed by state_filter
  void add(const route_key& k) noexcept;
  [[nodiscard]] std::size_t of(state_filter s) const noexcept {
    return by_state[static_cast<std::size_t>(s)];
  }
};

/// One page of a query.
struct route_page {
  std::vector<std::size_t> shown;  ///< indices into the keys, in page order
  std::size_t matching = 0;        ///< routes that pass the filters, on every page
  std::size_t offset = 0;          ///< of those, how many come before the first one shown
  fleet_counts counts;
  std::optional<std::string> next_cursor;  ///< null on the last page
  std::optional<std::string> prev_cursor;  ///< null on the first page
};

/// One pass over the keys (filters, counts), then a partial sort of the candidates after (or
/// before) the cursor: O(n log limit).
route_page select_page(std::span<const route_key> keys, const route_query& q);

}  // namespace visionwatch
