#include "alerts/rule_engine.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

#include "probes/enum_table.hpp"

namespace visionwatch {
namespace {

constexpr std::array<std::string_view, 3> state_names = {"inactive", "firing", "resolved"};
static_assert(static_cast<std::size_t>(alert_state::resolved) + 1 == state_names.size());

enum class judgement : std::uint8_t {
  bad,           ///< counts toward firing, breaks a good streak
  good,          ///< counts toward resolving, breaks a bad streak
  break_streak,  ///< neither: breaks both streaks (a timeout during a silent_failure streak)
};

struct rule_verdict {
  judgement j = judgement::good;
  double value = 0;
  std::string reason;
};

std::string number(double v) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.4g", v);
  return buf.data();
}

std::string probe_reason(const probe_result& r) {
  std::string s(to_string(r.result));
  if (!r.reason.empty()) {
    s += ": ";
    s += r.reason;
  }
  return s;
}

bool consecutive_rule(alert_rule_kind k) noexcept {
  return k == alert_rule_kind::silent_failure || k == alert_rule_kind::route_down;
}

// nullopt: nothing to evaluate (window too small, figure unknown).
std::optional<rule_verdict> judge(const alert_rule_config& c,
                                  const probe_result& r,
                                  const window_figures& f) {
  const auto over = " over " + std::to_string(f.probes) + " probes";
  const bool enough = f.probes >= static_cast<std::size_t>(std::max(c.min_samples, 0));
  switch (c.kind) {
    case alert_rule_kind::silent_failure:
      if (r.silent()) {
        return rule_verdict{judgement::bad, 0, probe_reason(r)};
      }
      if (r.success()) {
        return rule_verdict{judgement::good, 0, "probe succeeded"};
      }
      // A transport or HTTP failure is not a silent failure, nor proof the route works.
      return rule_verdict{judgement::break_streak, 0, probe_reason(r)};
    case alert_rule_kind::route_down:
      if (r.success()) {
        return rule_verdict{judgement::good, 0, "probe succeeded"};
      }
      return rule_verdict{judgement::bad, 0, probe_reason(r)};
    case alert_rule_kind::success_ratio:
      if (!enough || !f.success_ratio) {
        return std::nullopt;
      }
      if (*f.success_ratio < c.threshold) {
        return rule_verdict{
            judgement::bad,
            *f.success_ratio,
            "success ratio " + number(*f.success_ratio) + " below " + number(c.threshold) + over};
      }
      return rule_verdict{judgement::good,
                          *f.success_ratio,
                          "success ratio " + number(*f.success_ratio) + " at or above " +
                              number(c.threshold) + over};
    case alert_rule_kind::latency:
      if (!enough || !f.latency_p90) {
        return std::nullopt;
      }
      if (*f.latency_p90 > c.threshold) {
        return rule_verdict{judgement::bad,
                            *f.latency_p90,
                            "p90 latency " + number(*f.latency_p90) + "s above " +
                                number(c.threshold) + "s" + over};
      }
      return rule_verdict{judgement::good,
                          *f.latency_p90,
                          "p90 latency " + number(*f.latency_p90) + "s at or below " +
                              number(c.threshold) + "s" + over};
    case alert_rule_kind::cost:
      if (!enough || !f.cost_per_success_usd) {
        return std::nullopt;
      }
      if (*f.cost_per_success_usd > c.threshold) {
        return rule_verdict{judgement::bad,
                            *f.cost_per_success_usd,
                            "cost per success $" + number(*f.cost_per_success_usd) + " above $" +
                                number(c.threshold) + over};
      }
      return rule_verdict{judgement::good,
                          *f.cost_per_success_usd,
                          "cost per success $" + number(*f.cost_per_success_usd) +
                              " at or below $" + number(c.threshold) + over};
  }
  return std::nullopt;
}

std::string default_template(alert_rule_kind k) {
  switch (k) {
    case alert_rule_kind::silent_failure:
      return "{route} ({model} via {gateway}) answers but does not see the image: {reason}";
    case alert_rule_kind::route_down:
      return "{route} ({model} via {gateway}) is down: {reason}";
    case alert_rule_kind::success_ratio:
      return "{route} ({model} via {gateway}): {reason}";
    case alert_rule_kind::latency:
      return "{route} ({model} via {gateway}) is slow: {reason}";
    case alert_rule_kind::cost:
      return "{route} ({model} via {gateway}) costs too much: {reason}";
  }
  return "{route}: {rule}: {reason}";
}

probe_snapshot snapshot_of(const probe_result& r) {
  probe_snapshot p;
  p.result = r.result;
  p.reason = r.reason;
  p.http_status = r.http_status;
  p.reply_excerpt = truncate_utf8(r.answer_excerpt, notification_excerpt_limit);
  p.latency_seconds = r.latency_seconds;
  p.tokens = r.tokens;
  p.seed = r.seed;
  p.sequence = r.sequence;
  p.started_at = r.started_at;
  return p;
}

}  // namespace

