#pragma once
/// What /api/v1/routes and the HTML status page show: one page of routes (their recent results
/// and window figures, built by the daemon for the page's routes only) and the fleet's counts,
/// rendered here. Pure; every string from upstream replies or configuration is escaped (JSON by
/// json_text, HTML by html_escape).

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "exporters/metrics.hpp"
#include "exporters/status_query.hpp"
#include "probes/probe_result.hpp"

namespace visionwatch {

struct alert_view {
  std::string rule;
  std::string state;  ///< inactive | firing | resolved
  bool silenced = false;
  bool pending = false;  ///< inactive, but counting failed evaluations toward the threshold
  std::optional<std::chrono::system_clock::time_point> since;
};

/// One configured shape of a route (config `shapes:`): its latest probe and window figures.
struct shape_view {
  std::string shape;
  std::optional<outcome> last;  ///< the latest probe's outcome; unset until the shape is probed
  std::string reason;           ///< of that probe, when still among the recent results
  std::optional<std::chrono::system_clock::time_point> last_at;
  std::size_t window_probes = 0;  ///< probes of this shape in the route's window
  std::optional<double> success_ratio;
  std::optional<long long> baseline_prompt_tokens;  ///< of the shape's request form
};

struct route_view {
  std::string route;
  std::string model;
  std::string gateway;
  std::string api;
  std::string challenge;  ///< kind, or "custom"
  std::chrono::milliseconds interval{};
  std::optional<long long> baseline_prompt_tokens;
  std::optional<std::chrono::system_clock::time_point> baseline_at;
  window_figures window;
  std::uint64_t silent_failures = 0;  ///< in the window
  /// Until when a Retry-After reply defers the route's probes (capped by max_retry_after).
  std::optional<std::chrono::system_clock::time_point> deferred_until;
  /// Retry mode: the last probe failed, the next comes retry_interval after it.
  bool retrying = false;
  std::chrono::milliseconds retry_interval{};
  std::vector<alert_view> alerts;
  std::vector<probe_result> recent;  ///< newest first
  /// Every configured shape, in configuration order. The page shows them as rows only when
  /// they are more than `[plain]`.
  std::vector<shape_view> shapes{};
  std::string shapes_summary{};  ///< "fails only with tools: no_image_claim", or ""
};

/// A gateway whose max_concurrency cannot serve its routes' demand (sum of timeout/interval).
struct gateway_warning {
  std::string gateway;
  std::size_t max_concurrency = 0;
  double demand = 0;          ///< probes in flight at once if every probe took its timeout
  std::uint64_t skipped = 0;  ///< due probes of its routes skipped so far
};

/// A gateway's spend today (UTC) against the budgets (`budget: {daily_usd}`).
struct budget_view {
  std::string gateway;
  double spent_usd = 0;
  std::optional<double> daily_usd;  ///< the gateway's own budget
  std::string paused_by;            ///< "" (probing), "gateway" or "global"
};

/// What one page of routes was chosen from.
struct route_listing {
  route_query query;
  route_page page;  ///< its `shown` indexes the daemon's keys; `routes` holds their views
  std::vector<std::string> gateways;  ///< every gateway's name, for the page's filter
};

struct status_view {
  std::string version;
  std::string revision;
  std::chrono::system_clock::time_point started_at{};
  std::chrono::system_clock::time_point now{};
  std::string config_path;
  bool last_reload_ok = true;
  /// This instance's shard: it shows only the routes `shard` of `shards` owns (1 of 1: all).
  std::uint32_t shard = 1;
  std::uint32_t shards = 1;
  std::vector<gateway_warning> gateway_warnings;
  /// One per gateway when a budget is configured anywhere; empty otherwise.
  std::vector<budget_view> budgets;
  std::optional<double> global_daily_usd;
  double spent_today_usd = 0;  ///< over every gateway
  /// The next midnight UTC, when paused gateways resume; set when a budget is configured.
  std::optional<std::chrono::system_clock::time_point> budget_resumes_at;
  std::vector<route_view> routes;
  /// Set when `routes` is one page of a query (the daemon's answers); unset, `routes` is the
  /// whole fleet, shown at once (a view built by hand).
  std::optional<route_listing> listing;
};

/// `header` (a view without routes) with one page of `q`: select_page over every route's key,
/// then `view(i)` for the page's routes only (`i` indexes `keys`), in page order. What GET
/// /api/v1/routes and GET / answer with: the full views of 10,000 routes are never built.
status_view paged_view(status_view header,
                       const route_query& q,
                       std::span<const route_key> keys,
                       const std::function<route_view(std::size_t)>& view,
                       std::vector<std::string> gateways);

/// The route's key as a view shows it (health, alert level, latest probe), for views built by
/// hand; the daemon builds keys from its state without building views.
route_key key_of(const route_view& r);

/// GET /api/v1/routes: {"routes": [...], "version": ..., "next_cursor": ..., ...}, written
/// straight as text (json_text); GET /api/v1/routes/{name}: one of its routes.
std::string status_json_text(const status_view& s);
std::string route_json_text(const route_view& r);
/// The same documents as nlohmann values (parsed from the text, so both always agree).
nlohmann::json probe_result_json(const probe_result& r);
nlohmann::json route_json(const route_view& r);
nlohmann::json status_json(const status_view& s);
/// GET /: a self-contained page (inline CSS, no scripts or external assets), refreshes itself:
/// the fleet's counts, a filter form (plain GET, no script), one page of routes as a table
/// sortable by its column heads, and links to the pages before and after.
std::string status_html(const status_view& s);
/// The page's answer to a query it refuses (400): the reason and a link to the unfiltered page.
std::string status_error_html(std::string_view reason);

std::string html_escape(std::string_view s);

}  // namespace visionwatch
