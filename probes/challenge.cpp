#include "probes/challenge.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "probes/a8_canvas.hpp"
#include "probes/challenge_font.hpp"
#include "probes/png_codec.hpp"
#include "probes/seeded_rng.hpp"

namespace visionwatch {
namespace {

constexpr double pi = std::numbers::pi;

enum class shape_id : std::uint8_t { circle, square, triangle, star, cross };

std::uint8_t clamp_byte(int v) noexcept { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); }

// --- geometry, all relative to a centre and an outer radius R --------------------------------

void path_polygon(cairo_t* cr, double cx, double cy, double radius, int corners, double inner) {
  // Corners start at the top; with `inner` > 0, every other vertex sits at inner * radius (star).
  const int vertices = inner > 0 ? corners * 2 : corners;
  for (int i = 0; i < vertices; ++i) {
    const double r = (inner > 0 && i % 2 == 1) ? radius * inner : radius;
    const double a = -pi / 2 + 2 * pi * i / vertices;
    const double x = cx + r * std::cos(a);
    const double y = cy + r * std::sin(a);
    if (i == 0) {
      cairo_move_to(cr, x, y);
    } else {
      cairo_line_to(cr, x, y);
    }
  }
  cairo_close_path(cr);
}

/// Fills `shape` inside the circle (cx, cy, radius). Every shape is upright and axis-aligned: a
/// rotated square reads as "diamond", a rotated cross as "x".
void fill_shape(cairo_t* cr, shape_id shape, double cx, double cy, double radius) {
  switch (shape) {
    case shape_id::circle:
      cairo_arc(cr, cx, cy, radius * 0.92, 0, 2 * pi);
      break;
    case shape_id::square: {
      const double half = radius * 0.8;
      cairo_rectangle(cr, cx - half, cy - half, 2 * half, 2 * half);
      break;
    }
    case shape_id::triangle:
      // Equilateral, pointing up, centroid lowered so the bounding box is centred.
      path_polygon(cr, cx, cy + radius * 0.25, radius, 3, 0);
      break;
    case shape_id::star:
      // Five points; inner radius 0.42 keeps the arms thick enough to read at small sizes.
      path_polygon(cr, cx, cy + radius * 0.1, radius, 5, 0.42);
      break;
    case shape_id::cross: {
      // A plus sign (Greek cross): arms a third of its span wide.
      const double half = radius * 0.85;
      const double arm = half / 3;
      cairo_rectangle(cr, cx - half, cy - arm, 2 * half, 2 * arm);
      cairo_rectangle(cr, cx - arm, cy - half, 2 * arm, 2 * half);
      cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
      break;
    }
  }
  cairo_fill(cr);
}

/// A random outer radius and centre for one large shape, keeping a margin of 6% of the short side.
struct placement {
  double cx;
  double cy;
  double radius;
};

placement place_large_shape(seeded_rng& rng, int width, int height) {
  const double side = std::min(width, height);
  const double radius = side * rng.uniform(0.30, 0.38);
  const double margin = side * 0.06 + radius;
  return placement{
      rng.uniform(margin, width - margin), rng.uniform(margin, height - margin), radius};
}

// --- coverage -> pixels ----------------------------------------------------------------------
//
// Images are written with 4 bits per pixel (16 grey levels or 16 palette entries): zlib's time
// grows with the raw bytes it is fed and dominates the cost of a challenge, and 16 levels are
// plenty for antialiased edges (15 intermediate steps between background and ink).

constexpr int levels = 16;

/// Coverage 0..255 -> one of the 16 levels on the line from `from` (coverage 0) to `to` (255).
std::array<std::uint8_t, 256> level_table(int from, int to) {
  std::array<std::uint8_t, 256> table{};
  for (int a = 0; a < 256; ++a) {
    const int scaled = from * 255 + (to - from) * a;  // level * 255, in 0 .. 15 * 255
    table[static_cast<std::size_t>(a)] = static_cast<std::uint8_t>((scaled + 127) / 255);
  }
  return table;
}

/// True when the `n` bytes at `p` are all zero; word-wise, so the compiler vectorises it.
bool all_zero(const std::uint8_t* p, std::size_t n) {
  std::uint64_t any = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p + i, sizeof word);
    any |= word;
  }
  for (; i < n; ++i) {
    any |= p[i];
  }
  return any == 0;
}

