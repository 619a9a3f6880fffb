#include "probes/challenge.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <vector>

#include "probes/a8_canvas.hpp"
#include "probes/challenge_detail.hpp"
#include "probes/challenge_font.hpp"
#include "probes/png_codec.hpp"
#include "probes/seeded_rng.hpp"

namespace visionwatch {
namespace challenge_detail {
namespace {

constexpr double pi = std::numbers::pi;

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

}  // namespace

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

namespace {

// --- coverage -> pixels ----------------------------------------------------------------------
//
// Images are written with 4 bits per pixel (16 grey levels or 16 palette entries): zlib's time
// grows with the raw bytes it is fed and dominates the cost of a challenge, and 16 levels are
// plenty for antialiased edges (15 intermediate steps between background and ink).

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

/// The levels of 2n coverage bytes from `in`, packed two to a byte into `out`: what
/// level_table(from, to) gives, computed rather than looked up so that it runs 32 pixels at a
/// time (level * 255 + 127 stays under 2^13, and (v + 1 + (v >> 8)) >> 8 is v / 255 below
/// 65535). Blocks without ink take a shortcut.
void pack_pairs(const std::uint8_t* in, std::uint8_t* out, std::size_t n, int from, int to) {
  const auto base = static_cast<std::uint16_t>(from * 255 + 127);
  const auto delta = static_cast<std::uint16_t>(to - from);  // modulo 2^16 when negative
  const auto level = [base, delta](std::uint8_t coverage) {
    const auto v = static_cast<std::uint16_t>(base + delta * coverage);
    return static_cast<std::uint16_t>((v + 1U + (v >> 8U)) >> 8U);
  };
  std::size_t k = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  const __m128i base8 = _mm_set1_epi16(static_cast<short>(base));
  const __m128i delta8 = _mm_set1_epi16(static_cast<short>(delta));
  const __m128i one = _mm_set1_epi16(1);
  const __m128i low16 = _mm_set1_epi32(0xffff);
  const auto background = static_cast<char>(level(0) << 4U | level(0));
  // Eight coverage bytes (as 16-bit lanes) to four packed bytes (as 32-bit lanes).
  const auto pairs_of = [&](__m128i coverage) {
    __m128i v = _mm_add_epi16(base8, _mm_mullo_epi16(delta8, coverage));
    v = _mm_srli_epi16(_mm_add_epi16(_mm_add_epi16(v, one), _mm_srli_epi16(v, 8)), 8);
    return _mm_or_si128(_mm_slli_epi32(_mm_and_si128(v, low16), 4), _mm_srli_epi32(v, 16));
  };
  for (; k + 16 <= n; k += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * k));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * k + 16));
    __m128i packed;
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(a, b), zero)) == 0xffff) {
      packed = _mm_set1_epi8(background);
    } else {
      const __m128i front = _mm_packs_epi32(pairs_of(_mm_unpacklo_epi8(a, zero)),
                                            pairs_of(_mm_unpackhi_epi8(a, zero)));
      const __m128i back = _mm_packs_epi32(pairs_of(_mm_unpacklo_epi8(b, zero)),
                                           pairs_of(_mm_unpackhi_epi8(b, zero)));
      packed = _mm_packus_epi16(front, back);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), packed);
  }
#endif
  for (; k < n; ++k) {
    out[k] = static_cast<std::uint8_t>(level(in[2 * k]) << 4U | level(in[2 * k + 1]));
  }
}

