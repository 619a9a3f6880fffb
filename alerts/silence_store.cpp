#include "alerts/silence_store.hpp"

#include <algorithm>
#include <stdexcept>

namespace visionwatch {

silence_result silence_store::add(
    std::string route, wall_time until, std::string comment, wall_time now, silence_source source) {
  if (route.empty()) {
    return {std::nullopt, "a silence needs a route (a route name, or \"*\" for every route)"};
  }
  if (until <= now) {
    return {std::nullopt, "a silence must end in the future"};
  }
  // Only the API is capped: a request with a typo (or from a script gone wrong) must not mute a
  // route for a century, while a silence written in the config file is the operator's decision.
  if (source == silence_source::api && until - now > max_duration) {
    return {std::nullopt, "a silence may last at most 365 days"};
  }
  if (comment.size() > max_comment_bytes) {
    return {std::nullopt,
            "a silence comment is limited to " + std::to_string(max_comment_bytes) + " bytes"};
  }
  if (silences_.size() >= max_silences) {
    return {std::nullopt,
            "too many silences (" + std::to_string(max_silences) + "); remove some first"};
  }
  silence s;
  s.id = "sil-" + std::to_string(next_id_++);
  s.route = std::move(route);
  s.starts_at = now;
  s.until = until;
  s.comment = truncate_utf8(comment, max_comment_bytes);
  s.source = source;
  silences_.push_back(s);
  return {std::move(s), {}};
}

bool silence_store::remove(std::string_view id) {
  const auto it = std::find_if(
      silences_.begin(), silences_.end(), [&](const silence& s) { return s.id == id; });
  if (it == silences_.end()) {
    return false;
  }
  silences_.erase(it);
  return true;
}

std::size_t silence_store::expire(wall_time now) {
  return std::erase_if(silences_, [&](const silence& s) { return s.until <= now; });
}

const silence* silence_store::find_active(std::string_view route, wall_time now) const noexcept {
  for (const auto& s : silences_) {
    if (s.until > now && s.starts_at <= now && (s.route == route || s.route == "*")) {
      return &s;
    }
  }
  return nullptr;
}

std::vector<std::string> silence_store::replace_config_silences(
    const std::vector<silence_config>& configured, wall_time now) {
  std::erase_if(silences_, [](const silence& s) { return s.source == silence_source::config; });
  std::vector<std::string> problems;
  for (const auto& c : configured) {
    auto r = add(c.route, c.until, c.comment, now, silence_source::config);
    if (!r.value) {
      problems.push_back("silence for route '" + c.route + "' skipped: " + r.error);
    }
  }
  return problems;
}

nlohmann::json silence_json(const silence& s,
                            std::pair<std::string_view, nlohmann::json> starts_at,
                            std::pair<std::string_view, nlohmann::json> until) {
  nlohmann::json out = {{"id", s.id},
                        {"route", s.route},
                        {"comment", s.comment},
                        {"source", s.source == silence_source::config ? "config" : "api"}};
  out[starts_at.first] = std::move(starts_at.second);
  out[until.first] = std::move(until.second);
  return out;
}

nlohmann::json silence_store::to_json() const {
  auto list = nlohmann::json::array();
  for (const auto& s : silences_) {
    list.push_back(silence_json(
        s, {"starts_at_ms", to_epoch_ms(s.starts_at)}, {"until_ms", to_epoch_ms(s.until)}));
  }
  return {{"next_id", next_id_}, {"silences", std::move(list)}};
}

std::string silence_store::restore(const nlohmann::json& j) {
  std::vector<silence> loaded;
  std::uint64_t next_id = 1;
  try {
    next_id = j.at("next_id").get<std::uint64_t>();
    for (const auto& e : j.at("silences")) {
      silence s;
      s.id = e.at("id").get<std::string>();
      s.route = e.at("route").get<std::string>();
      s.starts_at = from_epoch_ms(e.at("starts_at_ms").get<std::int64_t>());
      s.until = from_epoch_ms(e.at("until_ms").get<std::int64_t>());
      s.comment = truncate_utf8(e.at("comment").get<std::string>(), max_comment_bytes);
      const auto source = e.at("source").get<std::string>();
      if (source != "config" && source != "api") {
        throw std::invalid_argument("unknown silence source '" + source + "'");
      }
      s.source = source == "config" ? silence_source::config : silence_source::api;
      if (loaded.size() < max_silences) {
        loaded.push_back(std::move(s));
      }
    }
  } catch (const std::exception& e) {
    silences_.clear();
    next_id_ = 1;
    return std::string("silences: ") + e.what();
  }
  silences_ = std::move(loaded);
  next_id_ = next_id;
  return {};
}

}  // namespace visionwatch
