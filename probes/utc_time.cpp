#include "probes/utc_time.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <string>

namespace visionwatch {
namespace {

struct utc_parts {
  std::tm tm{};
  int millis = 0;
};

utc_parts split(std::chrono::system_clock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  auto seconds = ms / 1000;
  auto millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  utc_parts p;
  const auto tt = static_cast<std::time_t>(seconds);
  gmtime_r(&tt, &p.tm);
  p.millis = static_cast<int>(millis);
  return p;
}

}  // namespace

std::string format_rfc3339(std::chrono::system_clock::time_point t, utc_precision precision) {
  const auto p = split(t);
  std::array<char, 64> buf{};
  const int n = std::snprintf(buf.data(),
                              buf.size(),
                              "%04d-%02d-%02dT%02d:%02d:%02d",
                              p.tm.tm_year + 1900,
                              p.tm.tm_mon + 1,
                              p.tm.tm_mday,
                              p.tm.tm_hour,
                              p.tm.tm_min,
                              p.tm.tm_sec);
  std::string out(buf.data(), static_cast<std::size_t>(n));
  if (precision == utc_precision::milliseconds) {
    std::snprintf(buf.data(), buf.size(), ".%03d", p.millis);
    out += buf.data();
  }
  out += 'Z';
  return out;
}

std::string format_compact_utc(std::chrono::system_clock::time_point t) {
  std::string s = format_rfc3339(t);  // 2026-11-25T23:18:00Z
  std::erase(s, '-');
  std::erase(s, ':');
  return s;
}

std::chrono::system_clock::time_point clamp_to_time_point(std::chrono::sys_seconds t) noexcept {
  const std::chrono::sys_seconds latest{latest_time_point_day};
  return std::chrono::system_clock::time_point{std::min(t, latest).time_since_epoch()};
}

std::chrono::system_clock::time_point saturating_add(std::chrono::system_clock::time_point now,
                                                     std::chrono::milliseconds d) noexcept {
  using std::chrono::system_clock;
  const auto latest = system_clock::time_point{latest_time_point_day.time_since_epoch()};
  if (d.count() > 0 && d >= std::chrono::duration_cast<std::chrono::milliseconds>(latest - now)) {
    return latest;
  }
  if (d.count() < 0 &&
      d <= -std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch())) {
    return system_clock::time_point{};
  }
  return now + std::chrono::duration_cast<system_clock::duration>(d);
}

}  // namespace visionwatch
