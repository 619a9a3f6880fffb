#include "alerts/alert_router.hpp"

#include <algorithm>
#include <stdexcept>

namespace visionwatch {

alert_router::alert_router(std::vector<receiver_config> receivers, deliver_function deliver)
    : receivers_(std::move(receivers)), deliver_(std::move(deliver)) {
  if (!deliver_) {
    throw std::invalid_argument("alert_router needs a deliver function");
  }
}

void alert_router::set_receivers(std::vector<receiver_config> receivers) {
  receivers_ = std::move(receivers);
  std::erase_if(alertmanager_sent_, [&](const auto& entry) {
    return std::none_of(receivers_.begin(), receivers_.end(), [&](const receiver_config& r) {
      return r.name == entry.first.first && r.kind == receiver_kind::alertmanager;
    });
  });
}

bool alert_router::targets(const receiver_config& r, const notification& note) const {
  return note.receivers.empty() ||
         std::find(note.receivers.begin(), note.receivers.end(), r.name) != note.receivers.end();
}

void alert_router::dispatch(const std::vector<alert_event>& events, wall_time now) {
  for (const auto& e : events) {
    if (e.suppressed) {
      ++suppressed_;
      continue;
    }
    for (const auto& r : receivers_) {
      if (!targets(r, e.note)) {
        continue;
      }
      deliver_(r.name, e.note);
      if (r.kind == receiver_kind::alertmanager) {
        const std::pair key{r.name, e.note.fingerprint};
        if (e.note.kind == notification_kind::resolved) {
          alertmanager_sent_.erase(key);
        } else {
          alertmanager_sent_[key] = now;
        }
      }
    }
  }
}

void alert_router::refresh_alertmanager(wall_time now) {
  const bool any = std::any_of(receivers_.begin(), receivers_.end(), [](const receiver_config& r) {
    return r.kind == receiver_kind::alertmanager;
  });
  if (!any) {
    return;
  }
  for (const auto& [name, engine] : engines_) {
    if (!engine.at_rest()) {
      refresh_alertmanager(engine, now);
    }
  }
}

void alert_router::refresh_alertmanager(const rule_engine& engine, wall_time now) {
  if (silences_.is_silenced(engine.identity().route, now)) {
    return;  // a silence stops the re-sends, so Alertmanager lets the alert expire
  }
  for (auto& note : engine.firing_notifications()) {
    for (const auto& r : receivers_) {
      if (r.kind != receiver_kind::alertmanager || !targets(r, note)) {
        continue;
      }
      const std::pair key{r.name, note.fingerprint};
      const auto it = alertmanager_sent_.find(key);
      if (it != alertmanager_sent_.end() && now - it->second < r.resend_interval) {
        continue;
      }
      auto refresh = note;
      refresh.kind = notification_kind::refresh;
      deliver_(r.name, refresh);
      alertmanager_sent_[key] = now;
    }
  }
}

namespace {

std::size_t hash_rules(const alert_rules_config& rules) {
  std::size_t h = std::hash<long long>{}(rules.repeat_interval.count());
  const auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  for (const auto& r : rules.rules) {
    mix(static_cast<std::size_t>(r.kind));
    mix(static_cast<std::size_t>(r.enabled));
    mix(static_cast<std::size_t>(r.failure_threshold));
    mix(static_cast<std::size_t>(r.success_threshold));
    mix(std::hash<double>{}(r.threshold));
    mix(std::hash<std::string>{}(r.severity));
    mix(std::hash<std::string>{}(r.description));
    for (const auto& name : r.receivers) {
      mix(std::hash<std::string>{}(name));
    }
    mix(static_cast<std::size_t>(r.min_samples));
    mix(static_cast<std::size_t>(r.metric));
  }
  return h;
}

}  // namespace

std::shared_ptr<const alert_rules_config> alert_router::intern(alert_rules_config rules) {
  if (rule_sets_.size() > 2 * engines_.size() + 16) {
    std::erase_if(rule_sets_, [](const auto& entry) { return entry.second.use_count() == 1; });
  }
  const auto h = hash_rules(rules);
  for (auto [it, end] = rule_sets_.equal_range(h); it != end; ++it) {
    if (it->second->rules == rules.rules &&
        it->second->repeat_interval == rules.repeat_interval) {
      return it->second;
    }
  }
  auto shared = std::make_shared<const alert_rules_config>(std::move(rules));
  rule_sets_.emplace(h, shared);
  return shared;
}

std::vector<alert_event> alert_router::set_route(route_identity identity,
                                                 alert_rules_config rules_config,
                                                 wall_time now) {
  auto rules = intern(std::move(rules_config));
  auto it = engines_.find(identity.route);
  if (it == engines_.end()) {
    auto name = identity.route;
    engines_.emplace(std::move(name), rule_engine(std::move(identity), std::move(rules)));
    return {};
  }
  auto events = it->second.reconfigure(std::move(identity), std::move(rules), now);
  dispatch(events, now);
  return events;
}

void alert_router::set_route_shapes(std::string_view route, std::span<const probe_shape> shapes) {
  if (const auto it = engines_.find(route); it != engines_.end()) {
    it->second.keep_shapes(shapes);
  }
}

std::vector<alert_event> alert_router::remove_route(std::string_view route, wall_time now) {
  auto it = engines_.find(route);
  if (it == engines_.end()) {
    return {};
  }
  auto events = it->second.reconfigure(it->second.identity(), alert_rules_config{}, now);
  dispatch(events, now);
  engines_.erase(it);
  return events;
}

std::vector<alert_event> alert_router::retain_routes(const std::vector<std::string>& keep,
                                                     wall_time now) {
  std::vector<std::string> gone;
  for (const auto& [name, engine] : engines_) {
    if (std::find(keep.begin(), keep.end(), name) == keep.end()) {
      gone.push_back(name);
    }
  }
  std::vector<alert_event> events;
  for (const auto& name : gone) {
    auto e = remove_route(name, now);
    events.insert(events.end(), e.begin(), e.end());
  }
  return events;
}

std::vector<alert_event> alert_router::on_probe(const probe_result& result,
                                                const window_figures& figures,
                                                wall_time now) {
  auto it = engines_.find(result.route);
  if (it == engines_.end()) {
    return {};
  }
  const bool silenced = silences_.is_silenced(result.route, now);
  auto events = it->second.evaluate(result, figures, now, silenced);
  dispatch(events, now);
  refresh_alertmanager(it->second, now);
  return events;
}

const rule_engine* alert_router::route(std::string_view name) const {
  const auto it = engines_.find(name);
  return it == engines_.end() ? nullptr : &it->second;
}

nlohmann::json alert_router::to_json() const {
  nlohmann::json routes = nlohmann::json::object();
  for (const auto& [name, engine] : engines_) {
    if (!engine.at_rest()) {  // a route missing from the file restores at rest
      routes[name] = engine.to_json();
    }
  }
  return {{"routes", std::move(routes)}, {"silences", silences_.to_json()}};
}

std::vector<std::string> alert_router::restore(const nlohmann::json& state,
                                               wall_time now,
                                               std::vector<alert_event>* events) {
  std::vector<std::string> problems;
  if (!state.is_object()) {
    problems.emplace_back("alert state is not an object; starting clean");
    return problems;
  }
  if (auto s = state.find("silences"); s != state.end()) {
    if (auto e = silences_.restore(*s); !e.empty()) {
      problems.push_back(e);
    }
  }
  auto r = state.find("routes");
  if (r == state.end() || !r->is_object()) {
    return problems;
  }
  for (const auto& [name, saved] : r->items()) {
    auto current = engines_.find(name);
    auto [engine, error] =
        rule_engine::from_saved(saved, current == engines_.end() ? nullptr : &current->second);
    if (!engine) {
      problems.push_back(error);
      continue;
    }
    // The reload path: today's rules for a configured route, none for one that left.
    std::vector<alert_event> caused;
    if (current != engines_.end()) {
      caused = engine->reconfigure(current->second.identity(), current->second.rules(), now);
      current->second = std::move(*engine);
    } else {
      caused = engine->reconfigure(engine->identity(), alert_rules_config{}, now);
    }
    dispatch(caused, now);
    if (events != nullptr) {
      events->insert(events->end(), caused.begin(), caused.end());
    }
  }
  return problems;
}

}  // namespace visionwatch
