#include "exporters/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "exporters/exposition.hpp"

namespace visionwatch {

namespace {

using prometheus::Counter;
using prometheus::Gauge;
using prometheus::Histogram;
using labels_map = std::map<std::string, std::string>;

constexpr std::size_t silent_count = 5;
constexpr std::size_t phase_count = 6;
constexpr std::array<std::string_view, phase_count> phase_names = {
    "dns", "connect", "tls", "send", "ttfb", "transfer"};
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
const std::vector<double>& duration_buckets() {
  static const std::vector<double> b = {0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60};
  return b;
}
const std::vector<double>& lag_buckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
  return b;
}

/// Pre-rendered label fragments that do not depend on a route, built once.
struct fragments {
  std::array<std::string, outcome_count> outcomes;
  std::array<std::string, silent_count> reasons;
  std::array<std::string, phase_count> phases;
  std::array<std::string, notification_result_count> results;
  std::vector<std::string> duration_le;  ///< one per bucket, then +Inf
  std::vector<std::string> lag_le;

  static std::vector<std::string> le(const std::vector<double>& bounds) {
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
      reasons[i] = exposition::label(
          "reason",
          to_string(static_cast<outcome>(static_cast<std::size_t>(outcome::empty_answer) + i)));
    }
    for (std::size_t i = 0; i < phase_count; ++i) {
      phases[i] = exposition::label("phase", phase_names[i]);
    }
    for (std::size_t i = 0; i < notification_result_count; ++i) {
      results[i] = exposition::label("result", result_names[i]);
    }
    duration_le = le(duration_buckets());
    lag_le = le(lag_buckets());
  }
};

const fragments& frag() {
  static const fragments f;
  return f;
}

std::size_t silent_index(outcome o) noexcept {
  return static_cast<std::size_t>(o) - static_cast<std::size_t>(outcome::empty_answer);
}

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

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

template <typename T>
prometheus::Family<T>& build(prometheus::Registry& registry,
                             const labels_map& constant,
                             const std::string& name,
                             const std::string& help) {
  if constexpr (std::is_same_v<T, Counter>) {
    return prometheus::BuildCounter().Name(name).Help(help).Labels(constant).Register(registry);
  } else if constexpr (std::is_same_v<T, Gauge>) {
    return prometheus::BuildGauge().Name(name).Help(help).Labels(constant).Register(registry);
  } else {
    return prometheus::BuildHistogram().Name(name).Help(help).Labels(constant).Register(registry);
  }
}

template <typename T>
void drop(prometheus::Family<T>& f, T*& series) {
  if (series != nullptr) {
    f.Remove(series);
    series = nullptr;
  }
}

// Help texts: one line, no backslashes and no quotes (prometheus-cpp 1.0.1's TextSerializer,
// used as the reference in tests, does not escape HELP).
namespace help {
constexpr auto build_info = "visionwatch build; value is always 1";
constexpr auto route_info =
    "Configured route with its model, gateway and API flavour; value is always 1";
constexpr auto probes = "Probes completed, by outcome";
constexpr auto success = "1 if the last probe of the route succeeded, else 0";
constexpr auto silent = "Probes that got HTTP 2xx but did not really work, by reason";
constexpr auto duration = "Total time of probes that received an HTTP response";
constexpr auto p50 = "Median probe latency over the route's window of recent probes";
constexpr auto p90 = "90th percentile probe latency over the route's window of recent probes";
constexpr auto p99 = "99th percentile probe latency over the route's window of recent probes";
constexpr auto max = "Highest probe latency over the route's window of recent probes";
constexpr auto ratio = "Fraction of successful probes over the route's window of recent probes";
constexpr auto phase = "Time spent in each request phase by the last probe";
constexpr auto prompt = "Prompt tokens reported by the last probe that reported usage";
constexpr auto completion = "Completion tokens reported by the last probe that reported usage";
constexpr auto image = "Image tokens reported by the last probe that reported them";
constexpr auto baseline = "Prompt tokens of the text-only control request (usage baseline)";
constexpr auto cost = "Spend on probes and control requests, from usage and route prices";
constexpr auto cost_per_success =
    "Spend per successful probe over the route's window of recent probes";
constexpr auto last_probe = "Unix time the last probe of the route completed";
constexpr auto last_success = "Unix time the last successful probe of the route completed";
constexpr auto skipped = "Due probes not started (previous probe still running or a limit reached)";
constexpr auto in_flight = "Probes currently running";
constexpr auto lag = "Delay between a probe's due time and its start";
constexpr auto reload_ok = "1 if the last configuration load succeeded, else 0";
constexpr auto reload_time = "Unix time of the last successful configuration load";
constexpr auto alerts = "1 while the alert rule fires for the route, else 0";
constexpr auto notifications = "Alert notification delivery attempts, by result";
constexpr auto queue = "Notifications waiting for delivery to the receiver";
}  // namespace help

}  // namespace

