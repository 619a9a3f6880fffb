// The public face of challenges: questions, sizes, odds, seeds, and make_challenge, which draws
// one kind (challenge_digits.cpp, challenge_rows.cpp) into its scene and encodes it
// (challenge_encode.cpp).

#include "probes/challenge.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "probes/challenge_detail.hpp"
#include "probes/seeded_rng.hpp"

namespace visionwatch {
namespace challenge_detail {

scene large_scene(challenge_kind kind, std::uint64_t seed) {
  const int side = large_scene_side(kind);
  // A generator of its own: the kind's generator, and so the answer, stay as without `large`.
  seeded_rng rng(splitmix64_mix(seed ^ 0x6c61726765736365ULL));  // "largesce"
  // At least 5% of the height from every edge, so the border stays background.
  const int margin = challenge_large_height / 20;
  return scene{challenge_large_width,
               challenge_large_height,
               rng.uniform_int(margin, challenge_large_width - side - margin),
               rng.uniform_int(margin, challenge_large_height - side - margin),
               side,
               side};
}

}  // namespace challenge_detail

namespace {

/// What differs between the kinds, one row per challenge_kind in enum order.
struct kind_traits {
  std::string_view question;      ///< the prompt for one image
  std::string_view set_question;  ///< the prompt for several images
  int min_side;                   ///< the smallest width and height it is drawn at
  /// Shape `large`: the side of the square its objects are laid out in. Each the smallest
  /// square (in steps of 100 px, 20 px for digits) whose objects still read right in at least
  /// 99% of seeds after the smallest documented downscale, OpenAI's 512 px for detail `low`
  /// (tesseract for digits, the pixel reader for the others; docs/challenges.md).
  int large_scene_side;
  double guess_per_object;  ///< the chance of the best guess at one object
  int objects;              ///< the objects an image holds that are guessed independently
};

constexpr std::array<kind_traits, challenge_kind_count> kinds = {{
    // Lengths 4, 5 and 6 are equally likely; a leading digit 1-9, then 0-9. The likeliest
    // single answer is any 4-digit number.
    {digits_question,
     "Each image shows a number. Reply with the numbers in image order, separated by spaces.",
     challenge_min_size,
     380,
     1.0 / 3.0 / 9000.0,
     1},
    {color_question,
     "Each image shows four shapes in a row. Name the colour of each shape from left to right, "
     "image by image in image order, separated by spaces.",
     128,
     300,
     1.0 / static_cast<double>(challenge_colors.size()),
     challenge_color_objects},
    {shape_question,
     "Each image shows five shapes in a row. Name each shape from left to right (circle, "
     "square, triangle, star or cross), image by image in image order, separated by spaces.",
     256,
     1200,
     1.0 / static_cast<double>(challenge_shapes.size()),
     challenge_shape_objects},
    {count_question,
     "Each image shows four boxes in a row. How many dots are in each box? Reply with four "
     "numbers per image from left to right, image by image in image order, separated by spaces.",
     256,
     1400,
     1.0 / challenge_max_dots,
     challenge_count_boxes},
}};
static_assert(static_cast<std::size_t>(challenge_kind::count) + 1 == challenge_kind_count);

/// A value outside the enum (a cast, never a parsed name).
constexpr kind_traits unknown_kind = {
    digits_question, kinds[0].set_question, challenge_min_size, 600, 1.0, 1};

const kind_traits& traits_of(challenge_kind k) noexcept {
  const auto i = static_cast<std::size_t>(k);
  return i < kinds.size() ? kinds[i] : unknown_kind;
}

}  // namespace

std::string_view question_for(challenge_kind k) noexcept { return traits_of(k).question; }

std::string question_for(challenge_kind k, int images) {
  const kind_traits& t = traits_of(k);
  return std::string(images <= 1 ? t.question : t.set_question);
}

int min_side_for(challenge_kind k) noexcept { return traits_of(k).min_side; }

int large_scene_side(challenge_kind k) noexcept { return traits_of(k).large_scene_side; }

double guess_probability(challenge_kind k, int images) noexcept {
  const kind_traits& t = traits_of(k);
  const double one = std::pow(t.guess_per_object, t.objects);
  return std::pow(one, std::max(1, images));
}

challenge make_challenge(const challenge_options& options, std::uint64_t seed) {
  const auto in_range = [](int v) { return v >= challenge_min_size && v <= challenge_max_size; };
  if (!in_range(options.width) || !in_range(options.height)) {
    throw std::invalid_argument("challenge size " + std::to_string(options.width) + "x" +
                                std::to_string(options.height) + " is outside " +
                                std::to_string(challenge_min_size) + ".." +
                                std::to_string(challenge_max_size) + " pixels per side");
  }
  const int min_side = min_side_for(options.kind);
  if (options.width < min_side || options.height < min_side) {
    throw std::invalid_argument(
        std::string(to_string(options.kind)) + " challenges need at least " +
        std::to_string(min_side) + "x" + std::to_string(min_side) + " pixels (asked for " +
        std::to_string(options.width) + "x" + std::to_string(options.height) + ")");
  }
  if (options.transparent && options.format != image_format::png) {
    throw std::invalid_argument("a transparent challenge is a PNG (asked for " +
                                std::string(to_string(options.format)) + ")");
  }
  // The kind is mixed in so that the same seed gives unrelated images across kinds.
  seeded_rng rng(seed ^ splitmix64_mix(static_cast<std::uint64_t>(options.kind) + 1U));
  const challenge_detail::scene where =
      options.large ? challenge_detail::large_scene(options.kind, seed)
                    : challenge_detail::scene{
                          options.width, options.height, 0, 0, options.width, options.height};
  challenge_detail::drawn d;
  switch (options.kind) {
    case challenge_kind::digits:
      d = challenge_detail::draw_digits(rng, where, options.large);
      break;
    case challenge_kind::color:
      d = challenge_detail::draw_color(rng, where);
      break;
    case challenge_kind::shape:
      d = challenge_detail::draw_shape(rng, where);
      break;
    case challenge_kind::count:
      d = challenge_detail::draw_count(rng, where);
      break;
    default:
      throw std::invalid_argument("unknown challenge kind");
  }
  challenge c;
  c.image = challenge_detail::encode_raster(d.image, options);
  c.media_type = media_type_of(options.format);
  c.answer = std::move(d.answer);
  c.kind = options.kind;
  c.seed = seed;
  c.question = std::string(question_for(options.kind));
  return c;
}

challenge_set make_challenge_set(const challenge_options& options, std::uint64_t seed, int images) {
  if (images < 1 || images > challenge_max_images) {
    throw std::invalid_argument("a probe carries 1 to " + std::to_string(challenge_max_images) +
                                " images, not " + std::to_string(images));
  }
  challenge_set set;
  set.kind = options.kind;
  set.seed = seed;
  set.question = question_for(options.kind, images);
  for (int i = 0; i < images; ++i) {
    // Image 0 keeps the probe's seed; the others get unrelated seeds of their own.
    const std::uint64_t image_seed =
        i == 0 ? seed
               : splitmix64_mix(seed ^ (0xd1b54a32d192ed03ULL * static_cast<std::uint64_t>(i)));
    set.images.push_back(make_challenge(options, image_seed));
    set.answer += i == 0 ? "" : " ";
    set.answer += set.images.back().answer;
  }
  return set;
}

std::uint64_t derive_seed(std::string_view route,
                          std::uint64_t nonce,
                          std::uint64_t sequence) noexcept {
  // FNV-1a spreads the route name over 64 bits; each further input goes through the SplitMix64
  // finaliser, so a one-bit change anywhere flips about half of the output bits.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char ch : route) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;
  }
  std::uint64_t x = splitmix64_mix(h + 0x9e3779b97f4a7c15ULL);
  x = splitmix64_mix(x ^ nonce);
  x = splitmix64_mix(x + 0x9e3779b97f4a7c15ULL * (sequence + 1U));
  return x;
}

}  // namespace visionwatch
