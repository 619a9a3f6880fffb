#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "alerts/alert_config.hpp"
#include "daemon/config/config_fields.hpp"
#include "daemon/config/config_fields_support.hpp"

namespace visionwatch::config_fields {
namespace {

/// The keys of an alert rule; `threshold` is the kind's own field (null: the kind has none).
std::vector<field> rule_fields(std::optional<field> threshold, bool latency) {
  std::vector<field> out = {
      boolean("enabled",
              "false turns the rule off; a threshold turns latency and cost on unless enabled is "
              "given beside it."),
      integer("failure_threshold",
              1,
              1000,
              "Consecutive bad evaluations to fire. Default 2 (route_down 3, others 1)."),
      integer("success_threshold", 1, 1000, "Consecutive good evaluations to resolve. Default 2."),
  };
  if (threshold) {
    out.push_back(std::move(*threshold));
  }
  if (latency) {
    out.push_back(choice("metric",
                         {"total", "first_token"},
                         "What the p90 measures: the whole request (default) or the time to "
                         "first token of streamed probes."));
  }
  out.push_back(choice("severity", {"critical", "error", "warning", "info"}, "Alert severity."));
  out.push_back(
      text("description", "Alert text template: {route} {model} {gateway} {rule} {reason} {value}.")
          .or_null());
  out.push_back(
      list("receivers", "Receiver names this rule notifies; absent or [] means every receiver."));
  return out;
}

const table& plain_rule() {
  static const table t{"rule", "An alert rule without a threshold.", rule_fields({}, false)};
  return t;
}
const table& success_ratio_rule() {
  static const table t{
      "success_ratio_rule",
      "Fires when the success ratio over the window drops below threshold.",
      rule_fields(number("threshold", 0, 1, "0..1", "Lowest good success ratio. Default 0.8."),
                  false)};
  return t;
}
const table& latency_rule() {
  static const table t{
      "latency_rule",
      "Fires when the windowed p90 latency is above threshold; off until a threshold is set.",
      rule_fields(duration("threshold", "Highest good p90 latency."), true)};
  return t;
}
const table& cost_rule() {
  static const table t{
      "cost_rule",
      "Fires when the windowed USD per successful probe is above threshold; off until a "
      "threshold is set.",
      rule_fields(number("threshold", 0, 1e6, "0..1000000 USD", "Highest good USD per probe."),
                  false)};
  return t;
}

using table_function = const table& (*)();

/// Each rule kind's field table, indexed by the kind.
constexpr std::array<table_function, 5> rule_tables = {
    plain_rule, plain_rule, success_ratio_rule, latency_rule, cost_rule};
static_assert(static_cast<std::size_t>(alert_rule_kind::cost) + 1 == rule_tables.size());

table_function rule_table(alert_rule_kind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < rule_tables.size() ? rule_tables[i] : plain_rule;
}

std::string_view rule_summary(alert_rule_kind kind) {
  const auto* t = traits_of(kind);
  return t ? t->summary : "";
}

}  // namespace

const table& alerts() {
  static const table t{
      "alerts",
      "Alert rules and re-notification.",
      {
          duration("repeat_interval",
                   "Re-notify while an alert keeps firing (whole seconds). Default 4h."),
          map("rules", alert_rules, "Rules by name; keys merge with the inherited rule."),
      }};
  return t;
}

const table& alert_rules() {
  static const table t = [] {
    table out{"alert_rules", "Alert rules by name.", {}};
    for (const auto name : names_of<alert_rule_kind>()) {
      const auto kind = *alert_rule_kind_from_string(name);
      out.fields.push_back(map(name, rule_table(kind), std::string(rule_summary(kind))));
    }
    return out;
  }();
  return t;
}

const table& rule(alert_rule_kind kind) { return rule_table(kind)(); }

const table& receiver() {
  static const table t{
      "receiver",
      "Where alerts go.",
      joined({
          {
              text("name", "Unique receiver name.").matching(name_pattern).needed(),
              choice("type", names_of<receiver_kind>(), "Receiver type.").needed(),
              url("url",
                  "Target URL; required for webhook, slack and alertmanager (or url_env, "
                  "url_file, url_credential)."),
          },
          secret("url", "Target URL (a Slack webhook URL is a credential)"),
          secret("secret", "Webhook signing secret (whsec_...) or PagerDuty routing key"),
          {
              duration("timeout", "Per delivery attempt. Default 10s."),
              integer("max_attempts", 1, 1000, "Delivery attempts. Default 12."),
              duration("max_age",
                       "Drop undelivered notifications older than this (whole seconds). Default "
                       "24h."),
              duration("min_backoff", "First retry delay. Default 1s."),
              duration("max_backoff", "Longest retry delay. Default 5m."),
              integer("queue_size", 1, 1'000'000, "Pending notifications. Default 1000."),
              duration("resend_interval",
                       "alertmanager only: re-send firing alerts (whole seconds). Default 1m."),
              map("tls", receiver_tls, "TLS settings."),
          },
      })};
  return t;
}

const table& receiver_tls() {
  static const table t{"receiver_tls", "TLS settings of a receiver.", tls_fields(false)};
  return t;
}

const table& silence() {
  static const table t{
      "silence",
      "Mutes a route's alerts until a time.",
      {
          text("route", "Route name (matrix routes by their expanded name).").needed(),
          time("until", "RFC 3339 time, e.g. 2026-12-01T00:00:00Z.").needed(),
          text("comment", "Shown on the status page.").or_null(),
      }};
  return t;
}

}  // namespace visionwatch::config_fields
