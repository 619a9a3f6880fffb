#include "exporters/metrics.hpp"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exporters/exposition.hpp"

namespace visionwatch {

namespace {

using labels_map = std::map<std::string, std::string>;

constexpr std::size_t silent_count = 5;
// The windowed latency figures, in window_figures order; "1" is the window max.
constexpr std::size_t quantile_count = 4;
constexpr std::array<double, quantile_count> quantile_values = {0.5, 0.9, 0.99, 1};
constexpr std::array<std::string_view, quantile_count> quantile_names = {"0.5", "0.9", "0.99", "1"};
constexpr std::array<std::string_view, notification_result_count> result_names = {
    "success", "retry", "failed", "dropped"};
// Our label names: an external label with one of these names would make two labels collide.
constexpr std::array<std::string_view, 14> reserved_label_names = {"route",
                                                                   "model",
                                                                   "gateway",
                                                                   "api",
                                                                   "outcome",
                                                                   "reason",
                                                                   "phase",
                                                                   "quantile",
                                                                   "rule",
                                                                   "receiver",
                                                                   "result",
                                                                   "version",
                                                                   "revision",
                                                                   "le"};

// LLM latencies: a fast vision call answers in ~0.5 s, a loaded one in tens of seconds.
constexpr std::array<double, 14> duration_bounds = {
    0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60};
// Scheduler lag: healthy is well under a millisecond; a second means the loop is starved.
constexpr std::array<double, 10> lag_bounds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

outcome silent_outcome(std::size_t i) noexcept {
  return static_cast<outcome>(static_cast<std::size_t>(outcome::empty_answer) + i);
}
std::size_t silent_index(outcome o) noexcept {
  return static_cast<std::size_t>(o) - static_cast<std::size_t>(outcome::empty_answer);
}

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

/// Pre-rendered label fragments that do not depend on a route, built once.
struct fragments {
  std::array<std::string, outcome_count> outcomes;
  std::array<std::string, silent_count> reasons;
  std::array<std::string, phase_count> phases;
  std::array<std::string, notification_result_count> results;
  std::array<std::string, quantile_count> quantiles;
  std::vector<std::string> duration_le;  ///< one per bucket, then +Inf
  std::vector<std::string> lag_le;

  template <std::size_t n>
  static std::vector<std::string> le(const std::array<double, n>& bounds) {
    std::vector<std::string> out;
    for (double b : bounds) {
      std::string v;
      exposition::append_value(v, b);
      out.push_back(exposition::label("le", v));
    }
    out.push_back(exposition::label("le", "+Inf"));
    return out;
  }

  fragments() {
    for (std::size_t i = 0; i < outcome_count; ++i) {
      outcomes[i] = exposition::label("outcome", to_string(all_outcomes[i]));
    }
    for (std::size_t i = 0; i < silent_count; ++i) {
      reasons[i] = exposition::label("reason", to_string(silent_outcome(i)));
    }
    for (std::size_t i = 0; i < phase_count; ++i) {
      phases[i] = exposition::label("phase", phase_name(static_cast<phase>(i)));
    }
    for (std::size_t i = 0; i < notification_result_count; ++i) {
      results[i] = exposition::label("result", result_names[i]);
    }
    for (std::size_t i = 0; i < quantile_count; ++i) {
      quantiles[i] = exposition::label("quantile", quantile_names[i]);
    }
    duration_le = le(duration_bounds);
    lag_le = le(lag_bounds);
  }
};

const fragments& frag() {
  static const fragments f;
  return f;
}

/// Fixed-bucket histogram; counts per bucket (not cumulative), the last one is +Inf.
template <std::size_t n>
struct histogram_data {
  std::array<std::uint64_t, n + 1> counts{};
  double sum = 0;
  std::uint64_t count = 0;

  void observe(double v, const std::array<double, n>& bounds) {
    if (std::isnan(v)) {
      return;  // would turn the sum into NaN for good
    }
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), v);  // first bound >= v
    ++counts[static_cast<std::size_t>(it - bounds.begin())];
    sum += v;
    ++count;
  }
};

