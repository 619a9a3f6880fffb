#pragma once
/// Seeded image challenges: a 64-bit seed gives a PNG, a question and the expected answer.
/// Pure and deterministic: the same seed gives the same bytes on every host (the font is
/// embedded in the executable; cairo, FreeType and zlib are Debian 12's). Thread-safe: the one
/// shared state, the glyph masks rendered once per size, is behind a mutex. docs/challenges.md
/// describes the images.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace visionwatch {

enum class challenge_kind : std::uint8_t {
  digits,  ///< 4 to 6 random digits, large, dark on light
  color,   ///< four filled shapes in a row, each in one of eight well-separated named colours
  shape,   ///< five shapes in a row, each a circle, square, triangle, star or cross, dark
  count,   ///< four outlined boxes in a row, each holding 1 to 9 separated dots
};

/// The number of kinds: the size of every table indexed by challenge_kind.
inline constexpr std::size_t challenge_kind_count = 4;

std::string_view to_string(challenge_kind k) noexcept;
std::optional<challenge_kind> challenge_kind_from_string(std::string_view s) noexcept;

/// The prompt sent with each kind's image (one image per probe). Verdicts and fake gateways
/// match on these exact texts.
inline constexpr std::string_view digits_question =
    "What number is written in the image? Reply with the digits only.";
inline constexpr std::string_view color_question =
    "The image shows four shapes in a row. Name the colour of each shape from left to right, "
    "separated by spaces.";
inline constexpr std::string_view shape_question =
    "The image shows five shapes in a row. Name each shape from left to right (circle, square, "
    "triangle, star or cross), separated by spaces.";
inline constexpr std::string_view count_question =
    "The image shows four boxes in a row. How many dots are in each box? Reply with four "
    "numbers from left to right, separated by spaces.";

/// The question for one image of kind `k` (one of the constants above).
std::string_view question_for(challenge_kind k) noexcept;

/// The question for a probe of `images` images of kind `k` (1 to challenge_max_images): the
/// constant above for one image, otherwise the same request for every image in image order.
std::string question_for(challenge_kind k, int images);

/// Objects in one image: colours named, shapes named, boxes whose dots are counted.
inline constexpr int challenge_color_objects = 4;
inline constexpr int challenge_shape_objects = 5;
inline constexpr int challenge_count_boxes = 4;

/// Images one probe may carry (config `challenge.images`).
inline constexpr int challenge_max_images = 4;

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
/// Each box of a `count` challenge holds this many dots at most (at least 1); `digits` show 4
/// to 6 digits.
inline constexpr int challenge_max_dots = 9;

/// Accepted image sizes (pixels, each side). A kind may need more: see min_side_for.
inline constexpr int challenge_min_size = 64;
inline constexpr int challenge_max_size = 4096;

/// The smallest width and height a kind is drawn at, so every object stays legible to a weak
/// reader (the pixel reader reads each one back exactly down to this size): digits 64, color
/// 128, shape 256, count 256.
int min_side_for(challenge_kind k) noexcept;

/// The chance that the best single guess, made without seeing the images, is the right answer
/// to a probe of `images` images of kind `k`: the largest probability of any one answer the
/// generator can produce. digits: a 4-digit number (1/3 of lengths, 9 * 10^3 values) per image;
/// color 8^-4, shape 5^-5, count 9^-4 per image; images multiply.
double guess_probability(challenge_kind k, int images = 1) noexcept;

/// How a challenge's image is encoded (shapes jpeg, webp, gif; png for every other shape).
enum class image_format : std::uint8_t { png, jpeg, webp, gif };

/// "png", "jpeg", "webp", "gif".
std::string_view to_string(image_format f) noexcept;
/// The media type sent with the image: "image/png", "image/jpeg", "image/webp", "image/gif".
std::string_view media_type_of(image_format f) noexcept;

/// Shape `large`: the image size. Above every provider's downscale threshold (OpenAI: 2048 on
/// the long side and 768 on the short one, Anthropic: 1568, Gemini: 3072 / 768 tiles) and at
/// most 3072, so Gemini takes it as it is.
inline constexpr int challenge_large_width = 2400;
inline constexpr int challenge_large_height = 1600;

/// Shape `large`: the side of the square a kind's objects are laid out in, somewhere in the
/// large image: small enough that a downscale to 256 px on the long side loses the answer,
/// large enough that every documented downscale (down to OpenAI's 512 px of detail `low`)
/// keeps it (docs/challenges.md, "Large images").
int large_scene_side(challenge_kind k) noexcept;

struct challenge_options {
  challenge_kind kind = challenge_kind::digits;
  int width = 512;
  int height = 512;
  image_format format = image_format::png;
  /// Shape `rgba`: a PNG whose background is transparent, drawn so that a conversion that
  /// flattens transparency to black hides the answer while a correct one keeps it readable.
  bool transparent = false;
  /// Shape `large`: drawn above the size at which providers downscale, with objects sized so
  /// that a silent downscale far below the documented limit is caught while the documented
  /// one still reads right (width and height are then the generator's, not these).
  bool large = false;
};

struct challenge {
  challenge_kind kind = challenge_kind::digits;
  std::uint64_t seed = 0;
  std::string image;  ///< the encoded image (PNG unless options.format says otherwise)
  std::string_view media_type = "image/png";  ///< media_type_of(options.format)
  std::string question;                       ///< the prompt sent with the image
  /// Canonical expected answer, objects in reading order separated by one space: "48213",
  /// "red blue green red", "circle star cross square star", "3 7 1 9".
  std::string answer;
};

/// Generates the challenge for `seed`. Throws std::invalid_argument for sizes outside 64..4096
/// or under the kind's min_side_for.
challenge make_challenge(const challenge_options& options, std::uint64_t seed);

/// The images of one probe, in order, and what to ask about all of them.
struct challenge_set {
  challenge_kind kind = challenge_kind::digits;
  std::uint64_t seed = 0;
  std::vector<challenge> images;  ///< images[i] is the i-th image sent
  std::string question;           ///< question_for(kind, images.size())
  std::string answer;             ///< every image's answer in image order, one space apart
};

/// `images` challenges (1 to challenge_max_images) derived from `seed`: the first is
/// make_challenge(options, seed), so a one-image set is exactly today's probe; the others use
/// seeds mixed from `seed` and their index. Throws like make_challenge, and
/// std::invalid_argument for an image count outside 1..challenge_max_images.
challenge_set make_challenge_set(const challenge_options& options, std::uint64_t seed, int images);

/// A fresh seed per probe: a stable mix (SplitMix64-style) of route name, a per-process nonce and
/// the probe's sequence number, so no two probes (or processes) reuse a challenge.
std::uint64_t derive_seed(std::string_view route,
                          std::uint64_t nonce,
                          std::uint64_t sequence) noexcept;

}  // namespace visionwatch
