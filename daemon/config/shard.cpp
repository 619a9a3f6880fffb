#include "daemon/config/shard.hpp"

#include <algorithm>
#include <charconv>

#include "daemon/config/config.hpp"

namespace visionwatch {
namespace {

/// A decimal number without sign, spaces or leading '+'; nullopt otherwise or when too large.
std::optional<std::uint32_t> decimal(std::string_view s) {
  std::uint32_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<shard_spec> parse_shard(std::string_view text, std::string& error) {
  const auto shown = "\"" + std::string(text.substr(0, 40)) + "\"";
  const auto slash = text.find('/');
  const auto index =
      slash == std::string_view::npos ? std::nullopt : decimal(text.substr(0, slash));
  const auto count =
      slash == std::string_view::npos ? std::nullopt : decimal(text.substr(slash + 1));
  if (!index || !count) {
    error = shown + " is not a shard i/n (e.g. 2/3: the second of three shards)";
    return std::nullopt;
  }
  if (*count < 1 || *count > max_shards) {
    error = shown + ": the number of shards must be between 1 and " + std::to_string(max_shards);
    return std::nullopt;
  }
  if (*index < 1 || *index > *count) {
    error = shown + ": the shard number must be between 1 and " + std::to_string(*count);
    return std::nullopt;
  }
  return shard_spec{*index, *count};
}

std::string to_string(const shard_spec& s) {
  return std::to_string(s.index) + "/" + std::to_string(s.count);
}

std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::uint64_t splitmix64(std::uint64_t seed, std::uint64_t step) noexcept {
  // Unsigned arithmetic wraps modulo 2^64, as the reference implementation's does.
  std::uint64_t z = seed + step * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

std::uint64_t shard_weight(std::string_view route, std::uint32_t shard) noexcept {
  return splitmix64(fnv1a64(route), shard);
}

std::uint32_t shard_owner(std::string_view route, std::uint32_t count) noexcept {
  const auto seed = fnv1a64(route);
  std::uint32_t best = 1;
  std::uint64_t best_weight = splitmix64(seed, 1);
  for (std::uint32_t j = 2; j <= count; ++j) {
    const auto w = splitmix64(seed, j);
    if (w > best_weight) {  // strictly greater: a tie keeps the lower shard number
      best = j;
      best_weight = w;
    }
  }
  return best;
}

config select_shard(config cfg, const std::optional<shard_spec>& override_shard) {
  if (override_shard) {
    cfg.global.shard = *override_shard;
  }
  const auto shard = cfg.global.shard;
  std::erase_if(cfg.routes, [&](const route_config& r) { return !owns(shard, r.name); });
  return cfg;
}

}  // namespace visionwatch