const labels_map& checked_external(const labels_map& external) {
  for (const auto& [name, value] : external) {
    if (!exposition::valid_label_name(name)) {
      throw std::invalid_argument("external label name \"" + name +
                                  "\" is not a valid Prometheus label name "
                                  "([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)");
    }
    if (std::find(reserved_label_names.begin(), reserved_label_names.end(), name) !=
        reserved_label_names.end()) {
      throw std::invalid_argument("external label name \"" + name +
                                  "\" collides with a visionwatch metric label");
    }
    if (value.empty()) {
      throw std::invalid_argument("external label \"" + name + "\" has an empty value");
    }
    if (!exposition::valid_utf8(value)) {
      throw std::invalid_argument("external label \"" + name + "\" value is not valid UTF-8");
    }
  }
  return external;
}

std::string join_fragments(const labels_map& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    if (!out.empty()) {
      out += ',';
    }
    out += exposition::label(name, value);
  }
  return out;
}

/// One family's name, HELP text and type. HELP: one line, no backslashes and no quotes
/// (prometheus-cpp 1.0.1's TextSerializer, the reference in tests, does not escape HELP).
struct family_def {
  std::string_view name;
  std::string_view help;
  prometheus::MetricType type;
};
using prometheus::MetricType;
constexpr family_def build_info_def{
    "visionwatch_build_info", "visionwatch build; value is always 1", MetricType::Gauge};
constexpr family_def route_info_def{
    "visionwatch_route_info",
    "Configured route with its model, gateway and API flavour; value is always 1",
    MetricType::Gauge};
constexpr family_def probes_def{
    "visionwatch_probes_total", "Probes completed, by outcome", MetricType::Counter};
constexpr family_def success_def{"visionwatch_probe_success",
                                 "1 if the last probe of the route succeeded, else 0",
                                 MetricType::Gauge};
constexpr family_def silent_def{"visionwatch_silent_failures_total",
                                "Probes that got HTTP 2xx but did not really work, by reason",
                                MetricType::Counter};
constexpr family_def duration_def{"visionwatch_probe_duration_seconds",
                                  "Total time of probes that received an HTTP response",
                                  MetricType::Histogram};
// A summary, as a Prometheus client Summary is: quantiles over a window (the route's last N
// probes), _sum and _count over the process life. The same observations as the histogram.
constexpr family_def latency_def{
    "visionwatch_probe_latency_seconds",
    "Probe latency quantiles over the route's window of recent probes (quantile 1 is the window "
    "max); sum and count since start",
    MetricType::Summary};
constexpr family_def ratio_def{
    "visionwatch_probe_success_ratio",
    "Fraction of successful probes over the route's window of recent probes",
    MetricType::Gauge};
constexpr family_def phase_def{"visionwatch_probe_phase_seconds",
                               "Time spent in each request phase by the last probe",
                               MetricType::Gauge};
constexpr family_def prompt_def{"visionwatch_probe_prompt_tokens",
                                "Prompt tokens reported by the last probe that reported usage",
                                MetricType::Gauge};
constexpr family_def completion_def{
    "visionwatch_probe_completion_tokens",
    "Completion tokens reported by the last probe that reported usage",
    MetricType::Gauge};
constexpr family_def image_def{"visionwatch_probe_image_tokens",
                               "Image tokens reported by the last probe that reported them",
                               MetricType::Gauge};
constexpr family_def baseline_def{"visionwatch_usage_baseline_tokens",
                                  "Prompt tokens of the text-only control request (usage baseline)",
                                  MetricType::Gauge};
constexpr family_def cost_def{"visionwatch_cost_usd_total",
                              "Spend on probes and control requests, from usage and route prices",
                              MetricType::Counter};
constexpr family_def cost_per_success_def{
    "visionwatch_cost_per_success_usd",
    "Spend per successful probe over the route's window of recent probes",
    MetricType::Gauge};
constexpr family_def last_probe_def{"visionwatch_last_probe_timestamp_seconds",
                                    "Unix time the last probe of the route completed",
                                    MetricType::Gauge};
constexpr family_def last_success_def{"visionwatch_last_success_timestamp_seconds",
                                      "Unix time the last successful probe of the route completed",
                                      MetricType::Gauge};
constexpr family_def skipped_def{
    "visionwatch_probes_skipped_total",
    "Due probes not started (previous probe still running or a limit reached)",
    MetricType::Counter};
constexpr family_def alerts_def{"visionwatch_alerts_firing",
                                "1 while the alert rule fires for the route, else 0",
                                MetricType::Gauge};
constexpr family_def in_flight_def{
    "visionwatch_probes_in_flight", "Probes currently running", MetricType::Gauge};
constexpr family_def lag_def{"visionwatch_scheduler_lag_seconds",
                             "Delay between a probe's due time and its start",
                             MetricType::Histogram};
