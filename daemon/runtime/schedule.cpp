#include "daemon/runtime/schedule.hpp"

#include <algorithm>

namespace visionwatch {

std::chrono::milliseconds phase_offset(std::string_view route,
                                       std::chrono::milliseconds interval) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : route) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(interval.count(), 1));
  return std::chrono::milliseconds(static_cast<std::int64_t>(h % n));
}

std::chrono::milliseconds delay_to_slot(std::int64_t now_unix_ms,
                                        std::chrono::milliseconds offset,
                                        std::chrono::milliseconds interval) noexcept {
  const std::int64_t n = std::max<std::int64_t>(interval.count(), 1);
  const std::int64_t pos = ((now_unix_ms - offset.count()) % n + n) % n;
  return std::chrono::milliseconds(pos == 0 ? 0 : n - pos);
}

std::chrono::milliseconds start_slack_for(std::chrono::milliseconds shortest,
                                          std::chrono::milliseconds cap) noexcept {
  return std::clamp(shortest / 100, std::chrono::milliseconds(0), cap);
}

void scheduler_core::push(route_id id, route_entry& r, job_kind kind) {
  if (kind == job_kind::probe) {
    r.probe_generation = next_generation_++;
    heap_.push({r.next_probe, id, kind, r.probe_generation});
  } else {
    r.baseline_generation = next_generation_++;
    heap_.push({r.next_baseline, id, kind, r.baseline_generation});
  }
}

void scheduler_core::add_route(route_id id,
                               std::size_t gateway,
                               std::chrono::milliseconds interval,
                               std::chrono::milliseconds baseline_interval,
                               time_point first_probe,
                               time_point first_baseline) {
  auto& r = routes_[id];
  r = route_entry{};
  r.gateway = gateway;
  r.interval = std::max(interval, std::chrono::milliseconds(1));
  r.baseline_interval = std::max(baseline_interval, std::chrono::milliseconds(1));
  r.next_probe = first_probe;
  r.next_baseline = first_baseline;
  push(id, r, job_kind::probe);
  push(id, r, job_kind::baseline);
}

void scheduler_core::update_route(route_id id,
                                  std::size_t gateway,
                                  std::chrono::milliseconds interval,
                                  std::chrono::milliseconds baseline_interval) {
  const auto it = routes_.find(id);
  if (it == routes_.end() || it->second.removed) {
    return;
  }
  auto& r = it->second;
  // A route that changes gateway while running keeps its old slot until it finishes; the counts
  // stay right because finished() releases the gateway recorded at start.
  if (!r.running) {
    r.gateway = gateway;
  }
  interval = std::max(interval, std::chrono::milliseconds(1));
  baseline_interval = std::max(baseline_interval, std::chrono::milliseconds(1));
  if (interval < r.interval) {
    // Never wait longer than the new interval; a pending retry keeps its time.
    auto& slot = r.resume_slot ? *r.resume_slot : r.next_probe;
    slot -= (r.interval - interval);
    if (r.resume_slot && *r.resume_slot <= r.next_probe) {
      r.next_probe = *r.resume_slot;
      r.resume_slot.reset();
    }
  }
  if (baseline_interval < r.baseline_interval) {
    r.next_baseline -= (r.baseline_interval - baseline_interval);
  }
  r.interval = interval;
  r.baseline_interval = baseline_interval;
  push(id, r, job_kind::probe);
  push(id, r, job_kind::baseline);
}

bool scheduler_core::has_route(route_id id) const {
  const auto it = routes_.find(id);
  return it != routes_.end() && !it->second.removed;
}

void scheduler_core::remove_route(route_id id) {
  const auto it = routes_.find(id);
  if (it == routes_.end()) {
    return;
  }
  std::erase_if(waiting_, [id](const job& j) { return j.route == id; });
  if (it->second.running) {
    it->second.removed = true;  // finished() releases its slot and erases it
  } else {
    routes_.erase(it);
  }
}

void scheduler_core::set_gateway_limit(std::size_t gateway, std::size_t limit) {
  if (gateway >= gateway_limit_.size()) {
    gateway_limit_.resize(gateway + 1, 0);
    gateway_in_flight_.resize(gateway + 1, 0);
  }
  gateway_limit_[gateway] = limit;
}