/// Packs the canvas into 4-bit PNG rows, two pixels per byte, through `level`. Most of an image
/// is untouched background, so blocks of eight zero-coverage pixels take a shortcut. Every
/// output byte is written, so the buffer is not zeroed first.
std::unique_ptr<std::uint8_t[]> pack_nibbles(const a8_canvas& canvas,
                                             const std::array<std::uint8_t, 256>& level,
                                             std::size_t& row_bytes) {
  const int w = canvas.width();
  const int h = canvas.height();
  row_bytes = (static_cast<std::size_t>(w) + 1U) / 2U;
  auto out =
      std::make_unique_for_overwrite<std::uint8_t[]>(row_bytes * static_cast<std::size_t>(h));
  const std::uint8_t* src = canvas.data();
  const std::size_t stride = canvas.stride();
  const auto pair = [&level](std::uint8_t left, std::uint8_t right) {
    return static_cast<std::uint8_t>(level[left] << 4U | level[right]);
  };
  const std::uint8_t background_pair = pair(0, 0);
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* in = src + static_cast<std::size_t>(y) * stride;
    std::uint8_t* o = out.get() + static_cast<std::size_t>(y) * row_bytes;
    if (all_zero(in, static_cast<std::size_t>(w))) {  // a background row: most of them
      std::memset(o, background_pair, static_cast<std::size_t>(w) / 2U);
      if (w % 2 != 0) {
        o[row_bytes - 1] = static_cast<std::uint8_t>(level[0] << 4U);
      }
      continue;
    }
    int x = 0;
    for (; x + 8 <= w; x += 8) {
      std::uint64_t block = 0;
      std::memcpy(&block, in + x, sizeof block);
      std::uint8_t* dst = o + x / 2;
      if (block == 0) {
        std::memset(dst, background_pair, 4);
        continue;
      }
      for (int k = 0; k < 8; k += 2) {
        dst[k / 2] = pair(in[x + k], in[x + k + 1]);
      }
    }
    for (; x < w; x += 2) {
      const std::uint8_t right = x + 1 < w ? level[in[x + 1]] : 0;
      o[x / 2] = static_cast<std::uint8_t>(level[in[x]] << 4U | right);
    }
  }
  return out;
}

/// Greyscale: `background_level` and `ink_level` are 4-bit grey levels (value * 17 = 8-bit grey).
std::string encode_coverage_grey(const a8_canvas& canvas, int background_level, int ink_level) {
  std::size_t row_bytes = 0;
  const auto rows = pack_nibbles(canvas, level_table(background_level, ink_level), row_bytes);
  return encode_grey(rows.get(), canvas.width(), canvas.height(), row_bytes, 4);
}

/// Palette: entry i blends background and fill at i/15, and coverage picks the nearest entry.
std::string encode_coverage_palette(const a8_canvas& canvas, rgb8 background, rgb8 fill) {
  std::array<rgb8, levels> palette{};
  const auto blend = [](int from, int to, int i) {
    return static_cast<std::uint8_t>((from * (levels - 1) + (to - from) * i + (levels - 1) / 2) /
                                     (levels - 1));
  };
  for (int i = 0; i < levels; ++i) {
    palette[static_cast<std::size_t>(i)] = rgb8{blend(background.r, fill.r, i),
                                                blend(background.g, fill.g, i),
                                                blend(background.b, fill.b, i)};
  }
  std::size_t row_bytes = 0;
  const auto rows = pack_nibbles(canvas, level_table(0, levels - 1), row_bytes);
  return encode_palette(rows.get(), canvas.width(), canvas.height(), row_bytes, 4, palette);
}

// --- the four kinds --------------------------------------------------------------------------

struct text_layout {
  std::array<double, 6> pen_x{};  // pen position of each digit relative to the ink box's left
  double ink_left = 0;
  double ink_width = 0;
  double ink_top = 0;  // relative to the baseline (negative: above)
  double ink_height = 0;
};

text_layout layout_digits(cairo_t* cr, const std::string& text, double spacing) {
  text_layout l;
  double pen = 0;
  double top = 0;
  double bottom = 0;
  std::array<char, 2> glyph{};
  for (std::size_t i = 0; i < text.size(); ++i) {
    glyph[0] = text[i];
    cairo_text_extents_t e;
    cairo_text_extents(cr, glyph.data(), &e);
    l.pen_x[i] = pen;
    if (i == 0) {
      l.ink_left = e.x_bearing;
    }
    if (i + 1 == text.size()) {
      l.ink_width = pen + e.x_bearing + e.width - l.ink_left;
    }
    top = std::min(top, e.y_bearing);
    bottom = std::max(bottom, e.y_bearing + e.height);
    pen += e.x_advance + spacing;
  }
  l.ink_top = top;
  l.ink_height = bottom - top;
  return l;
}