constexpr family_def reload_ok_def{"visionwatch_config_last_reload_successful",
                                   "1 if the last configuration load succeeded, else 0",
                                   MetricType::Gauge};
constexpr family_def reload_time_def{"visionwatch_config_last_reload_success_timestamp_seconds",
                                     "Unix time of the last successful configuration load",
                                     MetricType::Gauge};
constexpr family_def notifications_def{"visionwatch_notifications_total",
                                       "Alert notification delivery attempts, by result",
                                       MetricType::Counter};
constexpr family_def queue_def{"visionwatch_notification_queue_depth",
                               "Notifications waiting for delivery to the receiver",
                               MetricType::Gauge};

std::string_view type_name(MetricType t) noexcept {
  switch (t) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Summary:
      return "summary";
    case MetricType::Untyped:
      break;
  }
  return "untyped";
}

}  // namespace

struct metrics::lag_histogram : histogram_data<lag_bounds.size()> {};

std::string_view to_string(notification_result r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < result_names.size() ? result_names[i] : std::string_view{"unknown"};
}

struct metrics::route_series {
  route_series() = default;
  route_series(const route_series&) = delete;  // the fragments view into label_text
  route_series& operator=(const route_series&) = delete;

  route_labels labels;
  /// `route="..",model="..",gateway="..",api=".."` in one block: a render touches one cache
  /// line per route and family for its labels. The views below are prefixes of it.
  std::string label_text;
  std::string_view route_fragment;        ///< `route=".."`
  std::string_view route_model_fragment;  ///< `route="..",model=".."`

  std::array<std::uint64_t, outcome_count> probes{};
  std::array<std::uint64_t, silent_count> silent{};
  histogram_data<duration_bounds.size()> duration;
  double cost = 0;
  std::uint64_t skipped = 0;
  // Absent until first known: unknown is no sample, never a misleading 0.
  std::optional<double> success;
  /// Window latency at quantile_values; _sum and _count come from `duration`, which observes
  /// the same probes (those that got a response) but over the process life.
  std::array<std::optional<double>, quantile_count> latency;
  std::optional<double> success_ratio;
  std::optional<std::array<double, phase_count>> phases;
  std::optional<double> prompt;
  std::optional<double> completion;
  std::optional<double> image;
  std::optional<double> baseline;
  std::optional<double> cost_per_success;
  std::optional<double> last_probe;
  std::optional<double> last_success;
  struct alert {
    std::string rule_fragment;
    bool firing = false;
  };
  std::map<std::string, alert, std::less<>> alerts;
};

struct metrics::receiver_series {
  std::string fragment;  ///< `receiver="..."`
  std::array<std::uint64_t, notification_result_count> results{};
  double queue_depth = 0;
};

metrics::metrics(const std::map<std::string, std::string>& external_labels,
                 std::string_view version,
                 std::string_view revision)
    : external_(checked_external(external_labels)),
      constant_(join_fragments(external_)),
      version_(version),
      revision_(revision),
      scheduler_lag_(std::make_unique<lag_histogram>()) {
  if (!exposition::valid_utf8(version) || !exposition::valid_utf8(revision)) {
    throw std::invalid_argument("build version or revision is not valid UTF-8");
  }
  build_labels_ =
      exposition::label("version", version) + "," + exposition::label("revision", revision);
}

metrics::~metrics() = default;

metrics::route_series* metrics::resolve(route_handle h) const noexcept {
  if (h.slot_ >= slots_.size()) {
    return nullptr;
  }
  const slot& s = slots_[h.slot_];
  return s.generation == h.generation_ ? s.series.get() : nullptr;
}

std::optional<route_handle> metrics::find_route(std::string_view route) const {
  const auto it = by_name_.find(route);
  if (it == by_name_.end()) {
    return std::nullopt;
  }
  return route_handle{it->second, slots_[it->second].generation};
}