/// Packs the coverage's rows into 4-bit PNG rows, two pixels per byte, levels on the line from
/// `from` (coverage 0) to `to` (255), into `r` (its band: the coverage's rows; its background
/// row: coverage 0). Rows without ink take a shortcut. Every output byte is written, so the
/// buffer is not zeroed first.
void pack_nibbles(const coverage_rows& coverage, int from, int to, raster& r) {
  const std::array<std::uint8_t, 256> level = level_table(from, to);
  const int w = coverage.width;
  r.width = w;
  r.height = coverage.height;
  r.row_bytes = (static_cast<std::size_t>(w) + 1U) / 2U;
  r.top = coverage.top;
  r.rows_held = coverage.rows;
  r.rows = std::make_unique_for_overwrite<std::uint8_t[]>(r.row_bytes *
                                                          static_cast<std::size_t>(coverage.rows));
  const auto background_pair = static_cast<std::uint8_t>(level[0] << 4U | level[0]);
  const auto pairs = static_cast<std::size_t>(w) / 2U;
  const auto background = [&](std::uint8_t* o) {
    std::memset(o, background_pair, pairs);
    if (w % 2 != 0) {
      o[r.row_bytes - 1] = static_cast<std::uint8_t>(level[0] << 4U);
    }
  };
  r.background_row.resize(r.row_bytes);
  background(r.background_row.data());
  for (int y = 0; y < coverage.rows; ++y) {
    const std::uint8_t* in = coverage.data + static_cast<std::size_t>(y) * coverage.stride;
    std::uint8_t* o = r.rows.get() + static_cast<std::size_t>(y) * r.row_bytes;
    if (all_zero(in, static_cast<std::size_t>(w))) {  // a background row
      background(o);
      continue;
    }
    pack_pairs(in, o, pairs, from, to);
    if (w % 2 != 0) {
      o[r.row_bytes - 1] = static_cast<std::uint8_t>(level[in[w - 1]] << 4U);
    }
  }
}

}  // namespace

raster grey_raster(const coverage_rows& drawing, int background_level, int ink_level) {
  raster r;
  pack_nibbles(drawing, background_level, ink_level, r);
  r.grey = true;
  // Seen through: every level is black ink at the coverage that level stands for. Black, not
  // the drawn grey: flattened onto black (or with alpha dropped) even a dark grey stays
  // visible to a reader that stretches contrast, as Tesseract does.
  for (int v = 0; v < 16; ++v) {
    const double coverage =
        background_level == ink_level
            ? 0.0
            : std::clamp(static_cast<double>(background_level - v) / (background_level - ink_level),
                         0.0,
                         1.0);
    const auto alpha = static_cast<std::uint8_t>(std::lround(coverage * 255));
    r.see_through[static_cast<std::size_t>(v)] = rgba8{0, 0, 0, alpha};
  }
  return r;
}

std::vector<const std::uint8_t*> raster::row_pointers() const {
  std::vector<const std::uint8_t*> out(static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    out[static_cast<std::size_t>(y)] = row(y);
  }
  return out;
}

band_canvas::band_canvas(
    int canvas_width, int canvas_height, int scene_x, int scene_y, int top, int rows)
    : canvas_(canvas_width, rows), canvas_height_(canvas_height), top_(top) {
  cairo_translate(canvas_.cr(), scene_x, scene_y - top);
}

coverage_rows band_canvas::coverage() const noexcept {
  return coverage_rows{
      canvas_.data(), canvas_.stride(), canvas_.width(), canvas_height_, top_, canvas_.height()};
}

bool band_canvas::ink_at_cut() const noexcept {
  const coverage_rows c = coverage();
  const auto width = static_cast<std::size_t>(c.width);
  return (c.top > 0 && !all_zero(c.row(c.top), width)) ||
         (c.top + c.rows < c.height && !all_zero(c.row(c.top + c.rows - 1), width));
}

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

// --- digits (the other kinds are rows of objects: challenge_rows.cpp)
// ----------------------------------------------------------------

namespace {

struct text_layout {
  std::array<double, 6> pen_x{};  // pen position of each digit relative to the ink box's left
  double ink_left = 0;
  double ink_width = 0;
  double ink_top = 0;  // relative to the baseline (negative: above)
  double ink_height = 0;
};

/// A digit's metrics at the size being laid out: from the glyph cache, or from cairo on `cr`
/// (whose font is set to that size). The same numbers either way: the cache measured them with
/// cairo.
struct digit_metrics {
  const digit_glyphs* glyphs = nullptr;
  cairo_t* cr = nullptr;