challenge draw_digits(seeded_rng& rng, int width, int height) {
  const int length = rng.uniform_int(4, 6);
  std::string text;
  text.push_back(static_cast<char>('0' + rng.uniform_int(1, 9)));
  for (int i = 1; i < length; ++i) {
    text.push_back(static_cast<char>('0' + rng.uniform_int(0, 9)));
  }
  // Grey levels 0..15 (x17 = 8-bit grey): background 238 or 255, ink 0, 17 or 34.
  const int background = rng.uniform_int(14, 15);
  const int ink = rng.uniform_int(0, 2);
  // 85 to 95 px at 512: six bold digits fill about 80% of the width. Measured with Tesseract
  // (psm 7, digits whitelist) over 2,500 seeds: 100-110 px read 98.8% exactly (a leading 8
  // becomes 6), 88-98 px 99.8%, 85-95 px 99.96%; 70-90 px was no better (99.8%). Letter spacing
  // (0.05 to 0.18 em) and wider margins made no difference.
  const double side = std::min(width, height);
  double font_px = std::round(side * rng.uniform_int(85, 95) / 512.0);
  const double spacing_em = rng.uniform(0.05, 0.09);
  const double jitter_x = rng.uniform(0.3, 0.7);
  const double jitter_y = rng.uniform(0.3, 0.7);

  a8_canvas canvas(width, height);
  cairo_t* cr = canvas.cr();
  use_challenge_font(cr, font_px);
  text_layout layout = layout_digits(cr, text, font_px * spacing_em);
  // Shrink to fit 90% of the width and 80% of the height (only narrow or very short images).
  const double fit = std::min(width * 0.9 / layout.ink_width, height * 0.8 / layout.ink_height);
  if (fit < 1.0) {
    font_px = std::floor(font_px * fit);
    use_challenge_font(cr, font_px);
    layout = layout_digits(cr, text, font_px * spacing_em);
  }
  const double origin_x = (width - layout.ink_width) * jitter_x - layout.ink_left;
  const double baseline = (height - layout.ink_height) * jitter_y - layout.ink_top;
  std::array<char, 2> glyph{};
  for (std::size_t i = 0; i < text.size(); ++i) {
    glyph[0] = text[i];
    cairo_move_to(cr, std::round(origin_x + layout.pen_x[i]), std::round(baseline));
    cairo_show_text(cr, glyph.data());
  }
  challenge c;
  c.png = encode_coverage_grey(canvas, background, ink);
  c.answer = std::move(text);
  return c;
}

challenge draw_color(seeded_rng& rng, int width, int height) {
  const int index = rng.uniform_int(0, static_cast<int>(challenge_colors.size()) - 1);
  const int light = rng.uniform_int(236, 255);
  const rgb8 background{clamp_byte(light), clamp_byte(light), clamp_byte(light)};
  // A small brightness shift: varies the bytes without moving the colour towards a neighbour.
  const int shift = rng.uniform_int(-8, 8);
  const auto& base = challenge_color_rgb[static_cast<std::size_t>(index)];
  const rgb8 fill{
      clamp_byte(base[0] + shift), clamp_byte(base[1] + shift), clamp_byte(base[2] + shift)};
  // Large, compact shapes only: a thin star would leave little colour to see.
  const auto shape = static_cast<shape_id>(rng.uniform_int(0, 2));
  const placement p = place_large_shape(rng, width, height);

  a8_canvas canvas(width, height);
  fill_shape(canvas.cr(), shape, p.cx, p.cy, p.radius);
  challenge c;
  c.png = encode_coverage_palette(canvas, background, fill);
  c.answer = std::string(challenge_colors[static_cast<std::size_t>(index)]);
  return c;
}

challenge draw_shape(seeded_rng& rng, int width, int height) {
  const int index = rng.uniform_int(0, static_cast<int>(challenge_shapes.size()) - 1);
  const int background = rng.uniform_int(14, 15);  // grey levels, as for digits
  const int ink = rng.uniform_int(0, 3);
  const placement p = place_large_shape(rng, width, height);

  a8_canvas canvas(width, height);
  fill_shape(canvas.cr(), static_cast<shape_id>(index), p.cx, p.cy, p.radius);
  challenge c;
  c.png = encode_coverage_grey(canvas, background, ink);
  c.answer = std::string(challenge_shapes[static_cast<std::size_t>(index)]);
  return c;
}