route_handle metrics::add_route(const route_labels& labels) {
  if (labels.route.empty()) {
    throw std::invalid_argument("route name is empty");
  }
  for (const auto* value : {&labels.route, &labels.model, &labels.gateway, &labels.api}) {
    if (!exposition::valid_utf8(*value)) {
      throw std::invalid_argument("route \"" + labels.route +
                                  "\": a label value is not valid UTF-8");
    }
  }
  if (const auto existing = find_route(labels.route)) {
    if (resolve(*existing)->labels == labels) {
      return *existing;
    }
    remove_route(labels.route);
  }

  auto s = std::make_unique<route_series>();
  s->labels = labels;
  s->label_text = exposition::label("route", labels.route);
  const std::size_t route_end = s->label_text.size();
  s->label_text += ',' + exposition::label("model", labels.model);
  const std::size_t model_end = s->label_text.size();
  s->label_text += ',' + exposition::label("gateway", labels.gateway) + ',' +
                   exposition::label("api", labels.api);
  s->route_fragment = std::string_view(s->label_text).substr(0, route_end);
  s->route_model_fragment = std::string_view(s->label_text).substr(0, model_end);

  std::uint32_t index = 0;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slot& target = slots_[index];
  target.series = std::move(s);
  by_name_.emplace(labels.route, index);
  return route_handle{index, target.generation};
}

bool metrics::remove_route(std::string_view route) {
  const auto it = by_name_.find(route);
  if (it == by_name_.end()) {
    return false;
  }
  slot& s = slots_[it->second];
  s.series.reset();  // every series of the route, alert series included
  ++s.generation;    // every handle to this slot is stale from now on
  if (s.generation == 0) {
    s.generation = 1;  // wrapped after 4 billion reuses; 0 stays reserved for "no route"
  }
  free_slots_.push_back(it->second);
  by_name_.erase(it);
  return true;
}

bool metrics::record(route_handle route, const probe_result& result, const window_figures& window) {
  route_series* s = resolve(route);
  if (s == nullptr) {
    return false;
  }
  // A counter never goes down; a NaN or negative cost (bad price config) is dropped.
  if (std::isfinite(result.cost_usd) && result.cost_usd > 0) {
    s->cost += result.cost_usd;
  }
  if (result.control) {
    if (result.success() && result.tokens.prompt_tokens) {
      s->baseline = static_cast<double>(*result.tokens.prompt_tokens);
    }
    return true;
  }

  const auto index = static_cast<std::size_t>(result.result);
  if (index < outcome_count) {
    ++s->probes[index];
  }
  if (result.silent()) {
    ++s->silent[silent_index(result.result)];
  }
  s->success = result.success() ? 1 : 0;
  // Transport failures got no response: their time says how long the failure took to show (a
  // refused connect, a 30 s timeout), not how fast the route answers. probes_total{outcome}
  // counts them.
  if (!is_transport_error(result.result)) {
    s->duration.observe(result.latency_seconds, duration_bounds);
  }
  s->phases = std::array<double, phase_count>{result.phases.dns,
                                              result.phases.connect,
                                              result.phases.tls,
                                              result.phases.send,
                                              result.phases.ttfb,
                                              result.phases.transfer};
  // Unknown token counts keep the last known value: these gauges mean "the last probe that
  // reported usage" (a gateway omitting usage shows in the probe log's usage_missing).
  if (result.tokens.prompt_tokens) {
    s->prompt = static_cast<double>(*result.tokens.prompt_tokens);
  }
  if (result.tokens.completion_tokens) {
    s->completion = static_cast<double>(*result.tokens.completion_tokens);
  }
  if (result.tokens.image_tokens) {
    s->image = static_cast<double>(*result.tokens.image_tokens);
  }
  const double completed = unix_seconds(result.started_at) + result.latency_seconds;
  s->last_probe = completed;
  if (result.success()) {
    s->last_success = completed;
  }
  s->latency = {window.latency_p50, window.latency_p90, window.latency_p99, window.latency_max};
  s->success_ratio = window.success_ratio;
  s->cost_per_success = window.cost_per_success_usd;
  return true;
}

bool metrics::set_baseline(route_handle route, long long prompt_tokens) {
  route_series* s = resolve(route);
  if (s == nullptr) {
    return false;
  }
  s->baseline = static_cast<double>(prompt_tokens);
  return true;
}

bool metrics::probe_skipped(route_handle route) {
  route_series* s = resolve(route);
  if (s == nullptr) {
    return false;
  }
  ++s->skipped;
  return true;
}

void metrics::set_in_flight(std::size_t probes) { in_flight_ = static_cast<double>(probes); }

void metrics::observe_scheduler_lag(double seconds) {
  scheduler_lag_->observe(std::max(seconds, 0.0), lag_bounds);
}

