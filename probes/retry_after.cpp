#include "probes/retry_after.hpp"

#include <array>
#include <charconv>
#include <cstdint>

#include "probes/text_util.hpp"
#include "probes/utc_time.hpp"

namespace visionwatch {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

/// Parses a run of digits; values beyond int64 saturate (the caller clamps anyway).
std::optional<std::int64_t> parse_digits(std::string_view s) noexcept {
  if (!all_digits(s)) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    return INT64_MAX;
  }
  if (ec != std::errc{} || ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

seconds clamp(std::int64_t v) noexcept {
  if (v < 0) {
    return seconds{0};
  }
  return v > max_retry_after.count() ? max_retry_after : seconds{v};
}

std::optional<unsigned> month_index(std::string_view m) noexcept {
  static constexpr std::array<std::string_view, 12> names = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < names.size(); ++i) {
    if (names[i] == m) {
      return i + 1;
    }
  }
  return std::nullopt;
}

/// Splits on spaces (runs of spaces count as one: asctime pads single-digit days).
template <std::size_t N>
bool split_fields(std::string_view s, std::array<std::string_view, N>& out) noexcept {
  std::size_t n = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') {
      ++i;
    }
    if (i == s.size()) {
      break;
    }
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ') {
      ++i;
    }
    if (n == N) {
      return false;
    }
    out[n++] = s.substr(start, i - start);
  }
  return n == N;
}

std::optional<system_clock::time_point> make_time(std::int64_t y,
                                                  unsigned mon,
                                                  std::int64_t d,
                                                  std::string_view hms) noexcept {
  if (hms.size() != 8 || hms[2] != ':' || hms[5] != ':') {
    return std::nullopt;
  }
  const auto hh = parse_digits(hms.substr(0, 2));
  const auto mm = parse_digits(hms.substr(3, 2));
  const auto ss = parse_digits(hms.substr(6, 2));
  // Leap second 60 is allowed by the grammar.
  if (!hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 60 || y < 1900 || y > 9999 || d < 1 ||
      d > 31) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(y)},
                                        std::chrono::month{mon},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  // In seconds first: years past 2262 do not fit system_clock's nanoseconds; they are clamped.
  const std::chrono::sys_seconds t = std::chrono::sys_days{ymd} + std::chrono::hours{*hh} +
                                     std::chrono::minutes{*mm} + seconds{*ss};
  return clamp_to_time_point(t);
}

}  // namespace

std::optional<system_clock::time_point> parse_http_date(std::string_view text) noexcept {
  text = trim(text, http_ows);
  const auto comma = text.find(',');
  if (comma != std::string_view::npos) {
    std::string_view rest = text.substr(comma + 1);
    // IMF-fixdate: "06 Nov 1994 08:49:37 GMT" after the day name.
    std::array<std::string_view, 5> f;
    if (split_fields(rest, f) && f[4] == "GMT") {
      const auto d = parse_digits(f[0]);
      const auto m = month_index(f[1]);
      const auto y = parse_digits(f[2]);
      if (d && m && y && f[0].size() == 2 && f[2].size() == 4) {
        return make_time(*y, *m, *d, f[3]);
      }
      return std::nullopt;
    }
    std::array<std::string_view, 3> g;
    if (split_fields(rest, g) && g[2] == "GMT" && g[0].size() == 9 && g[0][2] == '-' &&
        g[0][6] == '-') {
      // RFC 850: "06-Nov-94 08:49:37 GMT"; two-digit years are read per RFC 9110 as the most
      // recent year with those digits, which for HTTP means 19xx for >= 70, else 20xx.
      const auto d = parse_digits(g[0].substr(0, 2));
      const auto m = month_index(g[0].substr(3, 3));
      const auto yy = parse_digits(g[0].substr(7, 2));
      if (d && m && yy) {
        return make_time(*yy >= 70 ? 1900 + *yy : 2000 + *yy, *m, *d, g[1]);
      }
    }
    return std::nullopt;
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  std::array<std::string_view, 5> a;
  if (split_fields(text, a)) {
    const auto m = month_index(a[1]);
    const auto d = parse_digits(a[2]);
    const auto y = parse_digits(a[4]);
    if (m && d && y && a[4].size() == 4 && a[2].size() <= 2) {
      return make_time(*y, *m, *d, a[3]);
    }
  }
  return std::nullopt;
}

std::optional<seconds> parse_retry_after(std::string_view value,
                                         system_clock::time_point now) noexcept {
  value = trim(value, http_ows);
  if (all_digits(value)) {
    const auto v = parse_digits(value);
    return v ? std::optional<seconds>{clamp(*v)} : std::nullopt;
  }
  const auto when = parse_http_date(value);
  if (!when) {
    return std::nullopt;
  }
  const auto delta = std::chrono::ceil<seconds>(*when - now).count();
  return clamp(delta);
}

std::optional<seconds> parse_duration_seconds(std::string_view value) noexcept {
  value = trim(value, http_ows);
  if (value.size() < 2 || value.back() != 's') {
    return std::nullopt;
  }
  value.remove_suffix(1);
  const auto dot = value.find('.');
  const auto whole = parse_digits(value.substr(0, dot));
  if (!whole) {
    return std::nullopt;
  }
  std::int64_t v = *whole;
  if (dot != std::string_view::npos) {
    const auto frac = value.substr(dot + 1);
    if (!all_digits(frac) || frac.size() > 9) {
      return std::nullopt;
    }
    if (frac.find_first_not_of('0') != std::string_view::npos && v < INT64_MAX) {
      ++v;
    }
  }
  return clamp(v);
}

}  // namespace visionwatch
