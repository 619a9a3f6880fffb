#include "daemon/config/config_values.hpp"

#include "probes/utc_time.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <cstdlib>

namespace visionwatch {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) noexcept { return is_digit(c) || is_alpha(c); }

/// Reads up to `max_digits` decimal digits at `pos`; nullopt when there are none or too many.
std::optional<std::uint64_t> read_digits(std::string_view s,
                                         std::size_t& pos,
                                         std::size_t max_digits) noexcept {
  std::uint64_t v = 0;
  const std::size_t start = pos;
  while (pos < s.size() && is_digit(s[pos])) {
    if (pos - start == max_digits) {
      return std::nullopt;
    }
    v = v * 10 + static_cast<std::uint64_t>(s[pos] - '0');
    ++pos;
  }
  if (pos == start) {
    return std::nullopt;
  }
  return v;
}

/// Exactly `n` digits at `pos`.
std::optional<int> fixed_digits(std::string_view s, std::size_t& pos, std::size_t n) noexcept {
  if (pos + n > s.size()) {
    return std::nullopt;
  }
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(s[pos + i])) {
      return std::nullopt;
    }
    v = v * 10 + (s[pos + i] - '0');
  }
  pos += n;
  return v;
}

bool expect_char(std::string_view s, std::size_t& pos, std::string_view one_of) noexcept {
  if (pos < s.size() && one_of.find(s[pos]) != std::string_view::npos) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept {
  struct unit {
    std::string_view name;
    std::int64_t ms;
  };
  // Largest first; "ms" before "m" so that "5ms" is not read as minutes followed by "s".
  static constexpr std::array<unit, 5> units = {
      {{"d", 86'400'000}, {"h", 3'600'000}, {"ms", 1}, {"m", 60'000}, {"s", 1'000}}};
  // Order rank for "largest first": d > h > m > s > ms.
  static constexpr std::array<int, 5> rank = {5, 4, 1, 3, 2};
  if (text.empty()) {
    return std::nullopt;
  }
  std::size_t pos = 0;
  std::int64_t total = 0;
  int last_rank = 6;
  while (pos < text.size()) {
    const auto amount = read_digits(text, pos, 9);
    if (!amount) {
      return std::nullopt;
    }
    std::size_t matched = units.size();
    for (std::size_t i = 0; i < units.size(); ++i) {
      if (text.substr(pos, units[i].name.size()) == units[i].name) {
        matched = i;
        break;
      }
    }
    if (matched == units.size() || rank[matched] >= last_rank) {
      return std::nullopt;
    }
    last_rank = rank[matched];
    pos += units[matched].name.size();
    // At most 9 digits times one day fits easily in 63 bits, and so does the sum of five.
    total += static_cast<std::int64_t>(*amount) * units[matched].ms;
  }
  return std::chrono::milliseconds{total};
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t ms = d.count();
  if (ms == 0) {
    return "0s";
  }
  std::string out;
  if (ms < 0) {
    out += '-';
    ms = -ms;
  }
  static constexpr std::array<std::pair<std::int64_t, const char*>, 5> units = {
      {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}}};
  for (const auto& [size, name] : units) {
    if (ms >= size) {
      out += std::to_string(ms / size);
      out += name;
      ms %= size;
    }
  }
  return out;
}