std::string_view to_string(notification_result r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < result_names.size() ? result_names[i] : std::string_view{"unknown"};
}

struct metrics::route_series {
  route_labels labels;
  std::string route_fragment;  ///< `route="..."`
  std::string model_fragment;
  std::string gateway_fragment;
  std::string api_fragment;

  Gauge* info = nullptr;
  std::array<Counter*, outcome_count> probes{};
  std::array<Counter*, silent_count> silent{};
  Histogram* duration = nullptr;
  Counter* cost = nullptr;
  Counter* skipped = nullptr;
  // Created when first known (absent means unknown, never a misleading 0).
  Gauge* success = nullptr;
  Gauge* p50 = nullptr;
  Gauge* p90 = nullptr;
  Gauge* p99 = nullptr;
  Gauge* max = nullptr;
  Gauge* success_ratio = nullptr;
  std::array<Gauge*, phase_count> phases{};
  Gauge* prompt = nullptr;
  Gauge* completion = nullptr;
  Gauge* image = nullptr;
  Gauge* baseline = nullptr;
  Gauge* cost_per_success = nullptr;
  Gauge* last_probe = nullptr;
  Gauge* last_success = nullptr;
  struct alert {
    std::string rule_fragment;
    Gauge* firing = nullptr;
  };
  std::map<std::string, alert, std::less<>> alerts;

  labels_map route_model() const { return {{"route", labels.route}, {"model", labels.model}}; }
};

struct metrics::receiver_series {
  std::string fragment;  ///< `receiver="..."`
  std::array<Counter*, notification_result_count> results{};
  Gauge* queue_depth = nullptr;
};