  cairo_text_extents_t operator()(char digit) const {
    if (glyphs != nullptr) {
      return glyphs->digits[static_cast<std::size_t>(digit - '0')].extents;
    }
    const std::array<char, 2> text = {digit, '\0'};
    cairo_text_extents_t e;
    cairo_text_extents(cr, text.data(), &e);
    return e;
  }
};

/// Pen positions for `text`: each glyph `spacing` after the previous one's advance or, with
/// `ink_gap` set, its ink exactly `ink_gap` after the previous glyph's ink.
text_layout layout_digits(const digit_metrics& metrics,
                          const std::string& text,
                          double spacing,
                          std::optional<double> ink_gap = std::nullopt) {
  text_layout l;
  double pen = 0;
  double top = 0;
  double bottom = 0;
  double previous_ink_right = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const cairo_text_extents_t e = metrics(text[i]);
    if (ink_gap && i > 0) {
      pen = previous_ink_right + *ink_gap - e.x_bearing;
    }
    l.pen_x[i] = pen;
    if (i == 0) {
      l.ink_left = e.x_bearing;
    }
    if (i + 1 == text.size()) {
      l.ink_width = pen + e.x_bearing + e.width - l.ink_left;
    }
    top = std::min(top, e.y_bearing);
    bottom = std::max(bottom, e.y_bearing + e.height);
    previous_ink_right = pen + e.x_bearing + e.width;
    pen += e.x_advance + spacing;
  }
  l.ink_top = top;
  l.ink_height = bottom - top;
  return l;
}

/// What the generator chose for a digits image; drawing it consumes no more randomness.
struct digit_plan {
  std::string text;
  int background = 15;
  int ink = 0;
  double font_px = 0;  ///< before shrinking to fit; always a whole number
  double spacing_em = 0;
  double jitter_x = 0;
  double jitter_y = 0;
  bool large = false;
};

/// Where the digits go: the font size after shrinking to fit, each glyph's pen position (whole
/// pixels, scene coordinates) and the baseline.
struct digit_placement {
  double font_px = 0;
  std::array<int, 6> pen_x{};
  int baseline = 0;
};

/// Lays the plan out in a scene `width` x `height`. `set_size(px)` selects the font size and
/// returns the metrics at it, or nullopt when it cannot (no cached glyphs): then so does this.
template <class SetSize>
std::optional<digit_placement> place_digits(const digit_plan& p,
                                            int width,
                                            int height,
                                            SetSize&& set_size) {
  // Shape `large`: the digits' ink a fixed small gap apart, so a heavy downscale runs them
  // together (docs/challenges.md, "Large images").
  const auto layout_at = [&](double px) -> std::optional<text_layout> {
    const std::optional<digit_metrics> metrics = set_size(px);
    if (!metrics) {
      return std::nullopt;
    }
    return p.large ? layout_digits(*metrics, p.text, 0, px * large_digit_gap_em)
                   : layout_digits(*metrics, p.text, px * p.spacing_em);
  };
  digit_placement out;
  out.font_px = p.font_px;
  std::optional<text_layout> layout = layout_at(out.font_px);
  if (!layout) {
    return std::nullopt;
  }
  // Shrink to fit 90% of the width and 80% of the height (only narrow or very short images).
  const double fit = std::min(width * 0.9 / layout->ink_width, height * 0.8 / layout->ink_height);
  if (fit < 1.0) {
    out.font_px = std::floor(out.font_px * fit);
    layout = layout_at(out.font_px);
    if (!layout) {
      return std::nullopt;
    }
  }
  const double origin_x = (width - layout->ink_width) * p.jitter_x - layout->ink_left;
  const double baseline = (height - layout->ink_height) * p.jitter_y - layout->ink_top;
  for (std::size_t i = 0; i < p.text.size(); ++i) {
    out.pen_x[i] = static_cast<int>(std::round(origin_x + layout->pen_x[i]));
  }
  out.baseline = static_cast<int>(std::round(baseline));
  return out;
}

/// The reference drawing: cairo lays out and draws every glyph on the whole canvas.
raster draw_digits_with_cairo(const digit_plan& p, const scene& where) {
  const band_canvas canvas(
      where.canvas_width, where.canvas_height, where.x, where.y, 0, where.canvas_height);
  cairo_t* cr = canvas.cr();
  const auto placed = place_digits(p, where.width, where.height, [cr](double px) {
    use_challenge_font(cr, px);
    return std::optional<digit_metrics>(digit_metrics{nullptr, cr});
  });
  std::array<char, 2> glyph{};
  for (std::size_t i = 0; i < p.text.size(); ++i) {
    glyph[0] = p.text[i];
    cairo_move_to(cr, placed->pen_x[i], placed->baseline);
    cairo_show_text(cr, glyph.data());
  }
  return grey_raster(canvas.coverage(), p.background, p.ink);
}

