#pragma once
/// Silences: per-route mutes with an expiry and a comment. A silence suppresses notifications
/// for its route; rule state and metrics carry on. Silences come from the config file (replaced
/// as a set on reload) and from the admin API (kept until removed or expired; persisted).
/// Time is passed in. Not thread-safe: one owner.

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alerts/alert_config.hpp"
#include "alerts/notification.hpp"

namespace visionwatch {

enum class silence_source : std::uint8_t { config, api };

struct silence {
  std::string id;     ///< "sil-<n>", unique for the life of the state directory
  std::string route;  ///< exact route name, or "*" for every route
  wall_time starts_at{};
  wall_time until{};
  std::string comment;
  silence_source source = silence_source::api;
};

/// `s` as JSON with its two times as given ({key, value}): the state file's epoch milliseconds
/// (silence_store::to_json) and the admin API's RFC 3339 text (alerting) spell the other members
/// alike (id, route, comment, source "config" or "api").
nlohmann::json silence_json(const silence& s,
                            std::pair<std::string_view, nlohmann::json> starts_at,
                            std::pair<std::string_view, nlohmann::json> until);

/// add() result: the silence, or why it was refused.
struct silence_result {
  std::optional<silence> value;
  std::string error;
};

class silence_store {
 public:
  static constexpr std::size_t max_silences = 10'000;
  static constexpr std::size_t max_comment_bytes = 1'000;
  /// The longest silence: longer ones are refused (the API answers 400), so a typo such as
  /// "100y" or "until 9999" cannot mute a route for ever.
  static constexpr std::chrono::hours max_duration{24 * 365};

  /// Refuses an empty route, an expiry not after `now` or (for API silences) more than max_duration after it, an over-long comment, or a full store.
  silence_result add(std::string route,
                     wall_time until,
                     std::string comment,
                     wall_time now,
                     silence_source source = silence_source::api);
  /// Active and not yet expired silences (expired ones are listed until expire() runs).
  [[nodiscard]] const std::vector<silence>& list() const noexcept { return silences_; }
  /// True when the id existed.
  bool remove(std::string_view id);
  /// Drops silences whose `until` is not after `now`; returns how many.
  std::size_t expire(wall_time now);
  /// The first silence covering `route` at `now`, if any.
  [[nodiscard]] const silence* find_active(std::string_view route, wall_time now) const noexcept;
  [[nodiscard]] bool is_silenced(std::string_view route, wall_time now) const noexcept {
    return find_active(route, now) != nullptr;
  }
  /// Replaces every config-sourced silence by `configured` (API silences stay). Entries that
  /// already expired are skipped; the returned strings describe the skipped or refused ones.
  std::vector<std::string> replace_config_silences(const std::vector<silence_config>& configured,
                                                   wall_time now);

  [[nodiscard]] nlohmann::json to_json() const;
  /// Replaces the content with a saved one; on a malformed document the store is left empty
  /// and the error returned (empty on success).
  std::string restore(const nlohmann::json& j);

 private:
  std::vector<silence> silences_;
  std::uint64_t next_id_ = 1;
};

}  // namespace visionwatch