std::vector<std::pair<double, std::uint64_t>> metrics::scheduler_lag_buckets() const {
  std::vector<std::pair<double, std::uint64_t>> out;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= lag_bounds.size(); ++i) {
    cumulative += scheduler_lag_->counts[i];
    out.emplace_back(
        i < lag_bounds.size() ? lag_bounds[i] : std::numeric_limits<double>::infinity(),
        cumulative);
  }
  return out;
}

void metrics::config_reloaded(bool ok, std::chrono::system_clock::time_point at) {
  reload_ok_ = ok;
  if (ok) {
    reload_timestamp_ = unix_seconds(at);
  }
}

bool metrics::set_alert_firing(std::string_view route, std::string_view rule, bool firing) {
  const auto it = by_name_.find(route);
  if (it == by_name_.end() || rule.empty() || !exposition::valid_utf8(rule)) {
    return false;
  }
  route_series& s = *slots_[it->second].series;
  auto a = s.alerts.find(rule);
  if (a == s.alerts.end()) {
    a = s.alerts.emplace(std::string(rule), route_series::alert{exposition::label("rule", rule)})
            .first;
  }
  a->second.firing = firing;
  return true;
}

metrics::receiver_series* metrics::find_or_add_receiver(std::string_view receiver) {
  if (const auto it = receivers_.find(receiver); it != receivers_.end()) {
    return it->second.get();
  }
  if (receiver.empty() || !exposition::valid_utf8(receiver)) {
    return nullptr;
  }
  auto r = std::make_unique<receiver_series>();
  r->fragment = exposition::label("receiver", receiver);
  return receivers_.emplace(std::string(receiver), std::move(r)).first->second.get();
}

void metrics::add_receiver(std::string_view receiver) {
  if (find_or_add_receiver(receiver) == nullptr) {
    throw std::invalid_argument("receiver name is empty or not valid UTF-8");
  }
}

bool metrics::remove_receiver(std::string_view receiver) {
  const auto it = receivers_.find(receiver);
  if (it == receivers_.end()) {
    return false;
  }
  receivers_.erase(it);
  return true;
}

bool metrics::notification(std::string_view receiver, notification_result result) {
  const auto i = static_cast<std::size_t>(result);
  receiver_series* r = find_or_add_receiver(receiver);
  if (r == nullptr || i >= notification_result_count) {
    return false;
  }
  ++r->results[i];
  return true;
}

bool metrics::set_queue_depth(std::string_view receiver, std::size_t depth) {
  receiver_series* r = find_or_add_receiver(receiver);
  if (r == nullptr) {
    return false;
  }
  r->queue_depth = static_cast<double>(depth);
  return true;
}

// ---- text exposition -------------------------------------------------------------------------

namespace {

/// Writes a family's HELP and TYPE, lets `body` append samples, and takes the header back out
/// when no sample was written (a family without series is left out of the exposition).
template <typename Body>
void family_block(std::string& out, const family_def& f, Body&& body) {
  const std::size_t start = out.size();
  exposition::append_family_header(out, f.name, f.help, type_name(f.type));
  const std::size_t header_end = out.size();
  body();
  if (out.size() == header_end) {
    out.resize(start);
  }
}

/// Sample names of a histogram family, built once per render.
struct histogram_names {
  std::string bucket;
  std::string sum;
  std::string count;
  explicit histogram_names(std::string_view base)
      : bucket(std::string(base) + "_bucket"),
        sum(std::string(base) + "_sum"),
        count(std::string(base) + "_count") {}
};

template <std::size_t n>
void histogram_samples(std::string& out,
                       const histogram_names& names,
                       const histogram_data<n>& h,
                       const std::vector<std::string>& le,
                       std::string_view a,
                       std::string_view b,
                       std::string_view constant) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= n; ++i) {
    cumulative += h.counts[i];
    exposition::append_sample(
        out, names.bucket, {a, b, le[i], constant}, static_cast<double>(cumulative));
  }
  exposition::append_sample(out, names.sum, {a, b, constant}, h.sum);
  exposition::append_sample(out, names.count, {a, b, constant}, static_cast<double>(h.count));
}

}  // namespace

std::string metrics::render() const {
  std::string out;
  render(out);
  return out;
}

void metrics::render(std::string& out) const {
  out.reserve(out.size() + last_render_size_ + last_render_size_ / 8);
  const std::size_t begin = out.size();
  render_cursor cursor;
  while (render_piece(cursor, out, std::numeric_limits<std::size_t>::max())) {
  }
  last_render_size_ = out.size() - begin;
}

