#include <algorithm>
#include <stdexcept>

#include "alerts/rule_engine.hpp"

// The persistence half of rule_engine: what to_json() saves, restore() reads back, and
// from_saved() rebuilds so a restart reconciles the saved state with today's configuration the
// way a reload does.

namespace visionwatch {
namespace {

nlohmann::json rule_config_json(const alert_rule_config& c) {
  return {{"enabled", c.enabled},
          {"failure_threshold", c.failure_threshold},
          {"success_threshold", c.success_threshold},
          {"threshold", c.threshold},
          {"severity", c.severity},
          {"description", c.description},
          {"receivers", c.receivers},
          {"min_samples", c.min_samples}};
}

alert_rule_config rule_config_from_json(alert_rule_kind kind, const nlohmann::json& j) {
  alert_rule_config c = default_rule_config(kind);
  c.kind = kind;
  c.enabled = j.at("enabled").get<bool>();
  c.failure_threshold = j.at("failure_threshold").get<int>();
  c.success_threshold = j.at("success_threshold").get<int>();
  c.threshold = j.at("threshold").get<double>();
  c.severity = j.at("severity").get<std::string>();
  c.description = j.at("description").get<std::string>();
  c.receivers = j.at("receivers").get<std::vector<std::string>>();
  c.min_samples = j.at("min_samples").get<int>();
  return c;
}

std::optional<alert_state> state_from_string(std::string_view name) {
  for (auto s : {alert_state::inactive, alert_state::firing, alert_state::resolved}) {
    if (to_string(s) == name) {
      return s;
    }
  }
  return std::nullopt;
}

}  // namespace

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
                        {"reason", st.reason},
                        {"config", rule_config_json(*s.config)}};
    if (st.ends_at) {
      r["ends_at_ms"] = to_epoch_ms(*st.ends_at);
    }
    for (std::size_t i = 0; i < st.shape_streaks.size(); ++i) {
      if (st.shape_streaks[i] != 0) {
        r["shape_streaks"][std::string(to_string(static_cast<probe_shape>(i)))] =
            st.shape_streaks[i];
      }
    }
    rules.push_back(std::move(r));
  }
  nlohmann::json j = {{"route", identity_.route},
                      {"identity",
                       {{"model", identity_.model},
                        {"gateway", identity_.gateway},
                        {"status_url", identity_.status_url},
                        {"labels", identity_.external_labels}}},
                      {"repeat_interval_s", rules_->repeat_interval.count()},
                      {"rules", std::move(rules)}};
  if (last_failure_) {
    j["last_failure"] = *last_failure_;
  }
  return j;
}

std::string rule_engine::restore(const nlohmann::json& state) {
  auto restored = make_slots(*rules_);
  std::optional<probe_snapshot> last_failure;
  try {
    for (const auto& r : state.at("rules")) {
      const auto kind = alert_rule_kind_from_string(r.at("rule").get<std::string>());
      if (!kind) {
        throw std::invalid_argument("unknown rule '" + r.at("rule").get<std::string>() + "'");
      }
      auto it = std::find_if(
          restored.begin(), restored.end(), [&](const slot& s) { return s.config->kind == *kind; });
      if (it == restored.end()) {
        continue;  // no longer configured
      }
      rule_status st;
      st.kind = *kind;
      const auto state_name = r.at("state").get<std::string>();
      const auto sn = state_from_string(state_name);
      if (!sn) {
        throw std::invalid_argument("unknown alert state '" + state_name + "'");
      }
      st.state = *sn;
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
      if (auto streaks = r.find("shape_streaks"); streaks != r.end()) {
        for (const auto& [name, n] : streaks->items()) {
          if (const auto shape = probe_shape_from_string(name)) {
            st.shape_streaks[static_cast<std::size_t>(*shape)] = n.get<int>();
          }
        }
      } else if (*kind == alert_rule_kind::silent_failure) {
        st.shape_streaks[0] = st.bad_streak;  // saved before shapes: every probe was plain
      }
      it->status = std::move(st);
    }
    if (auto lf = state.find("last_failure"); lf != state.end()) {
      last_failure = lf->get<probe_snapshot>();
    }
  } catch (const std::exception& e) {
    slots_ = make_slots(*rules_);
    last_failure_.reset();
    return "alert state of route '" + identity_.route + "': " + e.what();
  }
  slots_ = std::move(restored);
  last_failure_ = std::move(last_failure);
  return {};
}

std::pair<std::optional<rule_engine>, std::string> rule_engine::from_saved(
    const nlohmann::json& state, const rule_engine* current) {
  try {
    route_identity id;
    if (current != nullptr) {
      id = current->identity();
    } else {
      id.route = state.at("route").get<std::string>();
    }
    if (auto i = state.find("identity"); i != state.end()) {
      id.model = i->at("model").get<std::string>();
      id.gateway = i->at("gateway").get<std::string>();
      id.status_url = i->at("status_url").get<std::string>();
      id.external_labels = i->at("labels").get<std::map<std::string, std::string>>();
    }
    alert_rules_config rules;
    rules.repeat_interval = current != nullptr ? current->rules().repeat_interval
                                               : alert_rules_config{}.repeat_interval;
    if (auto r = state.find("repeat_interval_s"); r != state.end()) {
      rules.repeat_interval = std::chrono::seconds(r->get<long long>());
    }
    for (const auto& r : state.at("rules")) {
      const auto name = r.at("rule").get<std::string>();
      const auto kind = alert_rule_kind_from_string(name);
      if (!kind) {
        throw std::invalid_argument("unknown rule '" + name + "'");
      }
      alert_rule_config c = default_rule_config(*kind);
      if (auto saved = r.find("config"); saved != r.end()) {
        c = rule_config_from_json(*kind, *saved);
      } else if (current != nullptr) {
        // A file from before rule configs were saved: assume today's configuration.
        for (const auto& now_rule : current->rules().rules) {
          if (now_rule.kind == *kind) {
            c = now_rule;
          }
        }
      }
      c.enabled = true;  // it has saved state, so it was evaluated
      rules.rules.push_back(std::move(c));
    }
    rule_engine engine(std::move(id), std::move(rules));
    if (auto err = engine.restore(state); !err.empty()) {
      return {std::nullopt, err};
    }
    return {std::move(engine), {}};
  } catch (const std::exception& e) {
    return {std::nullopt, std::string("saved alert state: ") + e.what()};
  }
}

}  // namespace visionwatch
