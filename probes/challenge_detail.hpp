#pragma once
/// Drawing pieces shared by the challenge kinds (challenge.cpp draws digits, challenge_rows.cpp
/// the rows of objects): shapes, coverage-to-PNG encoders. Internal to probes/; callers go
/// through challenge.hpp. Pure and thread-safe.

#include <cairo.h>

#include <array>
#include <cstdint>
#include <string>

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

/// Greyscale 4-bit PNG: coverage 0..255 mapped onto 16 levels from `background_level` to
/// `ink_level` (grey levels 0..15, value * 17 = 8-bit grey).
std::string encode_coverage_grey(const a8_canvas& canvas, int background_level, int ink_level);

/// One image of a kind drawn from a row of objects; `answer` is the canonical answer.
struct drawn {
  std::string png;
  std::string answer;
};

drawn draw_color(seeded_rng& rng, int width, int height);
drawn draw_shape(seeded_rng& rng, int width, int height);
drawn draw_count(seeded_rng& rng, int width, int height);

}  // namespace visionwatch::challenge_detail