namespace {

/// The per-route families, in exposition order (render_piece's stages 1..n).
constexpr std::array<const family_def*, 18> route_families = {&route_info_def,
                                                              &probes_def,
                                                              &success_def,
                                                              &silent_def,
                                                              &duration_def,
                                                              &latency_def,
                                                              &ratio_def,
                                                              &phase_def,
                                                              &prompt_def,
                                                              &completion_def,
                                                              &image_def,
                                                              &baseline_def,
                                                              &cost_def,
                                                              &cost_per_success_def,
                                                              &last_probe_def,
                                                              &last_success_def,
                                                              &skipped_def,
                                                              &alerts_def};

struct sample_names {
  histogram_names duration{duration_def.name};
  histogram_names lag{lag_def.name};
  std::string latency_sum = std::string(latency_def.name) + "_sum";
  std::string latency_count = std::string(latency_def.name) + "_count";
};

const sample_names& names() {
  static const sample_names n;
  return n;
}

}  // namespace

bool metrics::render_piece(render_cursor& cursor, std::string& out, std::size_t budget) const {
  const std::size_t start = out.size();
  const auto full = [&] { return out.size() - start >= budget; };
  const std::string_view c = constant_;
  if (cursor.stage == 0) {
    family_block(out, build_info_def, [&] {
      exposition::append_sample(out, build_info_def.name, {build_labels_, c}, 1);
    });
    cursor.stage = 1;
  }
  // One family at a time: all samples of a family must form one group in the exposition.
  while (cursor.stage <= route_families.size()) {
    const family_def& def = *route_families[cursor.stage - 1];
    auto it = cursor.after ? by_name_.upper_bound(*cursor.after) : by_name_.begin();
    for (; it != by_name_.end(); ++it) {
      const route_series& s = *slots_[it->second].series;
      const std::size_t mark = out.size();
      if (!cursor.header) {
        exposition::append_family_header(out, def.name, def.help, type_name(def.type));
      }
      const std::size_t samples_at = out.size();
      write_route_family(cursor.stage - 1, out, s);
      if (out.size() == samples_at) {
        out.resize(mark);  // nothing for this route: no header on its account either
        continue;
      }
      cursor.header = true;
      if (full()) {
        cursor.after = it->first;
        return true;
      }
    }
    ++cursor.stage;
    cursor.after.reset();
    cursor.header = false;
  }
  if (cursor.stage == route_families.size() + 1) {
    family_block(out, in_flight_def, [&] {
      exposition::append_sample(out, in_flight_def.name, {c}, in_flight_);
    });
    family_block(out, lag_def, [&] {
      histogram_samples(out, names().lag, *scheduler_lag_, frag().lag_le, {}, {}, c);
    });
    family_block(out, reload_ok_def, [&] {
      exposition::append_sample(out, reload_ok_def.name, {c}, reload_ok_ ? 1 : 0);
    });
    family_block(out, reload_time_def, [&] {
      if (reload_timestamp_) {
        exposition::append_sample(out, reload_time_def.name, {c}, *reload_timestamp_);
      }
    });
    family_block(out, notifications_def, [&] {
      for (const auto& [name, r] : receivers_) {
        for (std::size_t i = 0; i < notification_result_count; ++i) {
          exposition::append_sample(out,
                                    notifications_def.name,
                                    {r->fragment, frag().results[i], c},
                                    static_cast<double>(r->results[i]));
        }
      }
    });
    family_block(out, queue_def, [&] {
      for (const auto& [name, r] : receivers_) {
        exposition::append_sample(out, queue_def.name, {r->fragment, c}, r->queue_depth);
      }
    });
    ++cursor.stage;
  }
  return false;
}