std::string_view to_string(alert_state s) noexcept {
  return enum_name(state_names, s);
}

std::string render_template(std::string_view tmpl, const notification& note) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  std::size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      const auto close = tmpl.find('}', i);
      if (close != std::string_view::npos) {
        const auto key = tmpl.substr(i + 1, close - i - 1);
        std::optional<std::string> value;
        if (key == "route") {
          value = note.route;
        } else if (key == "model") {
          value = note.model;
        } else if (key == "gateway") {
          value = note.gateway;
        } else if (key == "rule") {
          value = std::string(to_string(note.rule));
        } else if (key == "reason") {
          value = note.reason;
        } else if (key == "value") {
          value = number(note.value);
        } else if (key == "threshold") {
          value = number(note.threshold);
        } else if (key == "severity") {
          value = note.severity;
        }
        if (value) {
          out += *value;
          i = close + 1;
          continue;
        }
      }
    }
    out += tmpl[i];
    ++i;
  }
  return out;
}

rule_engine::rule_engine(route_identity identity, alert_rules_config rules)
    : identity_(std::move(identity)), rules_(std::move(rules)), slots_(make_slots(rules_)) {}

std::vector<rule_engine::slot> rule_engine::make_slots(const alert_rules_config& rules) {
  std::vector<slot> slots;
  for (const auto& c : rules.rules) {
    if (!c.enabled) {
      continue;
    }
    // One rule per kind: a later duplicate replaces an earlier one (config validation rejects
    // duplicates; this keeps the engine well-defined regardless).
    auto same = std::find_if(
        slots.begin(), slots.end(), [&](const slot& s) { return s.config.kind == c.kind; });
    slot s{c, rule_status{}};
    s.status.kind = c.kind;
    if (same != slots.end()) {
      *same = std::move(s);
    } else {
      slots.push_back(std::move(s));
    }
  }
  return slots;
}

notification rule_engine::make_note(const slot& s, notification_kind kind) const {
  notification n;
  n.kind = kind;
  n.route = identity_.route;
  n.model = identity_.model;
  n.gateway = identity_.gateway;
  n.rule = s.config.kind;
  n.severity = s.config.severity;
  n.reason = s.status.reason;
  n.value = s.status.value;
  n.threshold = consecutive_rule(s.config.kind) ? s.config.failure_threshold : s.config.threshold;
  n.last_failure = last_failure_;
  n.starts_at = s.status.starts_at;
  n.ends_at = s.status.ends_at;
  n.status_url = identity_.status_url;
  n.fingerprint = s.status.fingerprint;
  n.receivers = s.config.receivers;
  n.summary = render_template(
      s.config.description.empty() ? default_template(s.config.kind) : s.config.description, n);
  return n;
}

std::vector<alert_event> rule_engine::evaluate(const probe_result& result,
                                               const window_figures& figures,
                                               wall_time now,
                                               bool silenced) {
  std::vector<alert_event> events;
  if (result.control) {
    return events;
  }
  if (!result.success()) {
    last_failure_ = snapshot_of(result);
  }
  for (auto& s : slots_) {
    auto e = evaluate_slot(s, result, figures, now, silenced);
    events.insert(
        events.end(), std::make_move_iterator(e.begin()), std::make_move_iterator(e.end()));
  }
  return events;
}

