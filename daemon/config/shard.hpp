#pragma once
/// Which routes a shard owns: `global.shard: "i/n"` (or `--shard i/n`) splits the routes of one
/// configuration over n instances by rendezvous (highest-random-weight) hashing of the route
/// name. Pure and stable: the same name gives the same owner on every host, compiler and
/// release, so it never uses std::hash.
///
/// The weight of route R for shard j (1 ≤ j ≤ n) is the j-th output of SplitMix64 seeded with
/// the FNV-1a 64-bit hash of R's name (its UTF-8 bytes); the owner is the shard with the highest
/// weight (the lower number on a tie). Going from n to n+1 shards moves only the routes whose
/// weight for shard n+1 beats their old maximum: about 1/(n+1) of them, all to the new shard.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

struct config;

/// Shard `index` of `count` (1 ≤ index ≤ count ≤ max_shards). 1/1 owns every route.
struct shard_spec {
  std::uint32_t index = 1;
  std::uint32_t count = 1;
  bool operator==(const shard_spec&) const = default;
};

/// Rendezvous hashing costs n weights per route; more shards than this is a typo.
inline constexpr std::uint32_t max_shards = 1000;

/// "i/n" → shard; on failure nullopt and `error` says why, e.g. "\"0/3\": the shard number must
/// be between 1 and 3" (the caller prefixes the file:line path or the flag).
std::optional<shard_spec> parse_shard(std::string_view text, std::string& error);
/// "i/n".
std::string to_string(const shard_spec& s);

/// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
std::uint64_t fnv1a64(std::string_view bytes) noexcept;
/// The `step`-th output (1-based) of SplitMix64 started at `seed`.
std::uint64_t splitmix64(std::uint64_t seed, std::uint64_t step) noexcept;
/// The rendezvous weight of `route` for shard `shard` (1-based).
std::uint64_t shard_weight(std::string_view route, std::uint32_t shard) noexcept;
/// The shard (1..count) that owns `route`; 1 when count is 0 or 1.
std::uint32_t shard_owner(std::string_view route, std::uint32_t count) noexcept;
[[nodiscard]] inline bool owns(const shard_spec& s, std::string_view route) noexcept {
  return shard_owner(route, s.count) == s.index;
}

/// `cfg` with global.shard set to `override_shard` when given (the command line wins over the
/// file), and without the routes that shard does not own: every part of the daemon (scheduler,
/// metrics, alerts, status) then sees only owned routes, and a reload that changes the shard
/// removes and adds routes like any other edit.
config select_shard(config cfg, const std::optional<shard_spec>& override_shard);

}  // namespace visionwatch