struct point {
  double x;
  double y;
};

/// Places `n` dot centres with at least one radius of free space between any two dots.
/// Rejection sampling with a bounded number of attempts; if it runs out (it does not for the
/// sizes we draw, but the bound must not depend on luck) a jittered 3x3 grid takes over.
std::vector<point> place_dots(seeded_rng& rng, int n, double radius, int width, int height) {
  const double margin = radius + std::min(width, height) * 0.04;
  const double min_distance = radius * 3;
  constexpr int attempts_per_dot = 200;
  std::vector<point> dots;
  dots.reserve(static_cast<std::size_t>(n));
  for (int attempt = 0; attempt < attempts_per_dot * n && std::ssize(dots) < n; ++attempt) {
    const point c{rng.uniform(margin, width - margin), rng.uniform(margin, height - margin)};
    const bool clear = std::all_of(dots.begin(), dots.end(), [&](const point& d) {
      return std::hypot(d.x - c.x, d.y - c.y) >= min_distance;
    });
    if (clear) {
      dots.push_back(c);
    }
  }
  if (std::ssize(dots) == n) {
    return dots;
  }
  std::array<int, 9> cells = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  for (int i = 8; i > 0; --i) {
    std::swap(cells[static_cast<std::size_t>(i)],
              cells[static_cast<std::size_t>(rng.uniform_int(0, i))]);
  }
  const double cell_w = (width - 2 * margin) / 3;
  const double cell_h = (height - 2 * margin) / 3;
  const double jitter_x = std::max(0.0, (cell_w - min_distance) / 2);
  const double jitter_y = std::max(0.0, (cell_h - min_distance) / 2);
  dots.clear();
  for (int i = 0; i < n; ++i) {
    const int cell = cells[static_cast<std::size_t>(i)];
    dots.push_back(point{margin + cell_w * (cell % 3 + 0.5) + rng.uniform(-jitter_x, jitter_x),
                         margin + cell_h * (cell / 3 + 0.5) + rng.uniform(-jitter_y, jitter_y)});
  }
  return dots;
}

challenge draw_count(seeded_rng& rng, int width, int height) {
  const int n = rng.uniform_int(1, challenge_max_dots);
  const int background = rng.uniform_int(14, 15);  // grey levels, as for digits
  const int ink = rng.uniform_int(0, 3);
  const double radius = std::min(width, height) * rng.uniform(0.035, 0.05);
  const std::vector<point> dots = place_dots(rng, n, radius, width, height);

  a8_canvas canvas(width, height);
  cairo_t* cr = canvas.cr();
  for (const point& d : dots) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, d.x, d.y, radius, 0, 2 * pi);
  }
  cairo_fill(cr);
  challenge c;
  c.png = encode_coverage_grey(canvas, background, ink);
  c.answer = std::to_string(n);
  return c;
}

}  // namespace

std::string_view question_for(challenge_kind k) noexcept {
  switch (k) {
    case challenge_kind::digits:
      return digits_question;
    case challenge_kind::color:
      return color_question;
    case challenge_kind::shape:
      return shape_question;
    case challenge_kind::count:
      return count_question;
  }
  return digits_question;
}

challenge make_challenge(const challenge_options& options, std::uint64_t seed) {
  const auto in_range = [](int v) { return v >= challenge_min_size && v <= challenge_max_size; };
  if (!in_range(options.width) || !in_range(options.height)) {
    throw std::invalid_argument("challenge size " + std::to_string(options.width) + "x" +
                                std::to_string(options.height) + " is outside " +
                                std::to_string(challenge_min_size) + ".." +
                                std::to_string(challenge_max_size) + " pixels per side");
  }
  // The kind is mixed in so that the same seed gives unrelated images across kinds.
  seeded_rng rng(seed ^ splitmix64_mix(static_cast<std::uint64_t>(options.kind) + 1U));
  challenge c;
  switch (options.kind) {
    case challenge_kind::digits:
      c = draw_digits(rng, options.width, options.height);
      break;
    case challenge_kind::color:
      c = draw_color(rng, options.width, options.height);
      break;
    case challenge_kind::shape:
      c = draw_shape(rng, options.width, options.height);
      break;
    case challenge_kind::count:
      c = draw_count(rng, options.width, options.height);
      break;
    default:
      throw std::invalid_argument("unknown challenge kind");
  }
  c.kind = options.kind;
  c.seed = seed;
  c.question = std::string(question_for(options.kind));
  return c;
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