std::vector<alert_event> rule_engine::evaluate_slot(slot& s,
                                                    const probe_result& result,
                                                    const window_figures& figures,
                                                    wall_time now,
                                                    bool silenced) {
  std::vector<alert_event> events;
  auto& st = s.status;
  if (st.state == alert_state::resolved) {
    st.state = alert_state::inactive;
  }
  const auto v = judge(s.config, result, figures);
  const bool consecutive = consecutive_rule(s.config.kind);
  if (v) {
    switch (v->j) {
      case judgement::bad:
        ++st.bad_streak;
        st.good_streak = 0;
        if (st.state == alert_state::firing || st.bad_streak >= s.config.failure_threshold) {
          st.value = consecutive ? st.bad_streak : v->value;
          st.reason = consecutive ? std::to_string(st.bad_streak) + " consecutive " +
                                        (s.config.kind == alert_rule_kind::silent_failure
                                             ? "silent failures"
                                             : "failed probes") +
                                        ", last: " + v->reason
                                  : v->reason;
        }
        if (st.state == alert_state::inactive && st.bad_streak >= s.config.failure_threshold) {
          st.state = alert_state::firing;
          st.starts_at = now;
          st.ends_at.reset();
          st.fingerprint = make_fingerprint(identity_.route, s.config.kind, now);
          st.notified = !silenced;
          if (st.notified) {
            st.last_notified_at = now;
          }
          events.push_back({make_note(s, notification_kind::firing), silenced});
          return events;
        }
        break;
      case judgement::good:
        st.bad_streak = 0;
        if (st.state == alert_state::firing) {
          ++st.good_streak;
          if (st.good_streak >= s.config.success_threshold) {
            st.state = alert_state::resolved;
            st.ends_at = now;
            st.value = consecutive ? st.good_streak : v->value;
            st.reason = consecutive
                            ? std::to_string(st.good_streak) + " consecutive successful probes"
                            : v->reason;
            // A firing nobody was told about needs no resolve; one that was announced is
            // always resolved, silence or not, so no incident stays open downstream.
            events.push_back({make_note(s, notification_kind::resolved), !st.notified});
            st.good_streak = 0;
            st.notified = false;
            return events;
          }
        }
        break;
      case judgement::break_streak:
        st.bad_streak = 0;
        st.good_streak = 0;
        break;
    }
  }
  if (st.state != alert_state::firing || silenced) {
    return events;
  }
  if (!st.notified) {
    // The silence ended while the rule was still firing: announce it now.
    st.notified = true;
    st.last_notified_at = now;
    events.push_back({make_note(s, notification_kind::firing), false});
  } else if (rules_.repeat_interval.count() > 0 &&
             now - st.last_notified_at >= rules_.repeat_interval) {
    st.last_notified_at = now;
    events.push_back({make_note(s, notification_kind::reminder), false});
  }
  return events;
}

std::vector<alert_event> rule_engine::reconfigure(route_identity identity,
                                                  alert_rules_config rules,
                                                  wall_time now) {
  std::vector<alert_event> events;
  auto fresh = make_slots(rules);
  for (auto& old : slots_) {
    auto match = std::find_if(fresh.begin(), fresh.end(), [&](const slot& s) {
      return s.config.kind == old.config.kind;
    });
    if (match != fresh.end() && match->config == old.config) {
      match->status = old.status;
      continue;
    }
    if (old.status.state == alert_state::firing && old.status.notified) {
      old.status.state = alert_state::resolved;
      old.status.ends_at = now;
      old.status.reason = match == fresh.end()
                              ? "rule removed or disabled by a configuration reload"
                              : "rule changed by a configuration reload";
      events.push_back({make_note(old, notification_kind::resolved), false});
    }
  }
  identity_ = std::move(identity);
  rules_ = std::move(rules);
  slots_ = std::move(fresh);
  return events;
}

std::vector<notification> rule_engine::firing_notifications() const {
  std::vector<notification> out;
  for (const auto& s : slots_) {
    if (s.status.state == alert_state::firing && s.status.notified) {
      out.push_back(make_note(s, notification_kind::firing));
    }
  }
  return out;
}