metrics::metrics(const std::map<std::string, std::string>& external_labels,
                 std::string_view version,
                 std::string_view revision)
    : registry_(std::make_unique<prometheus::Registry>()),
      constant_(join_fragments(checked_external(external_labels))),
      build_info_(
          build<Gauge>(*registry_, external_labels, "visionwatch_build_info", help::build_info)),
      route_info_(
          build<Gauge>(*registry_, external_labels, "visionwatch_route_info", help::route_info)),
      probes_(
          build<Counter>(*registry_, external_labels, "visionwatch_probes_total", help::probes)),
      success_(
          build<Gauge>(*registry_, external_labels, "visionwatch_probe_success", help::success)),
      silent_(build<Counter>(
          *registry_, external_labels, "visionwatch_silent_failures_total", help::silent)),
      duration_(build<Histogram>(
          *registry_, external_labels, "visionwatch_probe_duration_seconds", help::duration)),
      latency_p50_(build<Gauge>(
          *registry_, external_labels, "visionwatch_probe_latency_p50_seconds", help::p50)),
      latency_p90_(build<Gauge>(
          *registry_, external_labels, "visionwatch_probe_latency_p90_seconds", help::p90)),
      latency_p99_(build<Gauge>(
          *registry_, external_labels, "visionwatch_probe_latency_p99_seconds", help::p99)),
      latency_max_(build<Gauge>(
          *registry_, external_labels, "visionwatch_probe_latency_max_seconds", help::max)),
      success_ratio_(build<Gauge>(
          *registry_, external_labels, "visionwatch_probe_success_ratio", help::ratio)),
      phase_(build<Gauge>(
          *registry_, external_labels, "visionwatch_probe_phase_seconds", help::phase)),
      prompt_tokens_(build<Gauge>(
          *registry_, external_labels, "visionwatch_probe_prompt_tokens", help::prompt)),
      completion_tokens_(build<Gauge>(
          *registry_, external_labels, "visionwatch_probe_completion_tokens", help::completion)),
      image_tokens_(
          build<Gauge>(*registry_, external_labels, "visionwatch_probe_image_tokens", help::image)),
      baseline_(build<Gauge>(
          *registry_, external_labels, "visionwatch_usage_baseline_tokens", help::baseline)),
      cost_(build<Counter>(*registry_, external_labels, "visionwatch_cost_usd_total", help::cost)),
      cost_per_success_(build<Gauge>(
          *registry_, external_labels, "visionwatch_cost_per_success_usd", help::cost_per_success)),
      last_probe_(build<Gauge>(*registry_,
                               external_labels,
                               "visionwatch_last_probe_timestamp_seconds",
                               help::last_probe)),
      last_success_(build<Gauge>(*registry_,
                                 external_labels,
                                 "visionwatch_last_success_timestamp_seconds",
                                 help::last_success)),
      skipped_(build<Counter>(
          *registry_, external_labels, "visionwatch_probes_skipped_total", help::skipped)),
      in_flight_(build<Gauge>(
          *registry_, external_labels, "visionwatch_probes_in_flight", help::in_flight)),
      scheduler_lag_(build<Histogram>(
          *registry_, external_labels, "visionwatch_scheduler_lag_seconds", help::lag)),
      reload_ok_(build<Gauge>(*registry_,
                              external_labels,
                              "visionwatch_config_last_reload_successful",
                              help::reload_ok)),
      reload_timestamp_(build<Gauge>(*registry_,
                                     external_labels,
                                     "visionwatch_config_last_reload_success_timestamp_seconds",
                                     help::reload_time)),
      alerts_firing_(
          build<Gauge>(*registry_, external_labels, "visionwatch_alerts_firing", help::alerts)),
      notifications_(build<Counter>(
          *registry_, external_labels, "visionwatch_notifications_total", help::notifications)),
      queue_depth_(build<Gauge>(
          *registry_, external_labels, "visionwatch_notification_queue_depth", help::queue)) {
  if (!exposition::valid_utf8(version) || !exposition::valid_utf8(revision)) {
    throw std::invalid_argument("build version or revision is not valid UTF-8");
  }
  build_labels_ =
      exposition::label("version", version) + "," + exposition::label("revision", revision);
  build_info_series_ =
      &build_info_.Add({{"version", std::string(version)}, {"revision", std::string(revision)}});
  build_info_series_->Set(1);
  in_flight_series_ = &in_flight_.Add({});
  scheduler_lag_series_ = &scheduler_lag_.Add({}, lag_buckets());
  reload_ok_series_ = &reload_ok_.Add({});
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
  s->route_fragment = exposition::label("route", labels.route);
  s->model_fragment = exposition::label("model", labels.model);
  s->gateway_fragment = exposition::label("gateway", labels.gateway);
  s->api_fragment = exposition::label("api", labels.api);

  // If an Add throws half-way (out of memory), erase_series() removes what was created.
  struct guard {
    metrics* self;
    route_series* s;
    ~guard() {
      if (s != nullptr) {
        self->erase_series(*s);
      }
    }
  } cleanup{this, s.get()};

  const labels_map rm = s->route_model();
  const labels_map r = {{"route", labels.route}};
  s->info = &route_info_.Add({{"route", labels.route},
                              {"model", labels.model},
                              {"gateway", labels.gateway},
                              {"api", labels.api}});
  s->info->Set(1);
  for (std::size_t i = 0; i < outcome_count; ++i) {
    labels_map l = rm;
    l.emplace("outcome", std::string(to_string(all_outcomes[i])));
    s->probes[i] = &probes_.Add(l);
  }
  for (std::size_t i = 0; i < silent_count; ++i) {
    labels_map l = rm;
    l.emplace("reason",
              std::string(to_string(
                  static_cast<outcome>(static_cast<std::size_t>(outcome::empty_answer) + i))));
    s->silent[i] = &silent_.Add(l);
  }
  s->duration = &duration_.Add(rm, duration_buckets());
  s->cost = &cost_.Add(rm);
  s->skipped = &skipped_.Add(r);

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
  cleanup.s = nullptr;
  by_name_.emplace(labels.route, index);
  return route_handle{index, target.generation};
}

