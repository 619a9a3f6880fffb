#include "daemon/config/config_alerts.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace visionwatch::config_reading {
namespace {

/// Which rule may carry `threshold`, and in which unit.
bool rule_has_threshold(alert_rule_kind k) {
  return k == alert_rule_kind::success_ratio || k == alert_rule_kind::latency ||
         k == alert_rule_kind::cost;
}

void parse_rule(config_document& doc,
                const YAML::Node& n,
                const std::string& path,
                alert_rule_config& r) {
  auto& reader = doc.reader;
  const bool thresholded = rule_has_threshold(r.kind);
  const bool latency = r.kind == alert_rule_kind::latency;
  map_reader m = latency       ? map_reader(reader,
                                      n,
                                      path,
                                      {"enabled",
                                       "failure_threshold",
                                       "success_threshold",
                                       "threshold",
                                       "metric",
                                       "severity",
                                       "description",
                                       "receivers"})
                 : thresholded ? map_reader(reader,
                                          n,
                                          path,
                                          {"enabled",
                                           "failure_threshold",
                                           "success_threshold",
                                           "threshold",
                                           "severity",
                                           "description",
                                           "receivers"})
                             : map_reader(reader,
                                          n,
                                          path,
                                          {"enabled",
                                           "failure_threshold",
                                           "success_threshold",
                                           "severity",
                                           "description",
                                           "receivers"});
  if (!m.ok()) {
    return;
  }
  for (const char* key : {"failure_threshold", "success_threshold"}) {
    if (const auto* v = m.get(key)) {
      if (auto i = reader.integer(*v, m.at(key), 1, 1000)) {
        (std::string_view(key) == "failure_threshold" ? r.failure_threshold : r.success_threshold) =
            static_cast<int>(*i);
      }
    }
  }
  if (const auto* v = m.get("metric")) {
    if (auto s = reader.scalar(*v, m.at("metric"), "a latency metric")) {
      if (s->value == "total") {
        r.metric = latency_metric::total;
      } else if (s->value == "first_token") {
        r.metric = latency_metric::first_token;
      } else {
        reader.fail(*v,
                    m.at("metric"),
                    quote(s->shown) + " is not a latency metric (use total, first_token)");
      }
    }
  }
  if (const auto* v = m.get("threshold")) {
    std::optional<double> t;
    if (r.kind == alert_rule_kind::success_ratio) {
      t = reader.number(*v, m.at("threshold"), 0, 1, "0..1");
    } else if (r.kind == alert_rule_kind::latency) {
      if (auto d = reader.duration(*v, m.at("threshold"))) {
        t = static_cast<double>(d->count()) / 1000.0;
      }
    } else {
      t = reader.number(*v, m.at("threshold"), 0, 1e6, "0..1000000 USD");
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
  if (const auto* v = m.get("severity")) {
    if (auto s = reader.scalar(*v, m.at("severity"), "a severity")) {
      if (s->value == "critical" || s->value == "error" || s->value == "warning" ||
          s->value == "info") {
        r.severity = s->value;
      } else {
        reader.fail(*v,
                    m.at("severity"),
                    quote(s->shown) + " is not a severity (use critical, error, warning, info)");
      }
    }
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
  map_reader m(reader, n, path, {"repeat_interval", "rules"});
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
    map_reader m(reader, (*list)[i], path, {"route", "until", "comment"});
    if (!m.ok()) {
      continue;
    }
    silence_config s;
    bool ok = true;
    if (const auto* v = m.get("route")) {
      if (auto r = reader.string(*v, m.at("route"), true)) {
        s.route = *r;
        if (doc.route_names.count(*r) == 0) {
          reader.fail(*v, m.at("route"), "unknown route " + quote(v->Scalar()));
        }
      } else {
        ok = false;
      }
    } else {
      reader.fail(m.line(), path, "missing required key \"route\"");
      ok = false;
    }
    if (const auto* v = m.get("until")) {
      if (auto t = reader.scalar(*v, m.at("until"), "a time")) {
        if (auto tp = parse_rfc3339(t->value)) {
          s.until = *tp;
        } else {
          reader.fail(*v,
                      m.at("until"),
                      quote(t->shown) + " is not an RFC 3339 time (e.g. 2026-12-01T00:00:00Z)");
          ok = false;
        }
      } else {
        ok = false;
      }
    } else {
      reader.fail(m.line(), path, "missing required key \"until\"");
      ok = false;
    }
    if (const auto* v = m.get("comment")) {
      if (auto c = reader.string(*v, m.at("comment"), false)) {
        s.comment = *c;
      }
    }
    if (ok) {
      doc.cfg.silences.push_back(std::move(s));
    }
  }
}

}  // namespace visionwatch::config_reading
