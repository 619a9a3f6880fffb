#include "daemon/runtime/budget.hpp"

#include <cmath>
#include <utility>

namespace visionwatch {

std::int64_t budget_ledger::day_of(time_point t) noexcept {
  return std::chrono::floor<std::chrono::days>(t.time_since_epoch()).count();
}

void budget_ledger::set_limits(std::optional<double> global, limits gateways) {
  global_limit_ = global;
  limits_ = std::move(gateways);
}

bool budget_ledger::roll(time_point now) {
  const auto day = day_of(now);
  if (day_ && *day_ >= day) {
    return false;  // the same day (a clock stepping back does not restart it)
  }
  day_ = day;
  spent_.clear();
  total_ = 0;
  return true;
}

void budget_ledger::add(std::string_view gateway, double usd, time_point now) {
  roll(now);
  if (!std::isfinite(usd) || usd <= 0) {
    return;
  }
  auto it = spent_.find(gateway);
  if (it == spent_.end()) {
    it = spent_.emplace(std::string(gateway), 0.0).first;
  }
  it->second += usd;
  total_ += usd;
}

budget_ledger::pause budget_ledger::paused(std::string_view gateway) const {
  // Reached within a billionth of a dollar: sums of decimal prices are not exact in binary.
  constexpr double tolerance = 1e-9;
  if (global_limit_ && total_ + tolerance >= *global_limit_) {
    return pause::global;
  }
  const auto l = limit(gateway);
  return l && spent(gateway) + tolerance >= *l ? pause::gateway : pause::none;
}

double budget_ledger::spent(std::string_view gateway) const {
  const auto it = spent_.find(gateway);
  return it == spent_.end() ? 0.0 : it->second;
}

std::optional<double> budget_ledger::limit(std::string_view gateway) const {
  const auto it = limits_.find(gateway);
  return it == limits_.end() ? std::nullopt : std::optional<double>(it->second);
}

budget_ledger::time_point budget_ledger::resumes_at() const {
  return time_point(std::chrono::days(day_.value_or(0) + 1));
}

nlohmann::json budget_ledger::to_json() const {
  nlohmann::json spent = nlohmann::json::object();
  for (const auto& [gateway, usd] : spent_) {
    spent[gateway] = usd;
  }
  return {{"unix_day", day_.value_or(0)}, {"spent", std::move(spent)}};
}

bool budget_ledger::restore(const nlohmann::json& saved, time_point now) {
  if (!saved.is_object() || !saved.contains("unix_day") || !saved["unix_day"].is_number_integer() ||
      !saved.contains("spent") || !saved["spent"].is_object() ||
      saved["unix_day"].get<std::int64_t>() != day_of(now)) {
    return false;
  }
  day_ = day_of(now);
  spent_.clear();
  total_ = 0;
  for (const auto& [gateway, v] : saved["spent"].items()) {
    if (v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= 0) {
      spent_[gateway] = v.get<double>();
      total_ += v.get<double>();
    }
  }
  return true;
}

}  // namespace visionwatch