void metrics::erase_series(route_series& s) {
  drop(route_info_, s.info);
  for (auto*& c : s.probes) {
    drop(probes_, c);
  }
  for (auto*& c : s.silent) {
    drop(silent_, c);
  }
  drop(duration_, s.duration);
  drop(cost_, s.cost);
  drop(skipped_, s.skipped);
  drop(success_, s.success);
  drop(latency_p50_, s.p50);
  drop(latency_p90_, s.p90);
  drop(latency_p99_, s.p99);
  drop(latency_max_, s.max);
  drop(success_ratio_, s.success_ratio);
  for (auto*& g : s.phases) {
    drop(phase_, g);
  }
  drop(prompt_tokens_, s.prompt);
  drop(completion_tokens_, s.completion);
  drop(image_tokens_, s.image);
  drop(baseline_, s.baseline);
  drop(cost_per_success_, s.cost_per_success);
  drop(last_probe_, s.last_probe);
  drop(last_success_, s.last_success);
  for (auto& [rule, a] : s.alerts) {
    drop(alerts_firing_, a.firing);
  }
  s.alerts.clear();
}

bool metrics::remove_route(std::string_view route) {
  const auto it = by_name_.find(route);
  if (it == by_name_.end()) {
    return false;
  }
  slot& s = slots_[it->second];
  erase_series(*s.series);
  s.series.reset();
  ++s.generation;  // every handle to this slot is stale from now on
  if (s.generation == 0) {
    s.generation = 1;  // wrapped after 4 billion reuses; 0 stays reserved for "no route"
  }
  free_slots_.push_back(it->second);
  by_name_.erase(it);
  return true;
}

void metrics::set_or_remove(family<Gauge>& f,
                            Gauge*& series,
                            const route_series& s,
                            bool with_model,
                            std::optional<double> value) {
  if (!value) {
    drop(f, series);
    return;
  }
  if (series == nullptr) {
    // Labels are built only here, once per series: record() itself allocates nothing.
    series = with_model ? &f.Add(s.route_model()) : &f.Add({{"route", s.labels.route}});
  }
  series->Set(*value);
}

bool metrics::record(route_handle route, const probe_result& result, const window_figures& window) {
  route_series* s = resolve(route);
  if (s == nullptr) {
    return false;
  }
  // Counters never go down: prometheus-cpp ignores negative increments; NaN is ours to drop.
  if (std::isfinite(result.cost_usd) && result.cost_usd > 0) {
    s->cost->Increment(result.cost_usd);
  }
  if (result.control) {
    if (result.success() && result.tokens.prompt_tokens) {
      set_baseline(route, *result.tokens.prompt_tokens);
    }
    return true;
  }

  const auto index = static_cast<std::size_t>(result.result);
  if (index < outcome_count) {
    s->probes[index]->Increment();
  }
  if (result.silent()) {
    s->silent[silent_index(result.result)]->Increment();
  }
  set_or_remove(success_, s->success, *s, true, result.success() ? 1 : 0);
  // Transport failures did not get a response: their time says how long the failure took to
  // show (a refused connect, a 30 s timeout), not how fast the route answers. They are counted
  // in probes_total{outcome} instead.
  if (!is_transport_error(result.result)) {
    s->duration->Observe(result.latency_seconds);
  }

  const std::array<double, phase_count> phases = {result.phases.dns,
                                                  result.phases.connect,
                                                  result.phases.tls,
                                                  result.phases.send,
                                                  result.phases.ttfb,
                                                  result.phases.transfer};
  for (std::size_t i = 0; i < phase_count; ++i) {
    if (s->phases[i] == nullptr) {
      s->phases[i] =
          &phase_.Add({{"route", s->labels.route}, {"phase", std::string(phase_names[i])}});
    }
    s->phases[i]->Set(phases[i]);
  }

  // Unknown token counts leave the last known value: the gauges mean "last probe that
  // reported usage", and a gateway that omits usage is visible through usage_missing logs.
  const auto set_known = [&](family<Gauge>& f, Gauge*& g, const std::optional<long long>& v) {
    if (v) {
      set_or_remove(f, g, *s, true, static_cast<double>(*v));
    }
  };
  set_known(prompt_tokens_, s->prompt, result.tokens.prompt_tokens);
  set_known(completion_tokens_, s->completion, result.tokens.completion_tokens);
  set_known(image_tokens_, s->image, result.tokens.image_tokens);

  const double completed = unix_seconds(result.started_at) + result.latency_seconds;
  set_or_remove(last_probe_, s->last_probe, *s, false, completed);
  if (result.success()) {
    set_or_remove(last_success_, s->last_success, *s, false, completed);
  }

  set_or_remove(latency_p50_, s->p50, *s, true, window.latency_p50);
  set_or_remove(latency_p90_, s->p90, *s, true, window.latency_p90);
  set_or_remove(latency_p99_, s->p99, *s, true, window.latency_p99);
  set_or_remove(latency_max_, s->max, *s, true, window.latency_max);
  set_or_remove(success_ratio_, s->success_ratio, *s, true, window.success_ratio);
  set_or_remove(cost_per_success_, s->cost_per_success, *s, true, window.cost_per_success_usd);
  return true;
}

