#include "alerts/alert_config.hpp"

#include <array>

#include "probes/enum_table.hpp"

namespace visionwatch {
namespace {
constexpr std::array<std::string_view, 5> rule_names = {
    "silent_failure", "route_down", "success_ratio", "latency", "cost"};
constexpr std::array<std::string_view, 4> receiver_names = {
    "webhook", "slack", "pagerduty", "alertmanager"};
static_assert(static_cast<std::size_t>(alert_rule_kind::cost) + 1 == rule_names.size());
static_assert(static_cast<std::size_t>(receiver_kind::alertmanager) + 1 == receiver_names.size());
}  // namespace

alert_rule_config default_rule_config(alert_rule_kind kind) {
  alert_rule_config c;
  c.kind = kind;
  switch (kind) {
    case alert_rule_kind::silent_failure:
      c.failure_threshold = 2;
      c.success_threshold = 2;
      break;
    case alert_rule_kind::route_down:
      c.failure_threshold = 3;
      c.success_threshold = 2;
      break;
    case alert_rule_kind::success_ratio:
      c.failure_threshold = 3;
      c.success_threshold = 3;
      c.threshold = 0.9;
      c.severity = "warning";
      break;
    case alert_rule_kind::latency:
      c.failure_threshold = 3;
      c.success_threshold = 3;
      c.threshold = 20;  // seconds, windowed p90
      c.severity = "warning";
      break;
    case alert_rule_kind::cost:
      c.failure_threshold = 3;
      c.success_threshold = 3;
      c.threshold = 0.05;  // USD per successful probe
      c.severity = "warning";
      break;
  }
  return c;
}

std::string_view to_string(alert_rule_kind k) noexcept {
  return enum_name(rule_names, k);
}
std::optional<alert_rule_kind> alert_rule_kind_from_string(std::string_view s) noexcept {
  return enum_from_name<alert_rule_kind>(rule_names, s);
}
std::string_view to_string(receiver_kind k) noexcept {
  return enum_name(receiver_names, k);
}
std::optional<receiver_kind> receiver_kind_from_string(std::string_view s) noexcept {
  return enum_from_name<receiver_kind>(receiver_names, s);
}

}  // namespace visionwatch
