#include "probes/utc_time.hpp"

#include <array>
#include <cstdio>
#include <ctime>

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
  if (precision == utc_precision::milliseconds) {
    std::snprintf(buf.data(),
                  buf.size(),
                  "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  p.tm.tm_year + 1900,
                  p.tm.tm_mon + 1,
                  p.tm.tm_mday,
                  p.tm.tm_hour,
                  p.tm.tm_min,
                  p.tm.tm_sec,
                  p.millis);
  } else {
    std::snprintf(buf.data(),
                  buf.size(),
                  "%04d-%02d-%02dT%02d:%02d:%02dZ",
                  p.tm.tm_year + 1900,
                  p.tm.tm_mon + 1,
                  p.tm.tm_mday,
                  p.tm.tm_hour,
                  p.tm.tm_min,
                  p.tm.tm_sec);
  }
  return buf.data();
}

std::string format_compact_utc(std::chrono::system_clock::time_point t) {
  const auto p = split(t);
  std::array<char, 48> buf{};
  std::snprintf(buf.data(),
                buf.size(),
                "%04d%02d%02dT%02d%02d%02dZ",
                p.tm.tm_year + 1900,
                p.tm.tm_mon + 1,
                p.tm.tm_mday,
                p.tm.tm_hour,
                p.tm.tm_min,
                p.tm.tm_sec);
  return buf.data();
}

}  // namespace visionwatch