/// The fast drawing: the cached glyph masks copied into the rows they cover, which is what
/// cairo's OVER gives on an empty canvas as long as no two glyphs' ink meets. Nullopt when
/// the size is not cached or two glyphs' ink meets (cairo composites that).
std::optional<raster> draw_digits_from_cache(const digit_plan& p, const scene& where) {
  std::shared_ptr<const digit_glyphs> glyphs;
  const auto placed = place_digits(
      p, where.width, where.height, [&glyphs](double px) -> std::optional<digit_metrics> {
        glyphs = cached_digit_glyphs(static_cast<int>(px));
        if (!glyphs || static_cast<double>(static_cast<int>(px)) != px) {
          return std::nullopt;
        }
        return digit_metrics{glyphs.get(), nullptr};
      });
  if (!placed) {
    return std::nullopt;
  }
  const auto mask_of = [&](std::size_t i) -> const glyph_mask& {
    return glyphs->digits[static_cast<std::size_t>(p.text[i] - '0')];
  };
  // The band: every canvas row a mask covers.
  const int canvas_w = where.canvas_width;
  const int canvas_h = where.canvas_height;
  int top = canvas_h;
  int bottom = 0;
  for (std::size_t i = 0; i < p.text.size(); ++i) {
    const glyph_mask& g = mask_of(i);
    if (g.height > 0) {
      const int y = where.y + placed->baseline + g.top;
      top = std::min(top, std::max(0, y));
      bottom = std::max(bottom, std::min(canvas_h, y + g.height));
    }
  }
  if (bottom <= top) {
    top = bottom = 0;
  }
  const auto stride = static_cast<std::size_t>(canvas_w);
  std::vector<std::uint8_t> band(stride * static_cast<std::size_t>(bottom - top), 0);
  // Masks whose boxes meet nowhere are copied row by row (under each box the band is still
  // empty); otherwise pixel by pixel, giving up where ink would meet ink.
  bool boxes_apart = true;
  for (std::size_t i = 1; i < p.text.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const glyph_mask& a = mask_of(i);
      const glyph_mask& b = mask_of(j);
      const int ax = placed->pen_x[i] + a.left;
      const int bx = placed->pen_x[j] + b.left;
      const int ay = a.top;  // same baseline: the rows' offsets compare directly
      const int by = b.top;
      if (ax < bx + b.width && bx < ax + a.width && ay < by + b.height && by < ay + a.height) {
        boxes_apart = false;
      }
    }
  }
  for (std::size_t i = 0; i < p.text.size(); ++i) {
    const glyph_mask& g = mask_of(i);
    const int x0 = where.x + placed->pen_x[i] + g.left;
    const int y0 = where.y + placed->baseline + g.top;
    const int from_x = std::max(0, -x0);
    const int to_x = std::min(g.width, canvas_w - x0);
    if (to_x <= from_x) {
      continue;  // wholly left or right of the canvas
    }
    for (int gy = std::max(0, top - y0); gy < g.height && y0 + gy < bottom; ++gy) {
      const std::uint8_t* in = g.row(gy);
      std::uint8_t* out = band.data() + static_cast<std::size_t>(y0 + gy - top) * stride;
      if (boxes_apart) {
        std::memcpy(out + x0 + from_x, in + from_x, static_cast<std::size_t>(to_x - from_x));
        continue;
      }
      for (int gx = from_x; gx < to_x; ++gx) {
        const std::uint8_t m = in[gx];
        if (m == 0) {
          continue;  // OVER with no coverage leaves the pixel as it is
        }
        std::uint8_t& px = out[x0 + gx];
        if (px != 0) {
          return std::nullopt;  // ink meets ink: OVER, not a copy
        }
        px = m;
      }
    }
  }
  return grey_raster(coverage_rows{band.data(), stride, canvas_w, canvas_h, top, bottom - top},
                     p.background,
                     p.ink);
}

}  // namespace

