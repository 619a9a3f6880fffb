#include "alerts/alert_config.hpp"

#include <array>

namespace visionwatch {
namespace {
constexpr std::array<std::string_view, 5> rule_names = {
    "silent_failure", "route_down", "success_ratio", "latency", "cost"};
constexpr std::array<std::string_view, 4> receiver_names = {
    "webhook", "slack", "pagerduty", "alertmanager"};
template <typename E, std::size_t N>
std::optional<E> lookup(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) {
      return static_cast<E>(i);
    }
  }
  return std::nullopt;
}
}  // namespace

std::string_view to_string(alert_rule_kind k) noexcept {
  return rule_names[static_cast<std::size_t>(k)];
}
std::optional<alert_rule_kind> alert_rule_kind_from_string(std::string_view s) noexcept {
  return lookup<alert_rule_kind>(rule_names, s);
}
std::string_view to_string(receiver_kind k) noexcept {
  return receiver_names[static_cast<std::size_t>(k)];
}
std::optional<receiver_kind> receiver_kind_from_string(std::string_view s) noexcept {
  return lookup<receiver_kind>(receiver_names, s);
}

}  // namespace visionwatch
