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
    case alert_rule_kind::latency: {
      const bool ttft = c.metric == latency_metric::first_token;
      const auto& p90 = ttft ? f.first_token_p90 : f.latency_p90;
      if (!enough || !p90) {
        return std::nullopt;
      }
      const std::string what = ttft ? "p90 time to first token " : "p90 latency ";
      if (*p90 > c.threshold) {
        return rule_verdict{judgement::bad,
                            *p90,
                            what + number(*p90) + "s above " + number(c.threshold) + "s" + over};
      }
      return rule_verdict{
          judgement::good,
          *p90,
          what + number(*p90) + "s at or below " + number(c.threshold) + "s" + over};
    }
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
  const auto* t = traits_of(k);
  return std::string(t ? t->default_template : "{route}: {rule}: {reason}");
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

// What decides the state: a change here restarts the rule. Description, severity and receivers
// only change how the alert is presented, so editing them keeps the incident open.
bool same_evaluation(const alert_rule_config& a, const alert_rule_config& b) noexcept {
  return a.kind == b.kind && a.enabled == b.enabled && a.failure_threshold == b.failure_threshold &&
         a.success_threshold == b.success_threshold && a.threshold == b.threshold &&
         a.min_samples == b.min_samples;
}

std::vector<std::string> minus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) == b.end()) {
      out.push_back(x);
    }
  }
  return out;
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
    : rule_engine(std::move(identity),
                  std::make_shared<const alert_rules_config>(std::move(rules))) {}

rule_engine::rule_engine(route_identity identity, std::shared_ptr<const alert_rules_config> rules)
    : identity_(std::move(identity)), rules_(std::move(rules)), slots_(make_slots(*rules_)) {}