bool metrics::set_baseline(route_handle route, long long prompt_tokens) {
  route_series* s = resolve(route);
  if (s == nullptr) {
    return false;
  }
  set_or_remove(baseline_, s->baseline, *s, false, static_cast<double>(prompt_tokens));
  return true;
}

bool metrics::probe_skipped(route_handle route) {
  route_series* s = resolve(route);
  if (s == nullptr) {
    return false;
  }
  s->skipped->Increment();
  return true;
}

void metrics::set_in_flight(std::size_t probes) {
  in_flight_series_->Set(static_cast<double>(probes));
}

void metrics::observe_scheduler_lag(double seconds) {
  if (!std::isnan(seconds)) {
    scheduler_lag_series_->Observe(std::max(seconds, 0.0));
  }
}

void metrics::config_reloaded(bool ok, std::chrono::system_clock::time_point at) {
  reload_ok_series_->Set(ok ? 1 : 0);
  if (ok) {
    if (reload_timestamp_series_ == nullptr) {
      reload_timestamp_series_ = &reload_timestamp_.Add({});
    }
    reload_timestamp_series_->Set(unix_seconds(at));
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
    route_series::alert created;
    created.rule_fragment = exposition::label("rule", rule);
    created.firing = &alerts_firing_.Add({{"route", s.labels.route}, {"rule", std::string(rule)}});
    a = s.alerts.emplace(std::string(rule), std::move(created)).first;
  }
  a->second.firing->Set(firing ? 1 : 0);
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
  for (std::size_t i = 0; i < notification_result_count; ++i) {
    r->results[i] = &notifications_.Add(
        {{"receiver", std::string(receiver)}, {"result", std::string(result_names[i])}});
  }
  r->queue_depth = &queue_depth_.Add({{"receiver", std::string(receiver)}});
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
  for (auto*& c : it->second->results) {
    drop(notifications_, c);
  }
  drop(queue_depth_, it->second->queue_depth);
  receivers_.erase(it);
  return true;
}

bool metrics::notification(std::string_view receiver, notification_result result) {
  const auto i = static_cast<std::size_t>(result);
  receiver_series* r = find_or_add_receiver(receiver);
  if (r == nullptr || i >= notification_result_count) {
    return false;
  }
  r->results[i]->Increment();
  return true;
}

bool metrics::set_queue_depth(std::string_view receiver, std::size_t depth) {
  receiver_series* r = find_or_add_receiver(receiver);
  if (r == nullptr) {
    return false;
  }
  r->queue_depth->Set(static_cast<double>(depth));
  return true;
}

std::string metrics::render() const {
  std::string out;
  render(out);
  return out;
}

namespace {

/// Writes a family's HELP and TYPE, lets `body` append samples, and takes the header back out
/// when no sample was written (a family without series is left out of the exposition).
template <typename Body>
void family_block(std::string& out,
                  std::string_view name,
                  std::string_view help_text,
                  std::string_view type,
                  Body&& body) {
  const std::size_t start = out.size();
  exposition::append_family_header(out, name, help_text, type);
  const std::size_t header_end = out.size();
  body();
  if (out.size() == header_end) {
    out.resize(start);
  }
}

/// `base` is the family name; `a` and `b` are the series' own label fragments (may be empty).
void histogram_samples(std::string& out,
                       std::string_view bucket_name,
                       std::string_view sum_name,
                       std::string_view count_name,
                       const Histogram& h,
                       const std::vector<std::string>& le,
                       std::string_view a,
                       std::string_view b,
                       std::string_view constant) {
  // Histogram::Collect() is the only way to read the buckets; one small allocation per series.
  const auto m = h.Collect();
  const std::size_t buckets = std::min(le.size(), m.histogram.bucket.size());
  for (std::size_t i = 0; i < buckets; ++i) {
    exposition::append_sample(out,
                              bucket_name,
                              {a, b, le[i], constant},
                              static_cast<double>(m.histogram.bucket[i].cumulative_count));
  }
  exposition::append_sample(out, sum_name, {a, b, constant}, m.histogram.sample_sum);
  exposition::append_sample(
      out, count_name, {a, b, constant}, static_cast<double>(m.histogram.sample_count));
}

}  // namespace

