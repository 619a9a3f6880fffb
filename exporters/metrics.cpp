#include "exporters/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exporters/exposition.hpp"
#include "exporters/metric_series.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {

namespace {

using labels_map = std::map<std::string, std::string>;
using metrics_detail::gauge_value;
using metrics_detail::instance_series;
using metrics_detail::lag_bounds;
using metrics_detail::receiver_series;
using metrics_detail::route_series;

// Our label names: an external label with one of these names would make two labels collide.
constexpr std::array<std::string_view, 18> reserved_label_names = {"shape",
                                                                   "route",
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
                                                                   "stream",
                                                                   "shard",
                                                                   "shards",
                                                                   "le"};

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
    if (!is_valid_utf8(value)) {
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

}  // namespace

std::string_view to_string(probe_skip_reason r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return metrics_detail::skip_reason_names[i < probe_skip_reason_count ? i : 0];
}

std::string_view to_string(notification_result r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < metrics_detail::result_names.size() ? metrics_detail::result_names[i]
                                                 : std::string_view{"unknown"};
}

metrics::metrics(const std::map<std::string, std::string>& external_labels,
                 std::string_view version,
                 std::string_view revision)
    : external_(checked_external(external_labels)),
      constant_(join_fragments(external_)),
      instance_(std::make_unique<instance_series>()) {
  if (!is_valid_utf8(version) || !is_valid_utf8(revision)) {
    throw std::invalid_argument("build version or revision is not valid UTF-8");
  }
  instance_->version = version;
  instance_->revision = revision;
  instance_->version_fragment = exposition::label("version", version);
  instance_->revision_fragment = exposition::label("revision", revision);
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
    if (!is_valid_utf8(*value)) {
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
  order_stale_ = true;
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
  order_stale_ = true;
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
    // The gauge is the plain request's baseline; other forms' are in the status API.
    if (result.success() && result.tokens.prompt_tokens && result.shape == probe_shape::plain) {
      s->baseline = static_cast<double>(*result.tokens.prompt_tokens);
    }
    return true;
  }
  for (auto& sh : s->shapes) {
    if (sh.shape == result.shape) {
      sh.success = result.success() ? 1 : 0;
      sh.failures += result.success() ? 0 : 1;
    }
  }

  const auto index = static_cast<std::size_t>(result.result);
  if (index < outcome_count) {
    ++s->probes[index];
  }
  if (result.silent()) {
    ++s->silent[metrics_detail::silent_index(result.result)];
  }
  s->success = result.success() ? 1 : 0;
  // Transport failures got no response: their time says how long the failure took to show (a
  // refused connect, a 30 s timeout), not how fast the route answers. probes_total{outcome}
  // counts them.
  if (!is_transport_error(result.result)) {
    s->duration.observe(result.latency_seconds, metrics_detail::duration_bounds);
  }
  const auto& p = result.phases;
  s->phases = std::array<double, phase_count>{
      p.dns, p.connect, p.tls, p.send, p.ttfb, p.transfer, p.first_token.value_or(0)};
  s->has_first_token = p.first_token.has_value();
  if (p.first_token) {
    if (!s->first_token) {
      s->first_token = std::make_unique<decltype(s->first_token)::element_type>();
    }
    s->first_token->observe(*p.first_token, metrics_detail::duration_bounds);
    // Output speed once the answer has started: completion tokens over the time after the
    // first token (a stream that ended right at its first token has no rate).
    const double after = p.total - *p.first_token;
    if (result.tokens.completion_tokens && after > 0) {
      s->output_tokens_per_second = static_cast<double>(*result.tokens.completion_tokens) / after;
    }
  }
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

bool metrics::set_shapes(route_handle route, const std::vector<probe_shape>& shapes) {
  route_series* s = resolve(route);
  if (s == nullptr) {
    return false;
  }
  std::vector<route_series::shape_series> next;
  next.reserve(shapes.size());
  for (const auto shape : shapes) {
    const auto kept = std::find_if(
        s->shapes.begin(), s->shapes.end(), [shape](const auto& x) { return x.shape == shape; });
    next.push_back(kept != s->shapes.end() ? *kept : route_series::shape_series{shape, {}, 0});
  }
  s->shapes = std::move(next);
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

bool metrics::set_deferred_until(route_handle route,
                                 std::optional<std::chrono::system_clock::time_point> until) {
  route_series* s = resolve(route);
  if (s == nullptr) {
    return false;
  }
  s->deferred_until = until ? gauge_value(unix_seconds(*until)) : gauge_value(std::nullopt);
  return true;
}

bool metrics::add_gateway(std::string_view gateway) {
  if (gateway.empty() || !is_valid_utf8(gateway)) {
    return false;
  }
  if (!instance_->gateway_skipped.contains(gateway)) {
    instance_->gateway_skipped.emplace(std::string(gateway),
                                       std::pair{exposition::label("gateway", gateway),
                                                 std::array<std::uint64_t, probe_skip_reason_count>{}});
  }
  if (!instance_->gateway_budget.contains(gateway)) {
    instance_->gateway_budget.emplace(
        std::string(gateway),
        metrics_detail::gateway_budget_series{exposition::label("gateway", gateway), 0, 0});
  }
  return true;
}

bool metrics::remove_gateway(std::string_view gateway) {
  const auto it = instance_->gateway_skipped.find(gateway);
  if (it == instance_->gateway_skipped.end()) {
    return false;
  }
  instance_->gateway_skipped.erase(it);
  if (const auto b = instance_->gateway_budget.find(gateway);
      b != instance_->gateway_budget.end()) {
    instance_->gateway_budget.erase(b);
  }
  return true;
}

bool metrics::set_gateway_budget(std::string_view gateway, double spent_usd, bool exhausted) {
  const auto it = instance_->gateway_budget.find(gateway);
  if (it == instance_->gateway_budget.end()) {
    return false;
  }
  it->second.spent = std::isfinite(spent_usd) ? spent_usd : 0;
  it->second.exhausted = exhausted ? 1 : 0;
  return true;
}

bool metrics::set_retry_mode(route_handle route, bool retrying) {
  route_series* s = resolve(route);
  if (s == nullptr) {
    return false;
  }
  s->retry_mode = retrying;
  return true;
}

bool metrics::gateway_probe_skipped(std::string_view gateway, probe_skip_reason reason) {
  const auto it = instance_->gateway_skipped.find(gateway);
  const auto i = static_cast<std::size_t>(reason);
  if (it == instance_->gateway_skipped.end() || i >= probe_skip_reason_count) {
    return false;
  }
  ++it->second.second[i];
  return true;
}

void metrics::state_saved(bool ok, std::chrono::system_clock::time_point at) {
  instance_->state_save_ok = ok ? 1 : 0;
  if (ok) {
    instance_->state_save_timestamp = unix_seconds(at);
  }
}

void metrics::set_in_flight(std::size_t probes) { instance_->in_flight = static_cast<double>(probes); }

double metrics::in_flight() const noexcept { return instance_->in_flight; }

void metrics::observe_scheduler_lag(double seconds) {
  instance_->scheduler_lag.observe(std::max(seconds, 0.0), lag_bounds);
}

std::vector<std::pair<double, std::uint64_t>> metrics::scheduler_lag_buckets() const {
  std::vector<std::pair<double, std::uint64_t>> out;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= lag_bounds.size(); ++i) {
    cumulative += instance_->scheduler_lag.counts[i];
    out.emplace_back(
        i < lag_bounds.size() ? lag_bounds[i] : std::numeric_limits<double>::infinity(),
        cumulative);
  }
  return out;
}

void metrics::set_shard(std::uint32_t shard, std::uint32_t shards) {
  instance_->shard = std::to_string(shard);
  instance_->shards = std::to_string(shards);
  instance_->shard_fragment = exposition::label("shard", instance_->shard);
  instance_->shards_fragment = exposition::label("shards", instance_->shards);
}

void metrics::config_reloaded(bool ok, std::chrono::system_clock::time_point at) {
  instance_->reload_ok = ok;
  if (ok) {
    instance_->reload_timestamp = unix_seconds(at);
  }
}

bool metrics::set_alert_firing(std::string_view route, std::string_view rule, bool firing) {
  const auto it = by_name_.find(route);
  if (it == by_name_.end() || rule.empty() || !is_valid_utf8(rule)) {
    return false;
  }
  route_series& s = *slots_[it->second].series;
  auto a = std::lower_bound(s.alerts.begin(), s.alerts.end(), rule, [](const auto& x, auto name) {
    return x.rule->name < name;
  });
  if (a == s.alerts.end() || a->rule->name != rule) {
    auto label = rule_labels_.find(rule);
    if (label == rule_labels_.end()) {
      label = rule_labels_
                  .emplace(std::string(rule),
                           metrics_detail::rule_label{std::string(rule),
                                                      exposition::label("rule", rule)})
                  .first;
    }
    a = s.alerts.insert(a, route_series::alert{&label->second});
  }
  a->firing = firing;
  return true;
}

metrics::receiver_series* metrics::find_or_add_receiver(std::string_view receiver) {
  if (const auto it = instance_->receivers.find(receiver); it != instance_->receivers.end()) {
    return it->second.get();
  }
  if (receiver.empty() || !is_valid_utf8(receiver)) {
    return nullptr;
  }
  auto r = std::make_unique<receiver_series>();
  r->fragment = exposition::label("receiver", receiver);
  return instance_->receivers.emplace(std::string(receiver), std::move(r)).first->second.get();
}

void metrics::add_receiver(std::string_view receiver) {
  if (find_or_add_receiver(receiver) == nullptr) {
    throw std::invalid_argument("receiver name is empty or not valid UTF-8");
  }
}

bool metrics::remove_receiver(std::string_view receiver) {
  const auto it = instance_->receivers.find(receiver);
  if (it == instance_->receivers.end()) {
    return false;
  }
  instance_->receivers.erase(it);
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

}  // namespace visionwatch
