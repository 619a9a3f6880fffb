#include "exporters/status_query.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "probes/adapter_support.hpp"
#include "probes/enum_table.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

constexpr std::array<std::string_view, 4> health_names = {"error", "silent", "unprobed", "ok"};
constexpr std::array<std::string_view, 4> alert_names = {
    "inactive", "pending", "firing", "silenced"};
constexpr std::array<std::string_view, 4> sort_names = {"status", "name", "last_probe", "latency"};
constexpr std::array<std::string_view, all_state_filters.size()> state_names = {
    "all", "failing", "error", "silent", "unprobed", "ok", "retrying", "deferred"};

/// The query's parameters, in the order links write them.
enum class param : std::uint8_t { state, gateway, model, outcome, alert, q, sort, limit, cursor };
constexpr std::array<std::string_view, 9> param_names = {
    "state", "gateway", "model", "outcome", "alert", "q", "sort", "limit", "cursor"};

constexpr std::int64_t last_rank = std::numeric_limits<std::int64_t>::max();
constexpr std::string_view cursor_version = "v1";

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& names) {
  std::string out;
  for (const auto n : names) {
    out += out.empty() ? "" : ", ";
    out += n;
  }
  return out;
}

/// Reads `value` into `out` when it is one of `names`; otherwise the refusal of parameter `key`.
template <typename E, std::size_t N>
std::optional<std::string> read_one_of(std::string_view key,
                                       const std::array<std::string_view, N>& names,
                                       std::string_view value,
                                       E& out) {
  const auto e = enum_from_name<E>(names, value);
  if (!e) {
    return std::string(key) + " must be one of " + joined(names);
  }
  out = *e;
  return std::nullopt;
}

std::string outcome_names() {
  std::string out;
  for (const auto o : all_outcomes) {
    out += out.empty() ? "" : ", ";
    out += to_string(o);
  }
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string s = base64_encode(bytes);
  while (!s.empty() && s.back() == '=') {
    s.pop_back();
  }
  std::replace(s.begin(), s.end(), '+', '-');
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.find_first_of("+/=") != std::string_view::npos || text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string s(text);
  std::replace(s.begin(), s.end(), '-', '+');
  std::replace(s.begin(), s.end(), '_', '/');
  s.append((4 - s.size() % 4) % 4, '=');
  return base64_decode(s);
}

/// A whole decimal number that fits, nothing else (no sign for unsigned, no spaces, no '+').
template <typename T>
std::optional<T> whole_number(std::string_view s) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || s.front() == '+') {
    return std::nullopt;
  }
  return v;
}

bool state_matches(const route_key& k, state_filter s) noexcept {
  switch (s) {
    case state_filter::all:
      return true;
    case state_filter::failing:
      return k.health == route_health::error || k.health == route_health::silent;
    case state_filter::error:
      return k.health == route_health::error;
    case state_filter::silent:
      return k.health == route_health::silent;
    case state_filter::unprobed:
      return k.health == route_health::unprobed;
    case state_filter::ok:
      return k.health == route_health::ok;
    case state_filter::retrying:
      return k.retrying;
    case state_filter::deferred:
      return k.deferred;
  }
  return false;
}

/// (rank, name) of a candidate, and where its key is.
struct ranked {
  std::int64_t rank;
  std::string_view name;
  std::size_t index;
};

bool before(const ranked& a, const ranked& b) noexcept {
  return a.rank != b.rank ? a.rank < b.rank : a.name < b.name;
}

std::string cursor_at(const ranked& r, route_sort sort, bool backwards) {
  return encode_cursor({sort, backwards, r.rank, std::string(r.name)});
}

}  // namespace

std::string_view to_string(route_health h) noexcept { return enum_name(health_names, h); }
std::string_view to_string(alert_level a) noexcept { return enum_name(alert_names, a); }
std::string_view to_string(route_sort s) noexcept { return enum_name(sort_names, s); }
std::string_view to_string(state_filter s) noexcept { return enum_name(state_names, s); }

