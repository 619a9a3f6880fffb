#include "daemon/runtime/saved_baselines.hpp"

#include "alerts/state_store.hpp"

namespace visionwatch {

std::string baselines_json_text(const saved_baselines& baselines) {
  // What dumping one object of every route would give (routes in name order, as the map holds
  // them), one small route object at a time: at 10,000 routes the whole tree was 3 MB for a
  // 0.45 MB text.
  std::string text = "{";
  nlohmann::json entry;
  for (const auto& [route, list] : baselines) {
    entry = nlohmann::json::object();
    for (const auto& v : list) {
      nlohmann::json e = {
          {"prompt_tokens", v.prompt_tokens},
          {"at",
           std::chrono::duration_cast<std::chrono::seconds>(v.at.time_since_epoch()).count()}};
      if (v.form == request_form::plain) {
        entry.update(e);
      } else {
        entry["forms"][std::string(to_string(v.form))] = std::move(e);
      }
    }
    if (text.size() > 1) {
      text += ',';
    }
    text += state_json_text(route);
    text += ':';
    text += state_json_text(entry);
  }
  text += '}';
  return text;
}

saved_baselines read_saved_baselines(const nlohmann::json& section) {
  saved_baselines baselines;
  if (!section.is_object()) {
    return baselines;
  }
  for (auto it = section.begin(); it != section.end(); ++it) {
    const nlohmann::json& v = it.value();
    if (!v.is_object()) {
      continue;
    }
    std::vector<saved_baseline> list;
    const auto read = [&list](const nlohmann::json& e, request_form form) {
      if (!e.is_object()) {
        return;
      }
      const auto tokens = e.find("prompt_tokens");
      const auto at = e.find("at");
      if (tokens != e.end() && tokens->is_number_integer() && at != e.end() &&
          at->is_number_integer()) {
        list.push_back({form,
                        tokens->get<long long>(),
                        wall_time(std::chrono::seconds(at->get<long long>()))});
      }
    };
    // plain's baseline at the top (as before shapes), the other request forms under "forms".
    read(v, request_form::plain);
    if (const auto forms = v.find("forms"); forms != v.end() && forms->is_object()) {
      for (const auto f : {request_form::system, request_form::tools, request_form::history}) {
        if (const auto e = forms->find(to_string(f)); e != forms->end()) {
          read(*e, f);
        }
      }
    }
    if (!list.empty()) {
      baselines.emplace(it.key(), std::move(list));
    }
  }
  return baselines;
}

}  // namespace visionwatch