void scheduler_core::defer(route_id id, time_point t) {
  const auto it = routes_.find(id);
  if (it == routes_.end() || it->second.removed || it->second.next_probe >= t) {
    return;
  }
  auto& r = it->second;
  r.next_probe = t;
  if (r.resume_slot && *r.resume_slot <= t) {
    r.resume_slot.reset();  // deferred past the slot: the probe after it follows from t
  }
  push(id, r, job_kind::probe);
}

void scheduler_core::request_baseline(route_id id, time_point now) {
  const auto it = routes_.find(id);
  if (it == routes_.end() || it->second.removed) {
    return;
  }
  it->second.next_baseline = now;
  push(id, it->second, job_kind::baseline);
}

void scheduler_core::set_gateway_paused(std::size_t gateway, bool paused, time_point now) {
  if (gateway >= gateway_paused_.size()) {
    gateway_paused_.resize(gateway + 1, 0);
  }
  const bool was = gateway_paused_[gateway] != 0;
  gateway_paused_[gateway] = paused ? 1 : 0;
  if (!was || paused) {
    return;
  }
  // Resumed (once a day at most): control requests missed in the pause run first, so the
  // probes that follow have a baseline.
  for (auto& [id, r] : routes_) {
    if (r.gateway == gateway && r.baseline_missed && !r.removed) {
      r.baseline_missed = false;
      r.next_baseline = now;
      push(id, r, job_kind::baseline);
    }
  }
}

bool scheduler_core::gateway_paused(std::size_t gateway) const noexcept {
  return gateway < gateway_paused_.size() && gateway_paused_[gateway] != 0;
}

void scheduler_core::set_retry_interval(route_id id, std::chrono::milliseconds retry_interval) {
  const auto it = routes_.find(id);
  if (it == routes_.end() || it->second.removed) {
    return;
  }
  auto& r = it->second;
  r.retry_interval = retry_interval;
  if (r.retry_interval >= r.interval || r.retry_interval.count() <= 0) {
    leave_retry(id, r);
  }
}

void scheduler_core::leave_retry(route_id id, route_entry& r) {
  r.retrying = false;
  if (r.resume_slot) {
    r.next_probe = *r.resume_slot;
    r.resume_slot.reset();
    push(id, r, job_kind::probe);
  }
}

void scheduler_core::record_outcome(route_id id, bool failed, time_point now) {
  const auto it = routes_.find(id);
  if (it == routes_.end() || it->second.removed) {
    return;
  }
  auto& r = it->second;
  if (!failed || r.retry_interval >= r.interval || r.retry_interval.count() <= 0) {
    leave_retry(id, r);
    return;
  }
  r.retrying = true;
  // Counted from the end of the failed probe, so a retry never overlaps it.
  const auto retry_at = now + r.retry_interval;
  if (retry_at < r.next_probe) {
    if (!r.resume_slot) {
      r.resume_slot = r.next_probe;
    }
    r.next_probe = retry_at;
    push(id, r, job_kind::probe);
  }
}

bool scheduler_core::retrying(route_id id) const {
  const auto it = routes_.find(id);
  return it != routes_.end() && it->second.retrying;
}

bool scheduler_core::admit(const route_entry& r) const {
  if (in_flight_ >= max_in_flight_) {
    return false;
  }
  if (r.gateway < gateway_limit_.size() && gateway_limit_[r.gateway] > 0 &&
      gateway_in_flight_[r.gateway] >= gateway_limit_[r.gateway]) {
    return false;
  }
  return true;
}

