#include "alerts/notification.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "probes/enum_table.hpp"
#include "probes/utc_time.hpp"

namespace visionwatch {
namespace {

constexpr std::array<std::string_view, 4> kind_names = {
    "firing", "reminder", "resolved", "refresh"};
static_assert(static_cast<std::size_t>(notification_kind::refresh) + 1 == kind_names.size());

// Length of the UTF-8 sequence starting at `c`, 0 for a byte that cannot start one.
std::size_t utf8_length(unsigned char c) noexcept {
  if (c < 0x80) {
    return 1;
  }
  if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
    return 2;
  }
  if ((c & 0xF0) == 0xE0) {
    return 3;
  }
  if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
    return 4;
  }
  return 0;
}

void put_optional(nlohmann::json& j, const char* key, const std::optional<long long>& v) {
  if (v) {
    j[key] = *v;
  }
}
std::optional<long long> get_optional(const nlohmann::json& j, const char* key) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) {
    return it->get<long long>();
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(alert_status s) noexcept {
  return s == alert_status::firing ? "firing" : "resolved";
}
std::string_view to_string(notification_kind k) noexcept {
  return enum_name(kind_names, k);
}
std::optional<notification_kind> notification_kind_from_string(std::string_view s) noexcept {
  return enum_from_name<notification_kind>(kind_names, s);
}

std::string make_fingerprint(std::string_view route,
                             alert_rule_kind rule,
                             const std::map<std::string, std::string>& external_labels) {
  // Separators that cannot appear in a route name or label keep ("a", "b:c") and ("a:b", "c")
  // apart; the map is sorted, so the order labels were configured in does not matter.
  std::string input(route);
  input += '\x1f';
  input += to_string(rule);
  for (const auto& [k, v] : external_labels) {
    input += '\x1e';
    input += k;
    input += '\x1f';
    input += v;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 unavailable");
  }
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 16; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0x0F];
  }
  return out;
}

std::string truncate_utf8(std::string_view s, std::size_t limit) {
  std::string out;
  out.reserve(std::min(s.size(), limit));
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = utf8_length(c);
    bool valid = n != 0 && i + n <= s.size();
    for (std::size_t k = 1; valid && k < n; ++k) {
      valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (!valid) {
      n = 1;
    }
    if (out.size() + n > limit) {
      break;
    }
    if (valid) {
      out.append(s.substr(i, n));
    } else {
      out += '?';
    }
    i += n;
  }
  return out;
}

std::int64_t to_epoch_ms(wall_time t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
wall_time from_epoch_ms(std::int64_t ms) noexcept {
  // State files are input: a huge value is clamped, never overflows the nanosecond clock.
  const std::int64_t limit =
      std::chrono::duration_cast<std::chrono::milliseconds>(latest_time_point_day.time_since_epoch())
          .count();
  return wall_time(std::chrono::duration_cast<wall_clock::duration>(
      std::chrono::milliseconds(std::clamp(ms, -limit, limit))));
}

void to_json(nlohmann::json& j, const probe_snapshot& p) {
  j = nlohmann::json{{"outcome", to_string(p.result)},
                     {"reason", p.reason},
                     {"http_status", p.http_status},
                     {"reply_excerpt", p.reply_excerpt},
                     {"latency_seconds", p.latency_seconds},
                     {"seed", p.seed},
                     {"sequence", p.sequence},
                     {"started_at_ms", to_epoch_ms(p.started_at)}};
  auto& tokens = j["tokens"] = nlohmann::json::object();
  put_optional(tokens, "prompt", p.tokens.prompt_tokens);
  put_optional(tokens, "completion", p.tokens.completion_tokens);
  put_optional(tokens, "total", p.tokens.total_tokens);
  put_optional(tokens, "image", p.tokens.image_tokens);
  put_optional(tokens, "cached", p.tokens.cached_tokens);
}

void from_json(const nlohmann::json& j, probe_snapshot& p) {
  const auto o = outcome_from_string(j.at("outcome").get<std::string>());
  if (!o) {
    throw std::invalid_argument("unknown outcome in stored notification");
  }
  p.result = *o;
  p.reason = j.at("reason").get<std::string>();
  p.http_status = j.at("http_status").get<unsigned>();
  p.reply_excerpt =
      truncate_utf8(j.at("reply_excerpt").get<std::string>(), notification_excerpt_limit);
  p.latency_seconds = j.at("latency_seconds").get<double>();
  p.seed = j.at("seed").get<std::uint64_t>();
  p.sequence = j.at("sequence").get<std::uint64_t>();
  p.started_at = from_epoch_ms(j.at("started_at_ms").get<std::int64_t>());
  const auto& tokens = j.at("tokens");
  p.tokens.prompt_tokens = get_optional(tokens, "prompt");
  p.tokens.completion_tokens = get_optional(tokens, "completion");
  p.tokens.total_tokens = get_optional(tokens, "total");
  p.tokens.image_tokens = get_optional(tokens, "image");
  p.tokens.cached_tokens = get_optional(tokens, "cached");
}

nlohmann::json alert_fields(const notification& n) {
  return {{"route", n.route},
          {"model", n.model},
          {"gateway", n.gateway},
          {"rule", to_string(n.rule)},
          {"reason", n.reason},
          {"value", n.value},
          {"threshold", n.threshold}};
}

void to_json(nlohmann::json& j, const notification& n) {
  j = alert_fields(n);
  j.update({{"version", notification_version},
            {"kind", to_string(n.kind)},
            {"severity", n.severity},
            {"summary", n.summary},
            {"starts_at_ms", to_epoch_ms(n.starts_at)},
            {"status_url", n.status_url},
            {"fingerprint", n.fingerprint},
            {"receivers", n.receivers}});
  if (n.last_failure) {
    j["last_failure"] = *n.last_failure;
  }
  if (n.ends_at) {
    j["ends_at_ms"] = to_epoch_ms(*n.ends_at);
  }
}

void from_json(const nlohmann::json& j, notification& n) {
  if (j.at("version").get<std::string>() != notification_version) {
    throw std::invalid_argument("unsupported notification version");
  }
  const auto kind = notification_kind_from_string(j.at("kind").get<std::string>());
  const auto rule = alert_rule_kind_from_string(j.at("rule").get<std::string>());
  if (!kind || !rule) {
    throw std::invalid_argument("unknown notification kind or rule");
  }
  n.kind = *kind;
  n.rule = *rule;
  n.route = j.at("route").get<std::string>();
  n.model = j.at("model").get<std::string>();
  n.gateway = j.at("gateway").get<std::string>();
  n.severity = j.at("severity").get<std::string>();
  n.summary = j.at("summary").get<std::string>();
  n.reason = j.at("reason").get<std::string>();
  n.value = j.at("value").get<double>();
  n.threshold = j.at("threshold").get<double>();
  n.starts_at = from_epoch_ms(j.at("starts_at_ms").get<std::int64_t>());
  n.status_url = j.at("status_url").get<std::string>();
  n.fingerprint = j.at("fingerprint").get<std::string>();
  n.receivers = j.at("receivers").get<std::vector<std::string>>();
  n.last_failure.reset();
  if (auto it = j.find("last_failure"); it != j.end()) {
    n.last_failure = it->get<probe_snapshot>();
  }
  n.ends_at.reset();
  if (auto it = j.find("ends_at_ms"); it != j.end()) {
    n.ends_at = from_epoch_ms(it->get<std::int64_t>());
  }
}

}  // namespace visionwatch
