#pragma once
/// The spend guard's accounting: the daily limits of `budget: {daily_usd}` on gateways and in
/// `global`, what probes and control requests spent today (UTC) through each gateway, and
/// whether a gateway's probes are paused. Pure: the wall-clock time is passed in; the service
/// feeds it every probe's estimated cost, pauses the scheduler's gateways from it and keeps it
/// in the state file (to_json / restore), so a restart on the same UTC day keeps the spend.
/// Not thread-safe (one io_context thread).

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

class budget_ledger {
 public:
  using time_point = std::chrono::system_clock::time_point;
  using limits = std::map<std::string, double, std::less<>>;

  /// Why a gateway's probes are paused.
  enum class pause : std::uint8_t {
    none,
    gateway,  ///< the gateway's own budget.daily_usd is spent
    global,   ///< global.budget.daily_usd is spent: every gateway pauses
  };

  /// The limits of a (re)loaded configuration (gateway name -> USD a day; unset: no limit).
  /// Today's spend is kept, also of gateways the configuration no longer has: it still counts
  /// against the global budget.
  void set_limits(std::optional<double> global, limits gateways);
  /// Moves to the UTC day of `now`; a new day starts every gateway at 0. True when a new day
  /// began (the first call included).
  bool roll(time_point now);
  /// Adds `usd` spent through `gateway` at `now` (rolling the day first). A negative or
  /// non-finite amount (a bad price) is ignored.
  void add(std::string_view gateway, double usd, time_point now);

  [[nodiscard]] pause paused(std::string_view gateway) const;
  /// USD spent today through the gateway.
  [[nodiscard]] double spent(std::string_view gateway) const;
  /// USD spent today through every gateway (what the global budget counts).
  [[nodiscard]] double total() const noexcept { return total_; }
  [[nodiscard]] std::optional<double> limit(std::string_view gateway) const;
  [[nodiscard]] std::optional<double> global_limit() const noexcept { return global_limit_; }
  /// Whether any budget is configured.
  [[nodiscard]] bool limited() const noexcept { return global_limit_ || !limits_.empty(); }
  /// Midnight UTC at the end of the current day: when paused probes resume.
  [[nodiscard]] time_point resumes_at() const;

  /// {"unix_day": N, "spent": {"gateway": usd, ...}}: the state file's `budget` section.
  [[nodiscard]] nlohmann::json to_json() const;
  /// Takes a saved ledger's spend when it is of `now`'s UTC day (a restart on the same day);
  /// an older day, or a malformed section, restores nothing (false). Entries that are not
  /// finite non-negative numbers are skipped.
  bool restore(const nlohmann::json& saved, time_point now);

 private:
  static std::int64_t day_of(time_point t) noexcept;

  std::optional<std::int64_t> day_;  ///< days since 1970-01-01 UTC
  std::optional<double> global_limit_;
  limits limits_;
  std::map<std::string, double, std::less<>> spent_;
  double total_ = 0;
};

}  // namespace visionwatch
