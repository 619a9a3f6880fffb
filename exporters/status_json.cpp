/// The status API's documents (GET /api/v1/routes and /api/v1/routes/{name}), written as JSON text
/// through json_text; the nlohmann values are parsed from that text.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "exporters/json_text.hpp"
#include "exporters/status.hpp"
#include "exporters/status_views.hpp"
#include "probes/utc_time.hpp"

namespace visionwatch {
namespace {

using nlohmann::json;
using status_views::alert_of;
using status_views::health_of;
using status_views::listing_of;

std::string time_text(std::chrono::system_clock::time_point t) {
  return format_rfc3339(t, utc_precision::milliseconds);
}

json_text& optional_time(json_text& w,
                         std::string_view key,
                         const std::optional<std::chrono::system_clock::time_point>& t) {
  return t ? w.field(key, time_text(*t)) : w.key(key).null();
}

/// An empty text as null.
json_text& text_or_null(json_text& w, std::string_view key, std::string_view text) {
  return text.empty() ? w.key(key).null() : w.field(key, text);
}

void write_shape(json_text& w, const shape_view& sh) {
  w.begin_object().field("shape", sh.shape);
  if (sh.last) {
    w.field("outcome", to_string(*sh.last));
  } else {
    w.key("outcome").null();
  }
  text_or_null(w, "reason", sh.reason);
  optional_time(w, "last_at", sh.last_at)
      .field("window_probes", sh.window_probes)
      .field("success_ratio", sh.success_ratio)
      .field("baseline_prompt_tokens", sh.baseline_prompt_tokens)
      .end_object();
}

/// phase_timings' slices in phase order: the API names them as phase_name() does.
constexpr std::array<double phase_timings::*, sliced_phase_count> phase_slices = {
    &phase_timings::dns,
    &phase_timings::connect,
    &phase_timings::tls,
    &phase_timings::send,
    &phase_timings::ttfb,
    &phase_timings::transfer};

void write_probe(json_text& w, const probe_result& r) {
  w.begin_object()
      .field("route", r.route)
      .field("sequence", r.sequence)
      .field("seed", std::to_string(r.seed))
      .field("kind", r.control ? "control" : (r.custom ? "custom" : to_string(r.kind)))
      .field("shape", to_string(r.shape))
      .field("outcome", to_string(r.result))
      .field("silent", r.silent())
      .field("reason", r.reason);
  text_or_null(w, "note", to_string(r.note));
  const auto& p = r.phases;
  const auto& t = r.tokens;
  w.field("http_status", r.http_status)
      .field("latency_seconds", r.latency_seconds)
      .key("phases")
      .begin_object();
  for (std::size_t i = 0; i < phase_slices.size(); ++i) {
    w.field(phase_name(static_cast<phase>(i)), p.*phase_slices[i]);
  }
  w.field(phase_name(phase::first_token), p.first_token)
      .end_object()
      .key("tokens")
      .begin_object()
      .field("prompt", t.prompt_tokens)
      .field("completion", t.completion_tokens)
      .field("image", t.image_tokens)
      .field("cached", t.cached_tokens)
      .end_object()
      .field("usage_missing", r.usage_missing)
      .field("baseline_prompt_tokens", r.baseline_prompt_tokens)
      .field("cost_usd", r.cost_usd)
      .field("expected", r.expected)
      .field("answer", r.answer_excerpt)
      .field("started_at", time_text(r.started_at))
      .end_object();
}

void write_route(json_text& w, const route_view& r) {
  w.begin_object()
      .field("route", r.route)
      .field("model", r.model)
      .field("gateway", r.gateway)
      .field("api", r.api)
      .field("challenge", r.challenge)
      .field("state", to_string(health_of(r)))
      .field("alert_state", to_string(alert_of(r)))
      .field("interval_seconds", static_cast<double>(r.interval.count()) / 1000.0)
      .field("baseline_prompt_tokens", r.baseline_prompt_tokens);
  optional_time(w, "baseline_at", r.baseline_at)
      .key("window")
      .begin_object()
      .field("probes", r.window.probes)
      .field("success_ratio", r.window.success_ratio)
      .field("silent_failures", r.silent_failures)
      .key("latency_seconds")
      .begin_object()
      .field("p50", r.window.latency_p50)
      .field("p90", r.window.latency_p90)
      .field("p99", r.window.latency_p99)
      .field("max", r.window.latency_max)
      .end_object()
      .field("cost_per_success_usd", r.window.cost_per_success_usd)
      .end_object();
  optional_time(w, "deferred_until", r.deferred_until)
      .field("retry_mode", r.retrying)
      .field("retry_interval_seconds", static_cast<double>(r.retry_interval.count()) / 1000.0)
      .key("alerts")
      .begin_array();
  for (const auto& a : r.alerts) {
    w.begin_object()
        .field("rule", a.rule)
        .field("state", a.state)
        .field("pending", a.pending)
        .field("silenced", a.silenced);
    optional_time(w, "since", a.since).end_object();
  }
  w.end_array().key("shapes").begin_array();
  for (const auto& sh : r.shapes) {
    write_shape(w, sh);
  }
  w.end_array();
  text_or_null(w, "shapes_summary", r.shapes_summary).key("results").begin_array();
  for (const auto& p : r.recent) {
    write_probe(w, p);
  }
  w.end_array().end_object();
}

}  // namespace

std::string route_json_text(const route_view& r) {
  std::string out;
  json_text w(out);
  write_route(w, r);
  return out;
}

std::string status_json_text(const status_view& s) {
  std::optional<route_listing> whole;
  const auto& l = listing_of(s, whole);
  std::string out;
  out.reserve(4096 + s.routes.size() * 16384);
  json_text w(out);
  w.begin_object()
      .field("version", s.version)
      .field("revision", s.revision)
      .field("started_at", time_text(s.started_at))
      .field("now", time_text(s.now))
      .field("config_last_reload_successful", s.last_reload_ok)
      .field("shard", s.shard)
      .field("shards", s.shards)
      .key("gateway_warnings")
      .begin_array();
  for (const auto& g : s.gateway_warnings) {
    w.begin_object()
        .field("gateway", g.gateway)
        .field("max_concurrency", g.max_concurrency)
        .field("demand", g.demand)
        .field("skipped_probes", g.skipped)
        .end_object();
  }
  w.end_array()
      .key("budget")
      .begin_object()
      .field("daily_usd", s.global_daily_usd)
      .field("spent_usd", s.spent_today_usd);
  if (s.budget_resumes_at) {
    w.field("resumes_at", format_rfc3339(*s.budget_resumes_at));
  } else {
    w.key("resumes_at").null();
  }
  w.key("gateways").begin_array();
  for (const auto& b : s.budgets) {
    w.begin_object()
        .field("gateway", b.gateway)
        .field("spent_usd", b.spent_usd)
        .field("daily_usd", b.daily_usd)
        .field("exhausted", !b.paused_by.empty());
    text_or_null(w, "paused_by", b.paused_by).end_object();
  }
  w.end_array().end_object();
  w.field("total_routes", l.page.counts.of(state_filter::all)).key("counts").begin_object();
  for (const auto st : all_state_filters) {
    if (st != state_filter::all) {
      w.field(to_string(st), l.page.counts.of(st));
    }
  }
  w.end_object()
      .field("matching_routes", l.page.matching)
      .field("offset", l.page.offset)
      .field("limit", l.query.limit)
      .field("sort", to_string(l.query.sort))
      .field("next_cursor", l.page.next_cursor)
      .field("prev_cursor", l.page.prev_cursor)
      .key("routes")
      .begin_array();
  for (const auto& r : s.routes) {
    write_route(w, r);
  }
  w.end_array().end_object();
  return out;
}

json probe_result_json(const probe_result& r) {
  std::string out;
  json_text w(out);
  write_probe(w, r);
  return json::parse(out);
}

json route_json(const route_view& r) { return json::parse(route_json_text(r)); }

json status_json(const status_view& s) { return json::parse(status_json_text(s)); }

}  // namespace visionwatch