void metrics::write_route_family(std::size_t family,
                                 std::string& out,
                                 const route_series& s) const {
  const std::string_view c = constant_;
  const fragments& f = frag();
  const auto route_model_gauge = [&](const family_def& def, const std::optional<double>& v) {
    if (v) {
      exposition::append_sample(out, def.name, {s.route_model_fragment, c}, *v);
    }
  };
  const auto route_gauge = [&](const family_def& def, const std::optional<double>& v) {
    if (v) {
      exposition::append_sample(out, def.name, {s.route_fragment, c}, *v);
    }
  };
  switch (family) {
    case 0:
      exposition::append_sample(out, route_info_def.name, {s.label_text, c}, 1);
      break;
    case 1:
      for (std::size_t i = 0; i < outcome_count; ++i) {
        exposition::append_sample(out,
                                  probes_def.name,
                                  {s.route_model_fragment, f.outcomes[i], c},
                                  static_cast<double>(s.probes[i]));
      }
      break;
    case 2:
      route_model_gauge(success_def, s.success);
      break;
    case 3:
      for (std::size_t i = 0; i < silent_count; ++i) {
        exposition::append_sample(out,
                                  silent_def.name,
                                  {s.route_model_fragment, f.reasons[i], c},
                                  static_cast<double>(s.silent[i]));
      }
      break;
    case 4:
      histogram_samples(
          out, names().duration, s.duration, f.duration_le, s.route_model_fragment, {}, c);
      break;
    case 5:
      for (std::size_t i = 0; i < quantile_count; ++i) {
        if (const auto& v = s.latency[i]) {
          exposition::append_sample(
              out, latency_def.name, {s.route_model_fragment, f.quantiles[i], c}, *v);
        }
      }
      exposition::append_sample(
          out, names().latency_sum, {s.route_model_fragment, c}, s.duration.sum);
      exposition::append_sample(out,
                                names().latency_count,
                                {s.route_model_fragment, c},
                                static_cast<double>(s.duration.count));
      break;
    case 6:
      route_model_gauge(ratio_def, s.success_ratio);
      break;
    case 7:
      if (s.phases) {
        for (std::size_t i = 0; i < phase_count; ++i) {
          exposition::append_sample(
              out, phase_def.name, {s.route_fragment, f.phases[i], c}, (*s.phases)[i]);
        }
      }
      break;
    case 8:
      route_model_gauge(prompt_def, s.prompt);
      break;
    case 9:
      route_model_gauge(completion_def, s.completion);
      break;
    case 10:
      route_model_gauge(image_def, s.image);
      break;
    case 11:
      route_gauge(baseline_def, s.baseline);
      break;
    case 12:
      exposition::append_sample(out, cost_def.name, {s.route_model_fragment, c}, s.cost);
      break;
    case 13:
      route_model_gauge(cost_per_success_def, s.cost_per_success);
      break;
    case 14:
      route_gauge(last_probe_def, s.last_probe);
      break;
    case 15:
      route_gauge(last_success_def, s.last_success);
      break;
    case 16:
      exposition::append_sample(
          out, skipped_def.name, {s.route_fragment, c}, static_cast<double>(s.skipped));
      break;
    case 17:
      for (const auto& [rule, a] : s.alerts) {
        exposition::append_sample(
            out, alerts_def.name, {s.route_fragment, a.rule_fragment, c}, a.firing ? 1 : 0);
      }
      break;
    default:
      break;
  }
}

// ---- prometheus-cpp data model ---------------------------------------------------------------

namespace {

class collector {
 public:
  explicit collector(const labels_map& external) : external_(external) {}

  void family(const family_def& def) {
    families_.push_back({std::string(def.name), std::string(def.help), def.type, {}});
  }
  void value(const labels_map& labels, double v) {
    auto& m = add(labels);
    switch (families_.back().type) {
      case MetricType::Counter:
        m.counter.value = v;
        break;
      case MetricType::Gauge:
        m.gauge.value = v;
        break;
      default:
        m.untyped.value = v;
        break;
    }
  }
  template <std::size_t n>
  void histogram(const labels_map& labels,
                 const histogram_data<n>& h,
                 const std::array<double, n>& bounds) {
    auto& m = add(labels);
    m.histogram.sample_count = h.count;
    m.histogram.sample_sum = h.sum;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= n; ++i) {
      cumulative += h.counts[i];
      m.histogram.bucket.push_back(
          {cumulative, i < n ? bounds[i] : std::numeric_limits<double>::infinity()});
    }
  }
  void summary(const labels_map& labels,
               const std::array<std::optional<double>, quantile_count>& quantiles,
               double sum,
               std::uint64_t count) {
    auto& m = add(labels);
    m.summary.sample_count = count;
    m.summary.sample_sum = sum;
    for (std::size_t i = 0; i < quantile_count; ++i) {
      if (quantiles[i]) {
        m.summary.quantile.push_back({quantile_values[i], *quantiles[i]});
      }
    }
  }
  std::vector<prometheus::MetricFamily> take() {
    std::erase_if(families_, [](const auto& f) { return f.metric.empty(); });
    return std::move(families_);
  }