route_health route_health_of(bool by_shapes,
                             std::span<const std::optional<outcome>> shape_latest,
                             std::optional<outcome> last) noexcept {
  const auto of = [](outcome o) {
    if (o == outcome::ok) {
      return route_health::ok;
    }
    return is_silent_failure(o) ? route_health::silent : route_health::error;
  };
  if (by_shapes) {
    std::optional<route_health> worst;
    for (const auto& l : shape_latest) {
      if (l) {
        worst = std::min(worst.value_or(route_health::ok), of(*l));  // error < silent < ok
      }
    }
    if (worst) {
      return *worst;
    }
  }
  return last ? of(*last) : route_health::unprobed;
}

alert_level alert_level_of(bool firing, bool pending, bool silenced) noexcept {
  if (firing) {
    return silenced ? alert_level::silenced : alert_level::firing;
  }
  return pending ? alert_level::pending : alert_level::inactive;
}

std::string encode_cursor(const route_cursor& c) {
  std::string raw(cursor_version);
  raw += ':';
  raw += to_string(c.sort);
  raw += c.before ? ":b:" : ":a:";
  raw += std::to_string(c.rank);
  raw += ':';
  raw += c.name;
  return base64url_encode(raw);
}

std::optional<route_cursor> decode_cursor(std::string_view text) {
  const auto raw = base64url_decode(text);
  if (!raw) {
    return std::nullopt;
  }
  std::string_view rest = *raw;
  std::array<std::string_view, 4> fields{};
  for (auto& f : fields) {
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    f = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  const auto sort = enum_from_name<route_sort>(sort_names, fields[1]);
  const auto rank = whole_number<std::int64_t>(fields[3]);
  if (fields[0] != cursor_version || !sort || (fields[2] != "a" && fields[2] != "b") || !rank ||
      rest.empty()) {
    return std::nullopt;
  }
  return route_cursor{*sort, fields[2] == "b", *rank, std::string(rest)};
}

route_query_result parse_route_query(std::span<const std::pair<std::string, std::string>> params) {
  route_query q;
  std::array<bool, param_names.size()> seen{};
  auto refuse = [](std::string message) {
    return route_query_result{std::nullopt, std::move(message)};
  };
  for (const auto& [name, value] : params) {
    const auto p = enum_from_name<param>(param_names, name);
    if (!p) {
      return refuse("unknown query parameter; the known ones are " + joined(param_names));
    }
    const std::string shown(param_names[static_cast<std::size_t>(*p)]);
    if (std::exchange(seen[static_cast<std::size_t>(*p)], true)) {
      return refuse("query parameter '" + shown + "' is given more than once");
    }
    if (value.size() > route_query::max_value_bytes) {
      return refuse("query parameter '" + shown + "' is longer than " +
                    std::to_string(route_query::max_value_bytes) + " bytes");
    }
    if (!is_valid_utf8(value)) {
      return refuse("query parameter '" + shown + "' is not valid UTF-8");
    }
    if (value.empty()) {
      continue;  // an HTML form sends its empty fields
    }
    std::optional<std::string> problem;
    switch (*p) {
      case param::state:
        problem = read_one_of(shown, state_names, value, q.state);
        break;
      case param::gateway:
        q.gateway = value;
        break;
      case param::model:
        q.model = value;
        break;
      case param::outcome:
        q.last_outcome = outcome_from_string(value);
        if (!q.last_outcome) {
          problem = "outcome must be an outcome name: " + outcome_names();
        }
        break;
      case param::alert:
        problem = read_one_of(shown, alert_names, value, q.alert.emplace());
        break;
      case param::q:
        q.text = value;
        break;
      case param::sort:
        problem = read_one_of(shown, sort_names, value, q.sort);
        break;
      case param::limit: {
        const auto n = whole_number<std::size_t>(value);
        if (!n || *n < 1 || *n > route_query::max_limit) {
          problem =
              "limit must be a whole number from 1 to " + std::to_string(route_query::max_limit);
        } else {
          q.limit = *n;
        }
        break;
      }
      case param::cursor:
        q.cursor = decode_cursor(value);
        if (!q.cursor) {
          problem = "cursor is not one this server gave out; start again without it";
        }
        break;
    }
    if (problem) {
      return refuse(std::move(*problem));
    }
  }
  if (q.cursor && q.cursor->sort != q.sort) {
    return refuse("cursor belongs to sort=" + std::string(to_string(q.cursor->sort)) +
                  "; start again without it");
  }
  return {std::move(q), {}};
}

std::string to_query_string(const route_query& q, const std::optional<std::string>& cursor) {
  std::string out;
  auto add = [&out](param p, std::string_view value) {
    if (value.empty()) {
      return;
    }
    out += out.empty() ? "" : "&";
    out += param_names[static_cast<std::size_t>(p)];
    out += '=';
    out += adapter_support::percent_encode_segment(value);
  };
  add(param::state, q.state == state_filter::all ? "" : to_string(q.state));
  add(param::gateway, q.gateway);
  add(param::model, q.model);
  add(param::outcome, q.last_outcome ? to_string(*q.last_outcome) : "");
  add(param::alert, q.alert ? to_string(*q.alert) : "");
  add(param::q, q.text);
  add(param::sort, q.sort == route_sort::status ? "" : to_string(q.sort));
  add(param::limit, q.limit == route_query::default_limit ? "" : std::to_string(q.limit));
  add(param::cursor, cursor.value_or(""));
  return out;
}

bool matches(const route_key& k, const route_query& q) noexcept {
  return state_matches(k, q.state) && (q.gateway.empty() || k.gateway == q.gateway) &&
         (q.model.empty() || k.model == q.model) && (!q.last_outcome || k.last == q.last_outcome) &&
         (!q.alert || k.alert == *q.alert) && (q.text.empty() || ascii_icontains(k.name, q.text));
}

std::int64_t sort_rank(const route_key& k, route_sort sort) noexcept {
  switch (sort) {
    case route_sort::status:
      return static_cast<std::int64_t>(k.health);
    case route_sort::name:
      return 0;
    case route_sort::last_probe:
      return k.last ? -std::max<std::int64_t>(k.last_at.time_since_epoch().count(), 0) : last_rank;
    case route_sort::latency: {
      if (!k.last) {
        return last_rank;
      }
      // Microseconds; negated so that the slowest comes first. A year bounds any real latency.
      const double us = std::clamp(k.last_latency_seconds, 0.0, 3.2e7) * 1e6;
      return std::isfinite(us) ? -std::llround(us) : 0;
    }
  }
  return 0;
}

void fleet_counts::add(const route_key& k) noexcept {
  for (const auto s : all_state_filters) {
    by_state[static_cast<std::size_t>(s)] += state_matches(k, s) ? 1U : 0U;
  }
}

route_page select_page(std::span<const route_key> keys, const route_query& q) {
  route_page page;
  std::optional<ranked> at;
  if (q.cursor) {
    at = ranked{q.cursor->rank, q.cursor->name, 0};
  }
  const bool backwards = q.cursor && q.cursor->before;
  std::vector<ranked> candidates;  // after the cursor (backwards: before it)
  std::size_t behind = 0;          // matching routes on the cursor's other side
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& k = keys[i];
    page.counts.add(k);
    if (!matches(k, q)) {
      continue;
    }
    ++page.matching;
    const ranked r{sort_rank(k, q.sort), k.name, i};
    if (!at || (backwards ? before(r, *at) : before(*at, r))) {
      candidates.push_back(r);
    } else {
      ++behind;
    }
  }
  const std::size_t n = std::min(q.limit, candidates.size());
  if (backwards) {
    // The last `n` before the cursor, in order.
    const auto reversed = [](const ranked& a, const ranked& b) { return before(b, a); };
    std::partial_sort(candidates.begin(),
                      candidates.begin() + static_cast<std::ptrdiff_t>(n),
                      candidates.end(),
                      reversed);
    candidates.resize(n);
    std::reverse(candidates.begin(), candidates.end());
    page.offset = page.matching - behind - n;
  } else {
    std::partial_sort(candidates.begin(),
                      candidates.begin() + static_cast<std::ptrdiff_t>(n),
                      candidates.end(),
                      before);
    page.offset = behind;
  }
  const bool more_after = backwards ? behind > 0 : candidates.size() > n;
  const bool more_before = backwards ? page.offset > 0 : behind > 0;
  candidates.resize(n);
  for (const auto& c : candidates) {
    page.shown.push_back(c.index);
  }
  if (!candidates.empty()) {
    if (more_after) {
      page.next_cursor = cursor_at(candidates.back(), q.sort, false);
    }
    if (more_before) {
      page.prev_cursor = cursor_at(candidates.front(), q.sort, true);
    }
  }
  return page;
}

}  // namespace visionwatch