std::optional<std::uint64_t> parse_size(std::string_view text) noexcept {
  std::size_t pos = 0;
  const auto amount = read_digits(text, pos, 16);
  if (!amount) {
    return std::nullopt;
  }
  const std::string_view suffix = text.substr(pos);
  std::uint64_t mul = 0;
  if (suffix.empty() || suffix == "B") {
    mul = 1;
  } else if (suffix == "KiB") {
    mul = 1ULL << 10;
  } else if (suffix == "MiB") {
    mul = 1ULL << 20;
  } else if (suffix == "GiB") {
    mul = 1ULL << 30;
  } else if (suffix == "KB" || suffix == "kB") {
    mul = 1000;
  } else if (suffix == "MB") {
    mul = 1000ULL * 1000;
  } else if (suffix == "GB") {
    mul = 1000ULL * 1000 * 1000;
  } else {
    return std::nullopt;
  }
  constexpr std::uint64_t max = 1ULL << 50;
  if (*amount > max / mul) {
    return std::nullopt;
  }
  return *amount * mul;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) noexcept {
  using namespace std::chrono;
  std::size_t pos = 0;
  // YYYY-MM-DDTHH:MM:SS: each field's digits and the separator after it.
  struct part {
    std::size_t digits;
    std::string_view then;  ///< any one of these characters; empty: none
  };
  static constexpr std::array<part, 6> parts = {
      {{4, "-"}, {2, "-"}, {2, "Tt"}, {2, ":"}, {2, ":"}, {2, ""}}};
  std::array<int, parts.size()> fields{};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto n = fixed_digits(s, pos, parts[i].digits);
    if (!n || (!parts[i].then.empty() && !expect_char(s, pos, parts[i].then))) {
      return std::nullopt;
    }
    fields[i] = *n;
  }
  const auto [y, mo, d, h, mi, sec] = fields;
  std::int64_t frac_ms = 0;
  if (expect_char(s, pos, ".")) {
    const std::size_t start = pos;
    std::int64_t scale = 100;
    while (pos < s.size() && is_digit(s[pos])) {
      frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) {
      return std::nullopt;
    }
  }
  int offset_minutes = 0;
  if (expect_char(s, pos, "Zz")) {
    offset_minutes = 0;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    const auto oh = fixed_digits(s, pos, 2);
    if (!oh || !expect_char(s, pos, ":")) {
      return std::nullopt;
    }
    const auto om = fixed_digits(s, pos, 2);
    if (!om || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (*oh * 60 + *om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) {
    return std::nullopt;
  }
  const year_month_day date{
      year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  // Second 60 is a leap second; it is valid RFC 3339 and is folded into the next second.
  if (!date.ok() || h > 23 || mi > 59 || sec > 60) {
    return std::nullopt;
  }
  const auto t = sys_days{date} + hours{h} + minutes{mi} + seconds{sec} + milliseconds{frac_ms} -
                 minutes{offset_minutes};
  // system_clock counts nanoseconds in 64 bits (years 1678 to 2261). A date before is no date a
  // silence or a reply can mean: refused. A date after means "never": clamped to the last
  // representable day.
  if (t < ceil<milliseconds>(system_clock::time_point::min())) {
    return std::nullopt;
  }
  const auto whole = floor<seconds>(t);
  return clamp_to_time_point(whole) + duration_cast<system_clock::duration>(t - whole);
}

std::optional<listen_address> parse_listen_address(std::string_view text) {
  listen_address out;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    out.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 2);
    in6_addr a6{};
    if (inet_pton(AF_INET6, out.host.c_str(), &a6) != 1) {
      return std::nullopt;
    }
    static constexpr in6_addr loop = IN6ADDR_LOOPBACK_INIT;
    out.loopback =
        std::equal(std::begin(a6.s6_addr), std::end(a6.s6_addr), std::begin(loop.s6_addr));
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    out.host = std::string(text.substr(0, colon));
    rest = text.substr(colon + 1);
    in_addr a4{};
    // IP literals only, as the admin server takes them: a host name would make the listening
    // address depend on DNS at start-up.
    if (inet_pton(AF_INET, out.host.c_str(), &a4) == 1) {
      out.loopback = (ntohl(a4.s_addr) >> 24) == 127;
    } else {
      return std::nullopt;
    }
  }
  std::size_t pos = 0;
  const auto port = read_digits(rest, pos, 5);
  if (!port || pos != rest.size() || *port > 65535) {
    return std::nullopt;
  }
  out.port = static_cast<std::uint16_t>(*port);
  return out;
}

std::optional<std::string> check_url(std::string_view text,
                                     const std::vector<std::string>& schemes) {
  const auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    return std::string("is not a valid URL");
  }
  const auto& u = *parsed;
  std::string scheme(u.scheme());
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  if (std::find(schemes.begin(), schemes.end(), scheme) == schemes.end()) {
    std::string list;
    for (const auto& s : schemes) {
      list += list.empty() ? "" : " or ";
      list += s;
    }
    return "must be an " + list + " URL";
  }
  if (!u.has_authority() || u.encoded_host().empty()) {
    return std::string("has no host");
  }
  if (u.has_fragment()) {
    return std::string("must not have a #fragment");
  }
  return std::nullopt;
}

bool valid_route_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 128 || !is_alnum(name.front())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return is_alnum(c) || std::string_view("._:/@-").find(c) != std::string_view::npos;
  });
}

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || is_digit(name.front())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) { return is_alnum(c) || c == '_'; });
}

bool valid_env_name(std::string_view name) noexcept { return valid_label_name(name); }

bool valid_header_name(std::string_view name) noexcept {
  if (name.empty()) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

substitution substitute_env(std::string_view text, const env_lookup& lookup) {
  substitution out;
  out.value.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto dollar = text.find('$', pos);
    if (dollar == std::string_view::npos) {
      out.value.append(text.substr(pos));
      break;
    }
    out.value.append(text.substr(pos, dollar - pos));
    if (text.substr(dollar, 3) == "$${") {
      out.value.append("${");
      pos = dollar + 3;
      continue;
    }
    if (text.substr(dollar, 2) != "${") {
      out.value.push_back('$');
      pos = dollar + 1;
      continue;
    }
    const auto close = text.find('}', dollar + 2);
    if (close == std::string_view::npos) {
      out.error = R"("${" without a closing "}" (write $${ for a literal ${))";
      return out;
    }
    const std::string name(text.substr(dollar + 2, close - dollar - 2));
    if (!valid_env_name(name)) {
      out.error = "\"${" + name + "}\" is not a valid variable name (write $${ for a literal ${)";
      return out;
    }
    const auto value = lookup(name);
    if (!value) {
      out.error = "environment variable " + name + " is not set";
      return out;
    }
    out.value.append(*value);
    out.substituted = true;
    pos = close + 1;
  }
  return out;
}

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) {
    return std::nullopt;
  }
  return std::string(v);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace visionwatch