void metrics::render(std::string& out) const {
  out.reserve(out.size() + last_render_size_ + last_render_size_ / 8);
  const std::size_t begin = out.size();
  const std::string_view c = constant_;

  family_block(out, "visionwatch_build_info", help::build_info, "gauge", [&] {
    exposition::append_sample(
        out, "visionwatch_build_info", {build_labels_, c}, build_info_series_->Value());
  });
  render_routes(out);
  family_block(out, "visionwatch_probes_in_flight", help::in_flight, "gauge", [&] {
    exposition::append_sample(out, "visionwatch_probes_in_flight", {c}, in_flight_series_->Value());
  });
  family_block(out, "visionwatch_scheduler_lag_seconds", help::lag, "histogram", [&] {
    histogram_samples(out,
                      "visionwatch_scheduler_lag_seconds_bucket",
                      "visionwatch_scheduler_lag_seconds_sum",
                      "visionwatch_scheduler_lag_seconds_count",
                      *scheduler_lag_series_,
                      frag().lag_le,
                      {},
                      {},
                      c);
  });
  family_block(out, "visionwatch_config_last_reload_successful", help::reload_ok, "gauge", [&] {
    exposition::append_sample(
        out, "visionwatch_config_last_reload_successful", {c}, reload_ok_series_->Value());
  });
  family_block(out,
               "visionwatch_config_last_reload_success_timestamp_seconds",
               help::reload_time,
               "gauge",
               [&] {
                 if (reload_timestamp_series_ != nullptr) {
                   exposition::append_sample(
                       out,
                       "visionwatch_config_last_reload_success_timestamp_seconds",
                       {c},
                       reload_timestamp_series_->Value());
                 }
               });
  family_block(out, "visionwatch_notifications_total", help::notifications, "counter", [&] {
    for (const auto& [name, r] : receivers_) {
      for (std::size_t i = 0; i < notification_result_count; ++i) {
        exposition::append_sample(out,
                                  "visionwatch_notifications_total",
                                  {r->fragment, frag().results[i], c},
                                  r->results[i]->Value());
      }
    }
  });
  family_block(out, "visionwatch_notification_queue_depth", help::queue, "gauge", [&] {
    for (const auto& [name, r] : receivers_) {
      exposition::append_sample(
          out, "visionwatch_notification_queue_depth", {r->fragment, c}, r->queue_depth->Value());
    }
  });
  last_render_size_ = out.size() - begin;
}

