#pragma once
/// Seeded image challenges: a 64-bit seed gives a PNG, a question and the expected answer.
/// Pure and deterministic: the same seed gives the same bytes on every host (the font is
/// embedded in the executable; cairo, FreeType and zlib are Debian 12's). Thread-safe (no shared
/// mutable state). docs/challenges.md describes the images.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

enum class challenge_kind : std::uint8_t {
  digits,  ///< 4 to 6 random digits, large, dark on light
  color,   ///< one large filled shape in one of eight well-separated named colours
  shape,   ///< one of circle, square, triangle, star, cross, large and dark
  count,   ///< 1 to 9 separated dots of one size
};

std::string_view to_string(challenge_kind k) noexcept;
std::optional<challenge_kind> challenge_kind_from_string(std::string_view s) noexcept;

/// The prompt sent with each kind's image. Verdicts and fake gateways match on these exact texts.
inline constexpr std::string_view digits_question =
    "What number is written in the image? Reply with the digits only.";
inline constexpr std::string_view color_question =
    "What colour is the shape in the image? Reply with one word.";
inline constexpr std::string_view shape_question =
    "What shape is drawn in the image? Reply with one word.";
inline constexpr std::string_view count_question =
    "How many dots are in the image? Reply with a number only.";

/// The question for `k` (one of the constants above).
std::string_view question_for(challenge_kind k) noexcept;

/// Every canonical answer of a `color` challenge, in index order.
inline constexpr std::array<std::string_view, 8> challenge_colors = {
    "red", "orange", "yellow", "green", "blue", "purple", "gray", "black"};
/// The RGB value each of those colours is drawn with (before a brightness shift of at most ±8).
inline constexpr std::array<std::array<std::uint8_t, 3>, 8> challenge_color_rgb = {{
    {215, 25, 30},    // red
    {245, 130, 0},    // orange
    {240, 205, 0},    // yellow
    {30, 150, 50},    // green
    {25, 80, 215},    // blue
    {125, 45, 165},   // purple
    {128, 128, 128},  // gray
    {20, 20, 20},     // black
}};
/// Every canonical answer of a `shape` challenge, in index order ("cross" is a plus sign).
inline constexpr std::array<std::string_view, 5> challenge_shapes = {
    "circle", "square", "triangle", "star", "cross"};
/// `count` challenges show this many dots at most (at least 1); `digits` show 4 to 6 digits.
inline constexpr int challenge_max_dots = 9;

/// Accepted image sizes (pixels, each side).
inline constexpr int challenge_min_size = 64;
inline constexpr int challenge_max_size = 4096;

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
