/// What /api/v1/routes and the status page show, built from the service's state: one request
/// reads every route's key (a few fields, no strings copied) to filter, count and sort, and
/// builds full views (recent results, windows, shapes, alerts) only for the routes of its page.
/// The endpoints are in admin_api.cpp; the selection and rendering are exporters/status_query
/// and exporters/status.
#include <algorithm>
#include <array>

#include "daemon/runtime/alerting.hpp"
#include "daemon/runtime/service.hpp"
#include "daemon/runtime/service_parts.hpp"
#include "daemon/runtime/version.hpp"

namespace visionwatch {
namespace {

std::string challenge_name(const challenge_config& ch) {
  return ch.custom() ? "custom" : std::string(to_string(ch.kind));
}

}  // namespace

bool service::record_result(std::string_view route, probe_result r) {
  const auto it = by_name_.find(route);
  if (!started_ || it == by_name_.end()) {
    return false;
  }
  r.route = std::string(route);
  on_result(it->second, std::move(r));
  return true;
}

status_view service::status_header() const {
  status_view v;
  v.version = std::string(version());
  v.revision = std::string(revision());
  v.started_at = started_at_;
  v.now = std::chrono::system_clock::now();
  v.config_path = options_.config_path;
  v.last_reload_ok = last_reload_ok_;
  v.shard = cfg_->global.shard.index;
  v.shards = cfg_->global.shard.count;
  v.gateway_warnings = gateway_warnings();
  if (budget_.limited()) {
    v.global_daily_usd = budget_.global_limit();
    v.spent_today_usd = budget_.total();
    v.budget_resumes_at = budget_.resumes_at();
    for (const auto& [name, g] : gateways_) {
      const auto why = budget_.paused(name);
      v.budgets.push_back({name,
                           budget_.spent(name),
                           budget_.limit(name),
                           why == budget_ledger::pause::none      ? ""
                           : why == budget_ledger::pause::gateway ? "gateway"
                                                                  : "global"});
    }
  }
  return v;
}

route_key service::key_of(const route_entry& e,
                          std::chrono::system_clock::time_point now,
                          const std::unordered_map<std::string_view, alert_level>& alerts) const {
  const auto& rc = *e.cfg;
  route_key k;
  k.name = rc.name;
  k.gateway = rc.gateway;
  k.model = rc.model;
  const auto last = e.state.last_probe_brief();
  if (last) {
    k.last = last->result;
    k.last_at = last->started_at;
    k.last_latency_seconds = last->latency_seconds;
  }
  const auto& shapes = rc.settings.shapes;
  if (names_shapes(shapes)) {  // only then do the shapes' latest outcomes count
    std::array<std::optional<outcome>, probe_shape_count> latest{};
    std::size_t n = 0;
    for (const auto& l : e.state.latest(shapes)) {
      if (n < latest.size()) {
        latest[n++] = l.last;
      }
    }
    k.health = route_health_of(true, std::span(latest.data(), n), k.last);
  } else {
    k.health = route_health_of(false, {}, k.last);
  }
  k.retrying = core_.retrying(e.id);
  k.deferred = e.deferred_until && *e.deferred_until > now;
  if (const auto a = alerts.find(rc.name); a != alerts.end()) {
    k.alert = a->second;
  }
  return k;
}

route_view service::view_of(const route_entry& e, std::chrono::system_clock::time_point now) const {
  const auto& rc = *e.cfg;
  route_view r;
  r.route = rc.name;
  r.model = rc.model;
  r.gateway = rc.gateway;
  const auto* g = cfg_->find_gateway(rc.gateway);
  r.api = std::string(to_string(g ? g->api : api_flavour::openai_chat));
  r.challenge = challenge_name(rc.settings.challenge);
  r.interval = rc.settings.interval;
  r.baseline_prompt_tokens = e.state.baseline();
  r.baseline_at = e.state.baseline_at();
  r.window = e.state.figures();
  r.silent_failures = e.state.silent_in_window();
  if (e.deferred_until && *e.deferred_until > now) {
    r.deferred_until = e.deferred_until;
  }
  r.retrying = core_.retrying(e.id);
  r.retry_interval = rc.settings.effective_retry_interval();
  r.recent = e.state.recent();
  for (auto& p : r.recent) {
    p.route = rc.name;
  }
  r.alerts = alerting_->views(rc.name);
  const auto& shapes = rc.settings.shapes;
  const auto latest = e.state.latest(shapes);
  for (const auto& l : latest) {
    shape_view sv;
    sv.shape = std::string(to_string(l.shape));
    sv.last = l.last;
    const auto newest = std::find_if(
        r.recent.begin(), r.recent.end(), [&l](const auto& p) { return p.shape == l.shape; });
    if (newest != r.recent.end()) {
      sv.reason = newest->reason;
      sv.last_at = newest->started_at;
    }
    const auto [probes, successes] = e.state.shape_window(l.shape);
    sv.window_probes = probes;
    if (probes > 0) {
      sv.success_ratio = static_cast<double>(successes) / static_cast<double>(probes);
    }
    sv.baseline_prompt_tokens = e.state.baseline(form_of(l.shape));
    r.shapes.push_back(std::move(sv));
  }
  if (names_shapes(shapes)) {
    r.shapes_summary = shapes_summary(latest);
  }
  return r;
}

status_view service::status_page(const route_query& q) const {
  auto header = status_header();
  const auto now = header.now;
  std::vector<route_key> keys;
  std::vector<const route_entry*> entries;  // beside keys, index for index
  keys.reserve(routes_.size());
  entries.reserve(routes_.size());
  const auto alerts = alerting_->levels();
  for (const auto& [id, e] : routes_) {
    keys.push_back(key_of(*e, now, alerts));
    entries.push_back(e.get());
  }
  std::vector<std::string> gateways;
  gateways.reserve(gateways_.size());
  for (const auto& [name, g] : gateways_) {
    gateways.push_back(name);
  }
  return paged_view(
      std::move(header),
      q,
      keys,
      [this, &entries, now](std::size_t i) { return view_of(*entries[i], now); },
      std::move(gateways));
}

std::optional<route_view> service::route_view_of(std::string_view name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    return std::nullopt;
  }
  return view_of(*routes_.at(it->second), std::chrono::system_clock::now());
}

}  // namespace visionwatch
