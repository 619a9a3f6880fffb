#pragma once
/// Drawing pieces shared by the challenge kinds (challenge.cpp draws digits, challenge_rows.cpp
/// the rows of objects, challenge_encode.cpp encodes what they drew): shapes, the scene an image
/// is drawn into, the raster every format is encoded from. Internal to probes/; callers go
/// through challenge.hpp. Pure and thread-safe.

#include <cairo.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "probes/a8_canvas.hpp"
#include "probes/challenge.hpp"
#include "probes/png_codec.hpp"
#include "probes/seeded_rng.hpp"

namespace visionwatch::challenge_detail {

/// The five shapes, in challenge_shapes order.
enum class shape_id : std::uint8_t { circle, square, triangle, star, cross };

/// Fills `shape` inside the circle (cx, cy, radius). Every shape is upright and axis-aligned: a
/// rotated square reads as "diamond", a rotated cross as "x".
void fill_shape(cairo_t* cr, shape_id shape, double cx, double cy, double radius);

/// Where a kind draws: a canvas of canvas_width x canvas_height, and in it the rectangle
/// (x, y, width, height) the kind lays its objects out in. For every shape but `large` the
/// rectangle is the whole canvas.
struct scene {
  int canvas_width = 512;
  int canvas_height = 512;
  int x = 0;
  int y = 0;
  int width = 512;
  int height = 512;

  /// A zero-filled canvas of the scene's size, its origin moved to the rectangle's corner.
  [[nodiscard]] std::unique_ptr<a8_canvas> make_canvas() const;
};

/// The scene of a `large` challenge of `kind`: the canvas challenge_large_width x
/// challenge_large_height, the kind's scene a square of large_scene_side(kind) at a position
/// drawn from `seed` (from a generator of its own, so the answer is the same as without
/// `large`).
scene large_scene(challenge_kind kind, std::uint64_t seed);

/// Shape `large`, digits: the ink of neighbouring digits this far apart (in em).
inline constexpr double large_digit_gap_em = 0.075;

/// A pixel with straight alpha.
struct rgba8 {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  std::uint8_t a = 0;
};

/// A drawn image before encoding, 4 bits per pixel, two pixels per byte (the leftmost in the
/// high nibble, rows `row_bytes` apart, as PNG packs them). A value is a grey level (value * 17
/// is the 8-bit grey) or a palette index. 16 values are plenty for antialiased flat shapes, and
/// the PNG encoder's cost grows with the raw bytes it is fed.
struct raster {
  int width = 0;
  int height = 0;
  std::size_t row_bytes = 0;
  std::unique_ptr<std::uint8_t[]> rows;
  bool grey = true;           ///< values are grey levels; otherwise indexes into `palette`
  std::vector<rgb8> palette;  ///< palette rasters: each index's colour (16 at most)
  /// Shape `rgba`: each value on a transparent background, its ink colour (black for grey
  /// rasters, the fill for palette ones) with the ink's coverage as alpha; the background
  /// value is transparent black.
  std::array<rgba8, 16> see_through{};
};

/// Greyscale raster: coverage 0..255 mapped onto 16 levels from `background_level` to
/// `ink_level` (grey levels 0..15, value * 17 = 8-bit grey).
raster grey_raster(const a8_canvas& canvas, int background_level, int ink_level);

/// The raster in the format and transparency `options` ask for (challenge_encode.cpp).
std::string encode_raster(const raster& r, const challenge_options& options);

/// One image of a kind; `answer` is the canonical answer.
struct drawn {
  raster image;
  std::string answer;
};

drawn draw_digits(seeded_rng& rng, const scene& where, bool large);
drawn draw_color(seeded_rng& rng, const scene& where);
drawn draw_shape(seeded_rng& rng, const scene& where);
drawn draw_count(seeded_rng& rng, const scene& where);

}  // namespace visionwatch::challenge_detail
