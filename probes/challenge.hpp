#pragma once
/// Seeded image challenges: a 64-bit seed gives a PNG, a question and the expected answer.
/// Pure and deterministic: the same seed gives the same bytes on every host (the font is
/// embedded in the executable). Thread-safe (no shared mutable state).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

enum class challenge_kind : std::uint8_t {
  digits,  ///< 4 to 6 random digits, large, dark on light
  color,   ///< one large filled shape in one of eight well-separated named colours
  shape,   ///< circle, square, triangle, star, cross, ...
  count,   ///< 1 to 9 separated dots
};

std::string_view to_string(challenge_kind k) noexcept;
std::optional<challenge_kind> challenge_kind_from_string(std::string_view s) noexcept;

struct challenge_options {
  challenge_kind kind = challenge_kind::digits;
  int width = 512;
  int height = 512;
};

struct challenge {
  challenge_kind kind = challenge_kind::digits;
  std::uint64_t seed = 0;
  std::string png;       ///< encoded PNG bytes
  std::string question;  ///< the prompt sent with the image
  std::string answer;    ///< canonical expected answer: "48213", "red", "triangle", "7"
};

/// Generates the challenge for `seed`. Throws std::invalid_argument for sizes outside 64..4096.
challenge make_challenge(const challenge_options& options, std::uint64_t seed);

/// A fresh seed per probe: a stable mix (SplitMix64-style) of route name, a per-process nonce and
/// the probe's sequence number, so no two probes (or processes) reuse a challenge.
std::uint64_t derive_seed(std::string_view route,
                          std::uint64_t nonce,
                          std::uint64_t sequence) noexcept;

}  // namespace visionwatch
