#include "daemon/config/config_alerts.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace visionwatch::config_reading {
namespace {

void parse_rule(config_document& doc,
                const YAML::Node& n,
                const std::string& path,
                alert_rule_config& r) {
  auto& reader = doc.reader;
  map_reader m(reader, n, path, config_fields::rule(r.kind));
  if (!m.ok()) {
    return;
  }
  m.read_integer("failure_threshold", r.failure_threshold);
  m.read_integer("success_threshold", r.success_threshold);
  if (const auto s = m.choice("metric", "a latency metric")) {
    r.metric = *s == "first_token" ? latency_metric::first_token : latency_metric::total;
  }
  if (const auto* v = m.get("threshold")) {
    // The kind's table says the unit: a duration for latency, a number (ratio, USD) otherwise.
    std::optional<double> t;
    if (r.kind == alert_rule_kind::latency) {
      if (auto d = reader.duration(*v, m.at("threshold"))) {
        t = static_cast<double>(d->count()) / 1000.0;
      }
    } else {
      t = m.number("threshold");
    }
    if (t) {
      r.threshold = *t;
      // latency and cost are off until given a threshold; giving one turns them on.
      if (!m.has("enabled")) {
        r.enabled = true;
      }
    }
  }
  if (const auto* v = m.get("enabled")) {
    if (auto b = reader.boolean(*v, m.at("enabled"))) {
      r.enabled = *b;
    }
  }
  if (r.enabled && (r.kind == alert_rule_kind::latency || r.kind == alert_rule_kind::cost) &&
      r.threshold <= 0 && !m.has("threshold")) {
    reader.fail(m.line(), path, std::string(to_string(r.kind)) + " needs a threshold");
  }
  if (const auto s = m.choice("severity", "a severity")) {
    r.severity = *s;
  }
  if (const auto* v = m.get("description")) {
    if (auto s = reader.string(*v, m.at("description"), false)) {
      if (auto bad =
              unknown_placeholder(*s, {"route", "model", "gateway", "rule", "reason", "value"})) {
        reader.fail(*v,
                    m.at("description"),
                    "unknown placeholder {" + *bad +
                        "} (use {route}, {model}, {gateway}, {rule}, {reason}, {value})");
      } else {
        r.description = *s;
      }
    }
  }
  if (const auto* v = m.get("receivers")) {
    auto list = reader.items(*v, m.at("receivers"));
    if (list) {
      r.receivers.clear();
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string p = index(m.at("receivers"), i);
        if (auto s = reader.string((*list)[i], p, true)) {
          r.receivers.push_back(*s);
          doc.receiver_refs.push_back(reference{*s, (*list)[i].Scalar(), p, line_of((*list)[i])});
        }
      }
    }
  }
}

}  // namespace

void parse_alerts(config_document& doc,
                  const YAML::Node& n,
                  const std::string& path,
                  alert_rules_config& a) {
  auto& reader = doc.reader;
  map_reader m(reader, n, path, config_fields::alerts());
  if (!m.ok()) {
    return;
  }
  m.read_whole_seconds("repeat_interval", a.repeat_interval);
  const auto* rules = m.get("rules");
  if (rules == nullptr) {
    return;
  }
  const std::string rules_path = m.at("rules");
  auto entries = reader.entries(*rules, rules_path);
  if (!entries) {
    return;
  }
  for (const auto& e : *entries) {
    const auto kind = alert_rule_kind_from_string(e.key);
    if (!kind) {
      reader.fail(e.key_node,
                  child(rules_path, e.key),
                  "unknown alert rule (use silent_failure, route_down, success_ratio, latency, "
                  "cost)");
      continue;
    }
    auto it = std::find_if(a.rules.begin(), a.rules.end(), [&](const alert_rule_config& r) {
      return r.kind == *kind;
    });
    if (it == a.rules.end()) {
      alert_rule_config r;
      r.kind = *kind;
      a.rules.push_back(r);
      it = std::prev(a.rules.end());
    }
    parse_rule(doc, e.value, child(rules_path, e.key), *it);
  }
}

void parse_silences(config_document& doc, const YAML::Node& n) {
  auto& reader = doc.reader;
  auto list = reader.items(n, "silences");
  if (!list) {
    return;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = index("silences", i);
    map_reader m(reader, (*list)[i], path, config_fields::silence());
    if (!m.ok()) {
      continue;
    }
    silence_config s;
    const auto* route = m.required("route");
    const auto name = route ? reader.string(*route, m.at("route"), true) : std::nullopt;
    if (name) {
      s.route = *name;
      if (doc.route_names.count(*name) == 0) {
        reader.fail(*route, m.at("route"), "unknown route " + quote(route->Scalar()));
      }
    }
    const auto* until = m.required("until");
    const auto written = until ? reader.scalar(*until, m.at("until"), "a time") : std::nullopt;
    const auto time = written ? parse_rfc3339(written->value) : std::nullopt;
    if (written && !time) {
      reader.fail(*until,
                  m.at("until"),
                  quote(written->shown) + " is not an RFC 3339 time (e.g. 2026-12-01T00:00:00Z)");
    }
    if (time) {
      s.until = *time;
    }
    if (const auto* v = m.get("comment")) {
      if (auto c = reader.string(*v, m.at("comment"), false)) {
        s.comment = *c;
      }
    }
    if (name && time) {
      doc.cfg.silences.push_back(std::move(s));
    }
  }
}

}  // namespace visionwatch::config_reading