void metrics::render_routes(std::string& out) const {
  std::vector<const route_series*> routes;
  routes.reserve(by_name_.size());
  for (const auto& [name, index] : by_name_) {
    routes.push_back(slots_[index].series.get());
  }
  const std::string_view c = constant_;
  const fragments& f = frag();

  // One family at a time: each family's samples must form one group in the exposition.
  const auto per_route =
      [&](std::string_view name, std::string_view help_text, std::string_view type, auto&& write) {
        family_block(out, name, help_text, type, [&] {
          for (const route_series* s : routes) {
            write(*s);
          }
        });
      };
  // A gauge labelled {route, model} that may be absent.
  const auto route_model_gauge = [&](std::string_view name,
                                     std::string_view help_text,
                                     Gauge* route_series::*member) {
    per_route(name, help_text, "gauge", [&](const route_series& s) {
      if (const Gauge* g = s.*member) {
        exposition::append_sample(out, name, {s.route_fragment, s.model_fragment, c}, g->Value());
      }
    });
  };
  const auto route_gauge =
      [&](std::string_view name, std::string_view help_text, Gauge* route_series::*member) {
        per_route(name, help_text, "gauge", [&](const route_series& s) {
          if (const Gauge* g = s.*member) {
            exposition::append_sample(out, name, {s.route_fragment, c}, g->Value());
          }
        });
      };

  per_route("visionwatch_route_info", help::route_info, "gauge", [&](const route_series& s) {
    exposition::append_sample(
        out,
        "visionwatch_route_info",
        {s.route_fragment, s.model_fragment, s.gateway_fragment, s.api_fragment, c},
        s.info->Value());
  });
  per_route("visionwatch_probes_total", help::probes, "counter", [&](const route_series& s) {
    for (std::size_t i = 0; i < outcome_count; ++i) {
      exposition::append_sample(out,
                                "visionwatch_probes_total",
                                {s.route_fragment, s.model_fragment, f.outcomes[i], c},
                                s.probes[i]->Value());
    }
  });
  route_model_gauge("visionwatch_probe_success", help::success, &route_series::success);
  per_route(
      "visionwatch_silent_failures_total", help::silent, "counter", [&](const route_series& s) {
        for (std::size_t i = 0; i < silent_count; ++i) {
          exposition::append_sample(out,
                                    "visionwatch_silent_failures_total",
                                    {s.route_fragment, s.model_fragment, f.reasons[i], c},
                                    s.silent[i]->Value());
        }
      });
  per_route("visionwatch_probe_duration_seconds",
            help::duration,
            "histogram",
            [&](const route_series& s) {
              histogram_samples(out,
                                "visionwatch_probe_duration_seconds_bucket",
                                "visionwatch_probe_duration_seconds_sum",
                                "visionwatch_probe_duration_seconds_count",
                                *s.duration,
                                f.duration_le,
                                s.route_fragment,
                                s.model_fragment,
                                c);
            });
  route_model_gauge("visionwatch_probe_latency_p50_seconds", help::p50, &route_series::p50);
  route_model_gauge("visionwatch_probe_latency_p90_seconds", help::p90, &route_series::p90);
  route_model_gauge("visionwatch_probe_latency_p99_seconds", help::p99, &route_series::p99);
  route_model_gauge("visionwatch_probe_latency_max_seconds", help::max, &route_series::max);
  route_model_gauge("visionwatch_probe_success_ratio", help::ratio, &route_series::success_ratio);
  per_route("visionwatch_probe_phase_seconds", help::phase, "gauge", [&](const route_series& s) {
    for (std::size_t i = 0; i < phase_count; ++i) {
      if (const Gauge* g = s.phases[i]) {
        exposition::append_sample(
            out, "visionwatch_probe_phase_seconds", {s.route_fragment, f.phases[i], c}, g->Value());
      }
    }
  });
  route_model_gauge("visionwatch_probe_prompt_tokens", help::prompt, &route_series::prompt);
  route_model_gauge(
      "visionwatch_probe_completion_tokens", help::completion, &route_series::completion);
  route_model_gauge("visionwatch_probe_image_tokens", help::image, &route_series::image);
  route_gauge("visionwatch_usage_baseline_tokens", help::baseline, &route_series::baseline);
  per_route("visionwatch_cost_usd_total", help::cost, "counter", [&](const route_series& s) {
    exposition::append_sample(out,
                              "visionwatch_cost_usd_total",
                              {s.route_fragment, s.model_fragment, c},
                              s.cost->Value());
  });
  route_model_gauge(
      "visionwatch_cost_per_success_usd", help::cost_per_success, &route_series::cost_per_success);
  route_gauge(
      "visionwatch_last_probe_timestamp_seconds", help::last_probe, &route_series::last_probe);
  route_gauge("visionwatch_last_success_timestamp_seconds",
              help::last_success,
              &route_series::last_success);
  per_route(
      "visionwatch_probes_skipped_total", help::skipped, "counter", [&](const route_series& s) {
        exposition::append_sample(
            out, "visionwatch_probes_skipped_total", {s.route_fragment, c}, s.skipped->Value());
      });
  per_route("visionwatch_alerts_firing", help::alerts, "gauge", [&](const route_series& s) {
    for (const auto& [rule, a] : s.alerts) {
      exposition::append_sample(out,
                                "visionwatch_alerts_firing",
                                {s.route_fragment, a.rule_fragment, c},
                                a.firing->Value());
    }
  });
}

}  // namespace visionwatch