std::vector<rule_status> rule_engine::statuses() const {
  std::vector<rule_status> out;
  out.reserve(slots_.size());
  for (const auto& s : slots_) {
    out.push_back(s.status);
  }
  return out;
}

bool rule_engine::is_at_rest(const rule_status& st) noexcept {
  return st.state == alert_state::inactive && st.bad_streak == 0 && st.good_streak == 0 &&
         !st.ends_at && !st.notified && st.last_notified_at == wall_time{};
}

bool rule_engine::at_rest() const noexcept {
  return !last_failure_ && std::all_of(slots_.begin(), slots_.end(), [](const slot& s) {
    return is_at_rest(s.status);
  });
}

nlohmann::json rule_engine::to_json() const {
  auto rules = nlohmann::json::array();
  for (const auto& s : slots_) {
    const auto& st = s.status;
    if (is_at_rest(st)) {
      continue;  // restore() starts a rule absent from the file in exactly this state
    }
    nlohmann::json r = {{"rule", to_string(st.kind)},
                        {"state", to_string(st.state)},
                        {"bad_streak", st.bad_streak},
                        {"good_streak", st.good_streak},
                        {"starts_at_ms", to_epoch_ms(st.starts_at)},
                        {"last_notified_at_ms", to_epoch_ms(st.last_notified_at)},
                        {"notified", st.notified},
                        {"fingerprint", st.fingerprint},
                        {"value", st.value},
                        {"reason", st.reason}};
    if (st.ends_at) {
      r["ends_at_ms"] = to_epoch_ms(*st.ends_at);
    }
    rules.push_back(std::move(r));
  }
  nlohmann::json j = {{"route", identity_.route}, {"rules", std::move(rules)}};
  if (last_failure_) {
    j["last_failure"] = *last_failure_;
  }
  return j;
}

std::string rule_engine::restore(const nlohmann::json& state) {
  auto restored = make_slots(rules_);
  std::optional<probe_snapshot> last_failure;
  try {
    for (const auto& r : state.at("rules")) {
      const auto kind = alert_rule_kind_from_string(r.at("rule").get<std::string>());
      if (!kind) {
        throw std::invalid_argument("unknown rule '" + r.at("rule").get<std::string>() + "'");
      }
      auto it = std::find_if(
          restored.begin(), restored.end(), [&](const slot& s) { return s.config.kind == *kind; });
      if (it == restored.end()) {
        continue;  // no longer configured
      }
      rule_status st;
      st.kind = *kind;
      const auto state_name = r.at("state").get<std::string>();
      auto sn = std::find(state_names.begin(), state_names.end(), state_name);
      if (sn == state_names.end()) {
        throw std::invalid_argument("unknown alert state '" + state_name + "'");
      }
      st.state = static_cast<alert_state>(sn - state_names.begin());
      st.bad_streak = r.at("bad_streak").get<int>();
      st.good_streak = r.at("good_streak").get<int>();
      st.starts_at = from_epoch_ms(r.at("starts_at_ms").get<std::int64_t>());
      st.last_notified_at = from_epoch_ms(r.at("last_notified_at_ms").get<std::int64_t>());
      st.notified = r.at("notified").get<bool>();
      st.fingerprint = r.at("fingerprint").get<std::string>();
      st.value = r.at("value").get<double>();
      st.reason = r.at("reason").get<std::string>();
      if (auto e = r.find("ends_at_ms"); e != r.end()) {
        st.ends_at = from_epoch_ms(e->get<std::int64_t>());
      }
      it->status = std::move(st);
    }
    if (auto lf = state.find("last_failure"); lf != state.end()) {
      last_failure = lf->get<probe_snapshot>();
    }
  } catch (const std::exception& e) {
    slots_ = make_slots(rules_);
    last_failure_.reset();
    return "alert state of route '" + identity_.route + "': " + e.what();
  }
  slots_ = std::move(restored);
  last_failure_ = std::move(last_failure);
  return {};
}

}  // namespace visionwatch