 private:
  prometheus::ClientMetric& add(const labels_map& labels) {
    auto& m = families_.back().metric.emplace_back();
    for (const auto& [k, v] : labels) {
      m.label.push_back({k, v});
    }
    for (const auto& [k, v] : external_) {
      m.label.push_back({k, v});
    }
    return m;
  }
  const labels_map& external_;
  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace

std::vector<prometheus::MetricFamily> metrics::collect() const {
  collector out(external_);
  std::vector<const route_series*> routes;
  for (const auto& [name, index] : by_name_) {
    routes.push_back(slots_[index].series.get());
  }
  const auto rm = [](const route_series& s) {
    return labels_map{{"route", s.labels.route}, {"model", s.labels.model}};
  };
  const auto r = [](const route_series& s) { return labels_map{{"route", s.labels.route}}; };
  const auto with = [](labels_map l, std::string_view k, std::string_view v) {
    l.emplace(k, v);
    return l;
  };
  const auto optional_family =
      [&](const family_def& def, std::optional<double> route_series::*member, bool model) {
        out.family(def);
        for (const auto* s : routes) {
          if (const auto& v = s->*member) {
            out.value(model ? rm(*s) : r(*s), *v);
          }
        }
      };

  out.family(build_info_def);
  out.value({{"version", version_}, {"revision", revision_}}, 1);
  out.family(route_info_def);
  for (const auto* s : routes) {
    out.value({{"route", s->labels.route},
               {"model", s->labels.model},
               {"gateway", s->labels.gateway},
               {"api", s->labels.api}},
              1);
  }
  out.family(probes_def);
  for (const auto* s : routes) {
    for (std::size_t i = 0; i < outcome_count; ++i) {
      out.value(with(rm(*s), "outcome", to_string(all_outcomes[i])),
                static_cast<double>(s->probes[i]));
    }
  }
  optional_family(success_def, &route_series::success, true);
  out.family(silent_def);
  for (const auto* s : routes) {
    for (std::size_t i = 0; i < silent_count; ++i) {
      out.value(with(rm(*s), "reason", to_string(silent_outcome(i))),
                static_cast<double>(s->silent[i]));
    }
  }
  out.family(duration_def);
  for (const auto* s : routes) {
    out.histogram(rm(*s), s->duration, duration_bounds);
  }
  out.family(latency_def);
  for (const auto* s : routes) {
    out.summary(rm(*s), s->latency, s->duration.sum, s->duration.count);
  }
  optional_family(ratio_def, &route_series::success_ratio, true);
  out.family(phase_def);
  for (const auto* s : routes) {
    if (s->phases) {
      for (std::size_t i = 0; i < phase_count; ++i) {
        out.value(with(r(*s), "phase", phase_name(static_cast<phase>(i))), (*s->phases)[i]);
      }
    }
  }
  optional_family(prompt_def, &route_series::prompt, true);
  optional_family(completion_def, &route_series::completion, true);
  optional_family(image_def, &route_series::image, true);
  optional_family(baseline_def, &route_series::baseline, false);
  out.family(cost_def);
  for (const auto* s : routes) {
    out.value(rm(*s), s->cost);
  }
  optional_family(cost_per_success_def, &route_series::cost_per_success, true);
  optional_family(last_probe_def, &route_series::last_probe, false);
  optional_family(last_success_def, &route_series::last_success, false);
  out.family(skipped_def);
  for (const auto* s : routes) {
    out.value(r(*s), static_cast<double>(s->skipped));
  }
  out.family(alerts_def);
  for (const auto* s : routes) {
    for (const auto& [rule, a] : s->alerts) {
      out.value(with(r(*s), "rule", rule), a.firing ? 1 : 0);
    }
  }
  out.family(in_flight_def);
  out.value({}, in_flight_);
  out.family(lag_def);
  out.histogram({}, *scheduler_lag_, lag_bounds);
  out.family(reload_ok_def);
  out.value({}, reload_ok_ ? 1 : 0);
  if (reload_timestamp_) {
    out.family(reload_time_def);
    out.value({}, *reload_timestamp_);
  }
  out.family(notifications_def);
  for (const auto& [name, rs] : receivers_) {
    for (std::size_t i = 0; i < notification_result_count; ++i) {
      out.value({{"receiver", name}, {"result", std::string(result_names[i])}},
                static_cast<double>(rs->results[i]));
    }
  }
  out.family(queue_def);
  for (const auto& [name, rs] : receivers_) {
    out.value({{"receiver", name}}, rs->queue_depth);
  }
  return out.take();
}

}  // namespace visionwatch
