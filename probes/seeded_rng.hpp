#pragma once
/// The challenge generator's random source: SplitMix64 (Steele, Lea, Flood 2014). Written out
/// here instead of std::mt19937 + std distributions because the distributions are
/// implementation-defined: libstdc++ and libc++ turn the same engine state into different numbers,
/// and a seed must draw the same image everywhere. Not for cryptography. Not thread-safe (one per
/// challenge, on the stack).

#include <cstdint>

namespace visionwatch {

/// The SplitMix64 output function: a bijective 64-bit mix with good avalanche.
constexpr std::uint64_t splitmix64_mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

class seeded_rng {
 public:
  explicit constexpr seeded_rng(std::uint64_t seed) noexcept : state_(seed) {}

  constexpr std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    return splitmix64_mix(state_);
  }

  /// Uniform integer in [lo, hi] (inclusive). Lemire's multiply-shift with rejection, so there is
  /// no modulo bias and the result depends only on the generator's outputs.
  constexpr int uniform_int(int lo, int hi) noexcept {
    if (hi <= lo) {
      return lo;
    }
    const std::uint64_t range =
        static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) - static_cast<std::int64_t>(lo)) +
        1U;
    // 32-bit ranges are enough for image coordinates; take the high 32 bits of each output.
    const auto r32 = static_cast<std::uint32_t>(range);
    const std::uint32_t threshold = static_cast<std::uint32_t>(-r32) % r32;
    while (true) {
      const auto x = static_cast<std::uint32_t>(next() >> 32U);
      const std::uint64_t m = static_cast<std::uint64_t>(x) * r32;
      if (static_cast<std::uint32_t>(m) >= threshold) {
        return lo + static_cast<int>(m >> 32U);
      }
    }
  }

  /// Uniform double in [0, 1) from the top 53 bits.
  constexpr double uniform01() noexcept { return static_cast<double>(next() >> 11U) * 0x1.0p-53; }

  /// Uniform double in [lo, hi).
  constexpr double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform01(); }

 private:
  std::uint64_t state_;
};

}  // namespace visionwatch
