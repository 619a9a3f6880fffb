#pragma once
/// Drawing pieces shared by the challenge kinds (challenge_digits.cpp draws digits,
/// challenge_rows.cpp the rows of objects and their shapes, challenge_raster.cpp the band canvas
/// and the raster, challenge_encode.cpp encodes what they drew): shapes, the scene an image is
/// drawn into, the raster every format is encoded from. Internal to probes/; callers go through
/// challenge.hpp. Pure and thread-safe (the glyph cache locks itself).

#include <cairo.h>

#include <algorithm>
#include <array>
#include <cmath>
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

/// How a kind draws. `fast`, the probe path: cairo draws only the band of rows that holds ink
/// (the rest of the canvas is background and is never touched), and digits are composited from
/// glyph masks rendered once per size (challenge_font.hpp). `reference`: cairo draws the whole
/// canvas, glyphs included, as the images were first defined. Both give the same pixels
/// (tests/probes/challenge_test.cpp compares them); `fast` falls back to `reference` wherever
/// it could not promise that (ink at a band's edge, overlapping glyphs, an uncached size).
enum class draw_path : std::uint8_t { fast, reference };

/// 8-bit coverage (0 background, 255 full ink) of the rows [top, top + rows) of a canvas
/// `width` x `height`, row y at data + (y - top) * stride; every other row holds no ink. A view:
/// whoever drew it owns the bytes.
struct coverage_rows {
  const std::uint8_t* data = nullptr;
  std::size_t stride = 0;
  int width = 0;
  int height = 0;
  int top = 0;
  int rows = 0;

  [[nodiscard]] const std::uint8_t* row(int y) const noexcept {
    return data + static_cast<std::size_t>(y - top) * stride;
  }
};

/// Rows [top, top + rows) of a scene's canvas drawn with cairo, in scene coordinates (the
/// origin at the scene rectangle's corner): an integer translation, so every pixel is the one
/// a whole canvas would have.
class band_canvas {
 public:
  band_canvas(int canvas_width, int canvas_height, int scene_x, int scene_y, int top, int rows);
  [[nodiscard]] cairo_t* cr() const noexcept { return canvas_.cr(); }
  /// The drawing so far (flushes cairo).
  [[nodiscard]] coverage_rows coverage() const noexcept;
  /// Whether ink reaches the band's first or last row where the canvas goes on beyond it: the
  /// drawing may have been cut off there.
  [[nodiscard]] bool ink_at_cut() const noexcept;

 private:
  a8_canvas canvas_;
  int canvas_height_;
  int top_;
};

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

  /// Draws with `render` (given the cairo context, origin at the rectangle's corner). `fast`:
  /// into the canvas rows that scene rows [ink_top, ink_bottom] touch, widened by a few pixels
  /// for antialiasing, or, if ink reaches a cut edge after all, into the whole canvas;
  /// `reference`: into the whole canvas.
  template <class Render>
  [[nodiscard]] std::unique_ptr<band_canvas> draw(double ink_top,
                                                  double ink_bottom,
                                                  draw_path path,
                                                  Render&& render) const {
    if (path == draw_path::fast) {
      constexpr double antialias_margin = 3;
      const int top = std::max(0, static_cast<int>(std::floor(y + ink_top - antialias_margin)));
      const int bottom = std::min(
          canvas_height, static_cast<int>(std::ceil(y + ink_bottom + antialias_margin)) + 1);
      if (bottom > top) {
        auto band =
            std::make_unique<band_canvas>(canvas_width, canvas_height, x, y, top, bottom - top);
        render(band->cr());
        if (!band->ink_at_cut()) {
          return band;
        }
      }
    }
    auto whole = std::make_unique<band_canvas>(canvas_width, canvas_height, x, y, 0, canvas_height);
    render(whole->cr());
    return whole;
  }
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
/// high nibble, rows `row_bytes` long, as PNG packs them). A value is a grey level (value * 17
/// is the 8-bit grey) or a palette index. 16 values are plenty for antialiased flat shapes, and
/// the PNG encoder's cost grows with the raw bytes it is fed. Only the band of rows that holds
/// ink is stored; every other row is `background_row`.
struct raster {
  int width = 0;
  int height = 0;
  std::size_t row_bytes = 0;
  int top = 0;        ///< first row stored in `rows`
  int rows_held = 0;  ///< rows stored in `rows`
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): one byte block, not zeroed where all is written
  std::unique_ptr<std::uint8_t[]> rows;      ///< rows top .. top + rows_held - 1
  std::vector<std::uint8_t> background_row;  ///< row_bytes of the background value
  bool grey = true;           ///< values are grey levels; otherwise indexes into `palette`
  std::vector<rgb8> palette;  ///< palette rasters: each index's colour (16 at most)
  /// Shape `rgba`: each value on a transparent background, its ink colour (black for grey
  /// rasters, the fill for palette ones) with the ink's coverage as alpha; the background
  /// value is transparent black.
  std::array<rgba8, 16> see_through{};

  [[nodiscard]] const std::uint8_t* row(int y) const noexcept {
    return y >= top && y < top + rows_held
               ? rows.get() + static_cast<std::size_t>(y - top) * row_bytes
               : background_row.data();
  }
  /// row(0) .. row(height - 1): background rows share one pointer.
  [[nodiscard]] std::vector<const std::uint8_t*> row_pointers() const;
};

/// Greyscale raster: coverage 0..255 mapped onto 16 levels from `background_level` to
/// `ink_level` (grey levels 0..15, value * 17 = 8-bit grey).
raster grey_raster(const coverage_rows& coverage, int background_level, int ink_level);

/// The raster in the format and transparency `options` ask for (challenge_encode.cpp).
std::string encode_raster(const raster& r, const challenge_options& options);

/// One image of a kind; `answer` is the canonical answer.
struct drawn {
  raster image;
  std::string answer;
};

drawn draw_digits(seeded_rng& rng,
                  const scene& where,
                  bool large,
                  draw_path path = draw_path::fast);
drawn draw_color(seeded_rng& rng, const scene& where, draw_path path = draw_path::fast);
drawn draw_shape(seeded_rng& rng, const scene& where, draw_path path = draw_path::fast);
drawn draw_count(seeded_rng& rng, const scene& where, draw_path path = draw_path::fast);

}  // namespace visionwatch::challenge_detail