std::vector<rule_engine::slot> rule_engine::make_slots(const alert_rules_config& rules) {
  std::vector<slot> slots;
  // Exact capacity: push_back's doubling left 4 slots for the 3 default rules, 168 bytes a
  // route for nothing (1.7 MB at 10,000 routes; the engine keeps its slots for its lifetime).
  slots.reserve(static_cast<std::size_t>(std::count_if(
      rules.rules.begin(), rules.rules.end(), [](const auto& c) { return c.enabled; })));
  for (const auto& c : rules.rules) {
    if (!c.enabled) {
      continue;
    }
    // One rule per kind: a later duplicate replaces an earlier one (config validation rejects
    // duplicates; this keeps the engine well-defined regardless).
    auto same = std::find_if(
        slots.begin(), slots.end(), [&](const slot& s) { return s.config->kind == c.kind; });
    slot s{&c, rule_status{}};
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
  n.rule = s.config->kind;
  n.severity = s.config->severity;
  n.reason = s.status.reason;
  n.value = s.status.value;
  n.threshold = consecutive_rule(s.config->kind) ? s.config->failure_threshold : s.config->threshold;
  n.last_failure = last_failure_;
  n.starts_at = s.status.starts_at;
  n.ends_at = s.status.ends_at;
  n.status_url = identity_.status_url;
  n.fingerprint = s.status.fingerprint;
  n.receivers = s.config->receivers;
  n.summary = render_template(
      s.config->description.empty() ? default_template(s.config->kind) : s.config->description, n);
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
  const auto v = judge(*s.config, result, figures);
  const bool consecutive = consecutive_rule(s.config->kind);
  // silent_failure counts each shape's streak on its own: the rule fires when any one shape has
  // failure_threshold silent failures in a row, and resolves once no shape has a streak left.
  const bool per_shape = s.config->kind == alert_rule_kind::silent_failure;
  int longest = 0;
  if (v && per_shape) {
    const auto i = static_cast<std::size_t>(result.shape);
    if (i < st.shape_streaks.size()) {
      st.shape_streaks[i] = v->j == judgement::bad ? st.shape_streaks[i] + 1 : 0;
    }
    longest = *std::max_element(st.shape_streaks.begin(), st.shape_streaks.end());
  }
  const std::string shape_words = per_shape && result.shape != probe_shape::plain
                                      ? " with " + std::string(to_string(result.shape))
                                      : std::string();
  if (v) {
    switch (v->j) {
      case judgement::bad:
        st.bad_streak = per_shape ? longest : st.bad_streak + 1;
        st.good_streak = 0;
        if (st.state == alert_state::firing || st.bad_streak >= s.config->failure_threshold) {
          st.value = consecutive ? st.bad_streak : v->value;
          st.reason = consecutive ? std::to_string(st.bad_streak) + " consecutive " +
                                        (s.config->kind == alert_rule_kind::silent_failure
                                             ? "silent failures"
                                             : "failed probes") +
                                        shape_words + ", last: " + v->reason
                                  : v->reason;
        }
        if (st.state == alert_state::inactive && st.bad_streak >= s.config->failure_threshold) {
          st.state = alert_state::firing;
          st.starts_at = now;
          st.ends_at.reset();
          st.fingerprint =
              make_fingerprint(identity_.route, s.config->kind, identity_.external_labels);
          st.notified = !silenced;
          if (st.notified) {
            st.last_notified_at = now;
          }
          events.push_back({make_note(s, notification_kind::firing), silenced});
          return events;
        }
        break;
      case judgement::good:
        st.bad_streak = per_shape ? longest : 0;
        if (st.state == alert_state::firing && st.bad_streak > 0) {
          st.good_streak = 0;  // another shape still fails
        } else if (st.state == alert_state::firing) {
          ++st.good_streak;
          if (st.good_streak >= s.config->success_threshold) {
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
        st.bad_streak = per_shape ? longest : 0;
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
  } else if (rules_->repeat_interval.count() > 0 &&
             now - st.last_notified_at >= rules_->repeat_interval) {
    st.last_notified_at = now;
    events.push_back({make_note(s, notification_kind::reminder), false});
  }
  return events;
}

std::vector<alert_event> rule_engine::reconfigure(route_identity identity,
                                                  alert_rules_config rules,
                                                  wall_time now) {
  return reconfigure(
      std::move(identity), std::make_shared<const alert_rules_config>(std::move(rules)), now);
}

std::vector<alert_event> rule_engine::reconfigure(route_identity identity,
                                                  std::shared_ptr<const alert_rules_config> rules,
                                                  wall_time now) {
  std::vector<alert_event> events;
  auto fresh = make_slots(*rules);
  for (auto& old : slots_) {
    auto match = std::find_if(fresh.begin(), fresh.end(), [&](const slot& s) {
      return s.config->kind == old.config->kind;
    });
    if (match != fresh.end() && same_evaluation(*match->config, *old.config)) {
      match->status = old.status;
      if (old.status.state == alert_state::firing && old.status.notified) {
        receivers_changed(old, *match, now, events);
      }
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

void rule_engine::keep_shapes(std::span<const probe_shape> shapes) {
  for (auto& s : slots_) {
    if (s.config->kind != alert_rule_kind::silent_failure) {
      continue;
    }
    auto& st = s.status;
    for (std::size_t i = 0; i < st.shape_streaks.size(); ++i) {
      if (std::find(shapes.begin(), shapes.end(), static_cast<probe_shape>(i)) == shapes.end()) {
        st.shape_streaks[i] = 0;
      }
    }
    st.bad_streak = *std::max_element(st.shape_streaks.begin(), st.shape_streaks.end());
  }
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

void rule_engine::receivers_changed(const slot& old,
                                    const slot& now_slot,
                                    wall_time now,
                                    std::vector<alert_event>& events) const {
  const auto& before = old.config->receivers;
  const auto& after = now_slot.config->receivers;
  // An empty list means every receiver; the engine does not know them all, so only explicit
  // lists are compared (the router's receivers then stay the audience of the incident).
  if (before == after || before.empty() || after.empty()) {
    return;
  }
  if (auto dropped = minus(before, after); !dropped.empty()) {
    auto note = make_note(old, notification_kind::resolved);
    note.ends_at = now;
    note.reason = "receiver removed from the rule by a configuration reload";
    note.receivers = std::move(dropped);
    events.push_back({std::move(note), false});
  }
  if (auto added = minus(after, before); !added.empty()) {
    auto note = make_note(now_slot, notification_kind::firing);
    note.receivers = std::move(added);
    events.push_back({std::move(note), false});
  }
}

}  // namespace visionwatch
