#include "alerts/alert_config.hpp"

#include <array>

#include "probes/enum_table.hpp"

namespace visionwatch {
namespace {
constexpr std::array<alert_rule_traits, 5> rule_table = {{
    {"silent_failure",
     "Consecutive silent failures (HTTP 2xx, but wrong). On by default.",
     "{route} ({model} via {gateway}) answers but does not see the image: {reason}",
     {2, 2, 0, "critical"}},
    {"route_down",
     "Consecutive failures of any kind. On by default.",
     "{route} ({model} via {gateway}) is down: {reason}",
     {3, 2, 0, "critical"}},
    {"success_ratio",
     "Success ratio over the window below threshold. On by default.",
     "{route} ({model} via {gateway}): {reason}",
     {3, 3, 0.9, "warning"}},
    {"latency",
     "Windowed p90 latency above threshold; off until a threshold is set.",
     "{route} ({model} via {gateway}) is slow: {reason}",
     {3, 3, 20, "warning"}},  // seconds, windowed p90
    {"cost",
     "Windowed USD per successful probe above threshold; off until a threshold is set.",
     "{route} ({model} via {gateway}) costs too much: {reason}",
     {3, 3, 0.05, "warning"}},  // USD per successful probe
}};
static_assert(static_cast<std::size_t>(alert_rule_kind::cost) + 1 == rule_table.size());

constexpr std::array<std::string_view, rule_table.size()> rule_names = [] {
  std::array<std::string_view, rule_table.size()> out{};
  for (std::size_t i = 0; i < rule_table.size(); ++i) {
    out[i] = rule_table[i].name;
  }
  return out;
}();
constexpr std::array<std::string_view, 4> receiver_names = {
    "webhook", "slack", "pagerduty", "alertmanager"};
static_assert(static_cast<std::size_t>(receiver_kind::alertmanager) + 1 == receiver_names.size());
}  // namespace

const alert_rule_traits* traits_of(alert_rule_kind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < rule_table.size() ? &rule_table[i] : nullptr;
}

alert_rule_config default_rule_config(alert_rule_kind kind) {
  alert_rule_config c;
  c.kind = kind;
  if (const auto* t = traits_of(kind)) {
    c.failure_threshold = t->defaults.failure_threshold;
    c.success_threshold = t->defaults.success_threshold;
    c.threshold = t->defaults.threshold;
    c.severity = t->defaults.severity;
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