std::vector<scheduler_core::job> scheduler_core::poll(time_point now) {
  while (!heap_.empty() && heap_.top().due <= now) {
    const heap_entry e = heap_.top();
    heap_.pop();
    const auto it = routes_.find(e.route);
    if (it == routes_.end() || it->second.removed) {
      continue;
    }
    auto& r = it->second;
    if (e.kind == job_kind::probe) {
      if (e.generation != r.probe_generation) {
        continue;
      }
      // Next slot; slots that passed entirely (process stopped, clock jump) count as skipped.
      // A retry ran ahead of the slot: the slot stays, so the route keeps its phase.
      const bool retry = r.resume_slot.has_value();
      r.next_probe = r.resume_slot ? *r.resume_slot : e.due + r.interval;
      r.resume_slot.reset();
      while (r.next_probe <= now) {
        r.next_probe += r.interval;
        skipped_.push_back({e.route, skip_reason::late});
      }
      push(e.route, r, job_kind::probe);
      if (paused(r)) {
        skipped_.push_back({e.route, skip_reason::budget});
        continue;
      }
      if ((r.running && !r.running_baseline) || r.probe_waiting) {
        skipped_.push_back({e.route, r.running ? skip_reason::overlap : skip_reason::concurrency});
        continue;
      }
      r.probe_waiting = true;
      waiting_.push_back({e.route, job_kind::probe, e.due, retry});
    } else {
      if (e.generation != r.baseline_generation) {
        continue;
      }
      r.next_baseline = e.due + r.baseline_interval;
      while (r.next_baseline <= now) {
        r.next_baseline += r.baseline_interval;
      }
      push(e.route, r, job_kind::baseline);
      if (paused(r)) {
        r.baseline_missed = true;
        continue;
      }
      const bool queued = std::any_of(waiting_.begin(), waiting_.end(), [&](const job& j) {
        return j.route == e.route && j.kind == job_kind::baseline;
      });
      if (!queued) {
        // The baseline goes first: the probe that follows uses it.
        waiting_.push_front({e.route, job_kind::baseline, e.due});
      }
    }
  }

  std::vector<job> out;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    auto rit = routes_.find(it->route);
    if (rit == routes_.end() || rit->second.removed) {
      it = waiting_.erase(it);
      continue;
    }
    auto& r = rit->second;
    if (paused(r)) {
      // Paused while it waited for a slot.
      if (it->kind == job_kind::probe) {
        r.probe_waiting = false;
        skipped_.push_back({it->route, skip_reason::budget});
      } else {
        r.baseline_missed = true;
      }
      it = waiting_.erase(it);
      continue;
    }
    if (r.running || !admit(r)) {
      ++it;
      continue;
    }
    r.running = true;
    r.running_baseline = it->kind == job_kind::baseline;
    if (it->kind == job_kind::probe) {
      r.probe_waiting = false;
    }
    ++in_flight_;
    if (r.gateway < gateway_in_flight_.size()) {
      ++gateway_in_flight_[r.gateway];
    }
    out.push_back(*it);
    it = waiting_.erase(it);
    if (in_flight_ >= max_in_flight_) {
      break;
    }
  }
  return out;
}

bool scheduler_core::try_start_now(route_id id) {
  const auto it = routes_.find(id);
  if (it == routes_.end() || it->second.removed || it->second.running || !admit(it->second) ||
      paused(it->second)) {
    return false;
  }
  auto& r = it->second;
  r.running = true;
  ++in_flight_;
  if (r.gateway < gateway_in_flight_.size()) {
    ++gateway_in_flight_[r.gateway];
  }
  return true;
}

void scheduler_core::finished(route_id id) {
  const auto it = routes_.find(id);
  if (it == routes_.end() || !it->second.running) {
    return;
  }
  auto& r = it->second;
  r.running = false;
  r.running_baseline = false;
  in_flight_ -= in_flight_ > 0 ? 1 : 0;
  if (r.gateway < gateway_in_flight_.size() && gateway_in_flight_[r.gateway] > 0) {
    --gateway_in_flight_[r.gateway];
  }
  if (r.removed) {
    routes_.erase(it);
  }
}

std::optional<scheduler_core::time_point> scheduler_core::next_wakeup() const {
  if (heap_.empty()) {
    return std::nullopt;
  }
  return heap_.top().due + start_slack_;
}

bool scheduler_core::busy(route_id id) const {
  const auto it = routes_.find(id);
  return it != routes_.end() && it->second.running;
}

std::vector<scheduler_core::skip> scheduler_core::take_skipped() {
  std::vector<skip> out;
  out.swap(skipped_);
  return out;
}

}  // namespace visionwatch