drawn draw_digits(seeded_rng& rng, const scene& where, bool large, draw_path path) {
  const int width = where.width;
  const int height = where.height;
  digit_plan p;
  p.large = large;
  const int length = rng.uniform_int(4, 6);
  p.text.push_back(static_cast<char>('0' + rng.uniform_int(1, 9)));
  for (int i = 1; i < length; ++i) {
    p.text.push_back(static_cast<char>('0' + rng.uniform_int(0, 9)));
  }
  // Grey levels 0..15 (x17 = 8-bit grey): background 238 or 255, ink 0, 17 or 34.
  p.background = rng.uniform_int(14, 15);
  p.ink = rng.uniform_int(0, 2);
  // 85 to 95 px at 512: six bold digits fill about 80% of the width. Measured with Tesseract
  // (psm 7, digits whitelist) over 2,500 seeds: 100-110 px read 98.8% exactly (a leading 8
  // becomes 6), 88-98 px 99.8%, 85-95 px 99.96%; 70-90 px was no better (99.8%). Letter spacing
  // (0.05 to 0.18 em) and wider margins made no difference.
  const double side = std::min(width, height);
  p.font_px = std::round(side * rng.uniform_int(85, 95) / 512.0);
  p.spacing_em = rng.uniform(0.05, 0.09);
  p.jitter_x = rng.uniform(0.3, 0.7);
  p.jitter_y = rng.uniform(0.3, 0.7);
  if (path == draw_path::fast) {
    if (auto r = draw_digits_from_cache(p, where)) {
      return drawn{std::move(*r), std::move(p.text)};
    }
  }
  raster r = draw_digits_with_cairo(p, where);
  return drawn{std::move(r), std::move(p.text)};
}

}  // namespace challenge_detail

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

std::string question_for(challenge_kind k, int images) {
  if (images <= 1) {
    return std::string(question_for(k));
  }
  switch (k) {
    case challenge_kind::digits:
      break;
    case challenge_kind::color:
      return "Each image shows four shapes in a row. Name the colour of each shape from left to "
             "right, image by image in image order, separated by spaces.";
    case challenge_kind::shape:
      return "Each image shows five shapes in a row. Name each shape from left to right (circle, "
             "square, triangle, star or cross), image by image in image order, separated by "
             "spaces.";
    case challenge_kind::count:
      return "Each image shows four boxes in a row. How many dots are in each box? Reply with "
             "four numbers per image from left to right, image by image in image order, "
             "separated by spaces.";
  }
  return "Each image shows a number. Reply with the numbers in image order, separated by "
         "spaces.";
}

int min_side_for(challenge_kind k) noexcept {
  switch (k) {
    case challenge_kind::digits:
      return challenge_min_size;
    case challenge_kind::color:
      return 128;
    case challenge_kind::shape:
    case challenge_kind::count:
      return 256;
  }
  return challenge_min_size;
}

int large_scene_side(challenge_kind k) noexcept {
  switch (k) {
    // Each the smallest square (in steps of 100 px, 20 px for digits) whose objects still read
    // right in at least 99% of seeds after the smallest documented downscale, OpenAI's 512 px
    // for detail `low` (tesseract for digits, the pixel reader for the others; docs/challenges.md).
    case challenge_kind::digits:
      return 380;
    case challenge_kind::color:
      return 300;
    case challenge_kind::shape:
      return 1200;
    case challenge_kind::count:
      return 1400;
  }
  return 600;
}

double guess_probability(challenge_kind k, int images) noexcept {
  double one = 1;
  switch (k) {
    case challenge_kind::digits:
      // Lengths 4, 5 and 6 are equally likely; a leading digit 1-9, then 0-9. The likeliest
      // single answer is any 4-digit number.
      one = 1.0 / 3.0 / 9000.0;
      break;
    case challenge_kind::color:
      one = std::pow(1.0 / static_cast<double>(challenge_colors.size()), challenge_color_objects);
      break;
    case challenge_kind::shape:
      one = std::pow(1.0 / static_cast<double>(challenge_shapes.size()), challenge_shape_objects);
      break;
    case challenge_kind::count:
      one = std::pow(1.0 / challenge_max_dots, challenge_count_boxes);
      break;
  }
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
