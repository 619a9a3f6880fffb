#include "daemon/route_state.hpp"

namespace visionwatch {

route_state::route_state(std::size_t window, std::size_t recent)
    : latency_(window), success_(window), silent_(window), cost_(window), recent_limit_(recent) {}

void route_state::record(const probe_result& r) {
  if (!is_transport_error(r.result)) {
    latency_.add(r.latency_seconds);
  }
  success_.add(r.success() ? 1.0 : 0.0);
  silent_.add(r.silent() ? 1.0 : 0.0);
  cost_.add(r.cost_usd);
  recent_.push_front(r);
  while (recent_.size() > recent_limit_) {
    recent_.pop_back();
  }
}

bool route_state::record_baseline(const probe_result& r) {
  last_control_ = r;
  if (!r.success() || !r.tokens.prompt_tokens) {
    return false;
  }
  const bool changed = baseline_ != r.tokens.prompt_tokens;
  baseline_ = r.tokens.prompt_tokens;
  baseline_at_ = r.started_at;
  return changed;
}

void route_state::restore_baseline(long long tokens, std::chrono::system_clock::time_point at) {
  baseline_ = tokens;
  baseline_at_ = at;
}

void route_state::set_window(std::size_t window) {
  latency_.set_capacity(window);
  success_.set_capacity(window);
  silent_.set_capacity(window);
  cost_.set_capacity(window);
}

window_figures route_state::figures() const {
  window_figures f;
  f.probes = success_.size();
  if (!success_.empty()) {
    f.success_ratio = success_.mean();
    const double successes = success_.sum();
    if (successes > 0) {
      f.cost_per_success_usd = cost_.sum() / successes;
    }
  }
  if (!latency_.empty()) {
    f.latency_p50 = latency_.quantile(0.5);
    f.latency_p90 = latency_.quantile(0.9);
    f.latency_p99 = latency_.quantile(0.99);
    f.latency_max = latency_.max();
  }
  return f;
}

std::uint64_t route_state::silent_in_window() const {
  return static_cast<std::uint64_t>(silent_.sum() + 0.5);
}

}  // namespace visionwatch
