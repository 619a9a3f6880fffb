#include "exporters/metric_table.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace visionwatch::metrics_detail {

namespace {

using prometheus::MetricType;

/// A row for a family with series per route; `write` is a captureless generic lambda
/// `(auto& sink, const route_series&)`, instantiated here for both sinks.
template <class writer>
constexpr family_row per_route(family_def def, writer /*write*/) {
  family_row row{def};
  row.route_text = [](text_sink& out, const route_series& s) { writer{}(out, s); };
  row.route_model = [](model_sink& out, const route_series& s) { writer{}(out, s); };
  return row;
}

/// A row for a family of the instance itself: `(auto& sink, const instance_series&)`.
template <class writer>
constexpr family_row per_instance(family_def def, writer /*write*/) {
  family_row row{def};
  row.instance_text = [](text_sink& out, const instance_series& m) { writer{}(out, m); };
  row.instance_model = [](model_sink& out, const instance_series& m) { writer{}(out, m); };
  return row;
}

/// A gauge that has no sample until its value is known (a gauge_value or an optional).
template <class sink, class maybe>
void optional_value(sink& out, const maybe& v, label_group g, label_ref a = {}) {
  if (v) {
    out.value(*v, g, a);
  }
}

/// A counter with one series per value of an enum: `counts[i]` labelled `labels[i]` (the enum's
/// array of label_table()), after the group `g` and the label `owner` (empty: none).
template <class sink, std::size_t n>
void per_value(sink& out,
               const std::array<std::uint64_t, n>& counts,
               const std::array<label_ref, n>& labels,
               label_group g,
               label_ref owner = {}) {
  for (std::size_t i = 0; i < n; ++i) {
    out.value(static_cast<double>(counts[i]), g, owner, labels[i]);
  }
}

/// Per-route gauges that are absent until known: `member` of route_series, labelled by `labels`.
template <gauge_value route_series::*member, label_group (route_series::*labels)() const>
constexpr auto optional_gauge = [](auto& out, const route_series& s) {
  optional_value(out, s.*member, (s.*labels)());
};
/// A per-gateway gauge of the spend guard: `member` of each gateway's budget series.
template <double gateway_budget_series::*member>
constexpr auto budget_gauge = [](auto& out, const instance_series& m) {
  for (const auto& [name, b] : m.gateway_budget) {
    out.value(b.*member, {}, {"gateway", name, b.fragment});
  }
};

constexpr auto by_route = &route_series::route;
constexpr auto by_route_model = &route_series::route_model;

// The rows, in exposition order. Label values come from label_table(), whose arrays are tied to
// their enums (metric_labels.hpp).
constexpr std::array rows = {
    per_instance({"visionwatch_build_info",
                  "visionwatch build; value is always 1",
                  MetricType::Gauge,
                  "version,revision"},
                 [](auto& out, const instance_series& m) {
                   out.value(1,
                             {},
                             {"version", m.version, m.version_fragment},
                             {"revision", m.revision, m.revision_fragment});
                 }),
    per_instance({"visionwatch_shard_info",
                  "This instance's shard: it probes only the routes shard of shards owns (1 of "
                  "1: every route); value is always 1",
                  MetricType::Gauge,
                  "shard,shards"},
                 [](auto& out, const instance_series& m) {
                   out.value(1,
                             {},
                             {"shard", m.shard, m.shard_fragment},
                             {"shards", m.shards, m.shards_fragment});
                 }),
    per_route({"visionwatch_route_info",
               "Configured route with its model, gateway, API flavour and whether it streams; "
               "value is always 1",
               MetricType::Gauge,
               "route,model,gateway,api,stream"},
              [](auto& out, const route_series& s) {
                out.value(1, s.all(), label_table().stream[s.labels.stream ? 1 : 0]);
              }),
    per_route({"visionwatch_probes_total",
               "Probes completed, by outcome",
               MetricType::Counter,
               "route,model,outcome"},
              [](auto& out, const route_series& s) {
                per_value(out, s.probes, label_table().outcomes, s.route_model());
              }),
    per_route({"visionwatch_probe_success",
               "1 if the last probe of the route succeeded, else 0",
               MetricType::Gauge,
               "route,model"},
              optional_gauge<&route_series::success, by_route_model>),
    per_route({"visionwatch_silent_failures_total",
               "Probes that got HTTP 2xx but did not really work, by reason",
               MetricType::Counter,
               "route,model,reason"},
              [](auto& out, const route_series& s) {
                per_value(out, s.silent, label_table().reasons, s.route_model());
              }),
    per_route({"visionwatch_shape_success",
               "1 if the last probe of the shape (config shapes) succeeded, else 0",
               MetricType::Gauge,
               "route,model,shape"},
              [](auto& out, const route_series& s) {
                for (const auto& sh : s.shapes) {
                  optional_value(out,
                                 sh.success,
                                 s.route_model(),
                                 label_table().shapes[static_cast<std::size_t>(sh.shape)]);
                }
              }),
    per_route({"visionwatch_shape_failures_total",
               "Probes of the shape (config shapes) that did not succeed",
               MetricType::Counter,
               "route,model,shape"},
              [](auto& out, const route_series& s) {
                for (const auto& sh : s.shapes) {
                  out.value(static_cast<double>(sh.failures),
                            s.route_model(),
                            label_table().shapes[static_cast<std::size_t>(sh.shape)]);
                }
              }),
    per_route({"visionwatch_probe_duration_seconds",
               "Total time of probes that received an HTTP response",
               MetricType::Histogram,
               "route,model"},
              [](auto& out, const route_series& s) {
                out.histogram(s.duration.view(), label_table().duration, s.route_model());
              }),
    per_route({"visionwatch_probe_first_token_seconds",
               "Time to first token of streamed probes: request start to the first text",
               MetricType::Histogram,
               "route,model"},
              [](auto& out, const route_series& s) {
                if (s.labels.stream) {
                  static const histogram_data<duration_bounds.size()> none;  // no probe yet
                  out.histogram((s.first_token ? *s.first_token : none).view(),
                                label_table().duration,
                                s.route_model());
                }
              }),
    per_route({"visionwatch_probe_output_tokens_per_second",
               "Completion tokens per second after the first token, of the last streamed probe "
               "that reported both",
               MetricType::Gauge,
               "route,model"},
              optional_gauge<&route_series::output_tokens_per_second, by_route_model>),
    // A summary, as a Prometheus client Summary is: quantiles over a window (the route's last N
    // probes), _sum and _count over the process life. The same observations as the histogram.
    per_route({"visionwatch_probe_latency_seconds",
               "Probe latency quantiles over the route's window of recent probes (quantile 1 is "
               "the window max); sum and count since start",
               MetricType::Summary,
               "route,model"},
              [](auto& out, const route_series& s) {
                out.summary(s.latency, s.duration.sum, s.duration.count, s.route_model());
              }),
    per_route({"visionwatch_probe_success_ratio",
               "Fraction of successful probes over the route's window of recent probes",
               MetricType::Gauge,
               "route,model"},
              optional_gauge<&route_series::success_ratio, by_route_model>),
    per_route({"visionwatch_probe_phase_seconds",
               "Time spent in each request phase by the last probe",
               MetricType::Gauge,
               "route,phase"},
              [](auto& out, const route_series& s) {
                if (s.phases) {
                  const auto& phases = label_table().phases;
                  for (std::size_t i = 0; i < phase_count; ++i) {
                    if (i == static_cast<std::size_t>(phase::first_token) && !s.has_first_token) {
                      continue;  // not streamed, or no text arrived
                    }
                    out.value((*s.phases)[i], s.route(), phases[i]);
                  }
                }
              }),
    per_route({"visionwatch_probe_prompt_tokens",
               "Prompt tokens reported by the last probe that reported usage",
               MetricType::Gauge,
               "route,model"},
              optional_gauge<&route_series::prompt, by_route_model>),
    per_route({"visionwatch_probe_completion_tokens",
               "Completion tokens reported by the last probe that reported usage",
               MetricType::Gauge,
               "route,model"},
              optional_gauge<&route_series::completion, by_route_model>),
    per_route({"visionwatch_probe_image_tokens",
               "Image tokens reported by the last probe that reported them",
               MetricType::Gauge,
               "route,model"},
              optional_gauge<&route_series::image, by_route_model>),
    per_route({"visionwatch_usage_baseline_tokens",
               "Prompt tokens of the text-only control request (usage baseline)",
               MetricType::Gauge,
               "route"},
              optional_gauge<&route_series::baseline, by_route>),
    per_route({"visionwatch_cost_usd_total",
               "Spend on probes and control requests, from usage and route prices",
               MetricType::Counter,
               "route,model"},
              [](auto& out, const route_series& s) { out.value(s.cost, s.route_model()); }),
    per_route({"visionwatch_cost_per_success_usd",
               "Spend per successful probe over the route's window of recent probes",
               MetricType::Gauge,
               "route,model"},
              optional_gauge<&route_series::cost_per_success, by_route_model>),
    per_route({"visionwatch_last_probe_timestamp_seconds",
               "Unix time the last probe of the route completed",
               MetricType::Gauge,
               "route"},
              optional_gauge<&route_series::last_probe, by_route>),
    per_route({"visionwatch_last_success_timestamp_seconds",
               "Unix time the last successful probe of the route completed",
               MetricType::Gauge,
               "route"},
              optional_gauge<&route_series::last_success, by_route>),
    per_route({"visionwatch_probes_skipped_total",
               "Due probes not started (previous probe still running or a limit reached)",
               MetricType::Counter,
               "route"},
              [](auto& out, const route_series& s) {
                out.value(static_cast<double>(s.skipped), s.route());
              }),
    per_route({"visionwatch_route_deferred_until_timestamp_seconds",
               "Unix time until which a Retry-After reply defers the route's probes",
               MetricType::Gauge,
               "route"},
              optional_gauge<&route_series::deferred_until, by_route>),
    per_route({"visionwatch_route_retry_mode",
               "1 while the route is in retry mode (its last probe failed: the next one comes "
               "retry_interval after it), else 0",
               MetricType::Gauge,
               "route"},
              [](auto& out, const route_series& s) { out.value(s.retry_mode ? 1 : 0, s.route()); }),
    per_route({"visionwatch_alerts_firing",
               "1 while the alert rule fires for the route, else 0",
               MetricType::Gauge,
               "route,rule"},
              [](auto& out, const route_series& s) {
                for (const auto& a : s.alerts) {
                  out.value(
                      a.firing ? 1 : 0, s.route(), {"rule", a.rule->name, a.rule->fragment});
                }
              }),
    per_instance(
        {"visionwatch_probes_in_flight", "Probes currently running", MetricType::Gauge, ""},
        [](auto& out, const instance_series& m) { out.value(m.in_flight); }),
    per_instance({"visionwatch_scheduler_lag_seconds",
                  "Delay between a probe's due time and its start",
                  MetricType::Histogram,
                  ""},
                 [](auto& out, const instance_series& m) {
                   out.histogram(m.scheduler_lag.view(), label_table().lag);
                 }),
    per_instance({"visionwatch_config_last_reload_successful",
                  "1 if the last configuration load succeeded, else 0",
                  MetricType::Gauge,
                  ""},
                 [](auto& out, const instance_series& m) { out.value(m.reload_ok ? 1 : 0); }),
    per_instance(
        {"visionwatch_config_last_reload_success_timestamp_seconds",
         "Unix time of the last successful configuration load",
         MetricType::Gauge,
         ""},
        [](auto& out, const instance_series& m) { optional_value(out, m.reload_timestamp, {}); }),
    per_instance(
        {"visionwatch_state_last_save_successful",
         "1 if the last write of the state file succeeded, else 0",
         MetricType::Gauge,
         ""},
        [](auto& out, const instance_series& m) { optional_value(out, m.state_save_ok, {}); }),
    per_instance({"visionwatch_state_last_save_timestamp_seconds",
                  "Unix time of the last successful write of the state file",
                  MetricType::Gauge,
                  ""},
                 [](auto& out, const instance_series& m) {
                   optional_value(out, m.state_save_timestamp, {});
                 }),
    per_instance(
        {"visionwatch_gateway_probes_skipped_total",
         "Due probes of the gateway's routes not started, by reason (concurrency: no "
         "free slot; overlap: previous probe still running; late: slot passed; budget: "
         "daily budget spent)",
         MetricType::Counter,
         "gateway,reason"},
        [](auto& out, const instance_series& m) {
          for (const auto& [name, g] : m.gateway_skipped) {
            per_value(out, g.second, label_table().skip_reasons, {}, {"gateway", name, g.first});
          }
        }),
    per_instance({"visionwatch_budget_spent_usd",
                  "Estimated spend today (UTC) on probes and control requests through the "
                  "gateway, from usage and route prices",
                  MetricType::Gauge,
                  "gateway"},
                 budget_gauge<&gateway_budget_series::spent>),
    per_instance({"visionwatch_budget_exhausted",
                  "1 while the gateway's probes are paused until the next UTC day because its "
                  "daily budget or the global one is spent, else 0",
                  MetricType::Gauge,
                  "gateway"},
                 budget_gauge<&gateway_budget_series::exhausted>),
    per_instance(
        {"visionwatch_notifications_total",
         "Alert notification delivery attempts, by result",
         MetricType::Counter,
         "receiver,result"},
        [](auto& out, const instance_series& m) {
          for (const auto& [name, r] : m.receivers) {
            per_value(out, r->results, label_table().results, {}, {"receiver", name, r->fragment});
          }
        }),
    per_instance({"visionwatch_notification_queue_depth",
                  "Notifications waiting for delivery to the receiver",
                  MetricType::Gauge,
                  "receiver"},
                 [](auto& out, const instance_series& m) {
                   for (const auto& [name, r] : m.receivers) {
                     out.value(r->queue_depth, {}, {"receiver", name, r->fragment});
                   }
                 }),
};

}  // namespace

std::span<const family_row> family_table() noexcept { return rows; }

}  // namespace visionwatch::metrics_detail
