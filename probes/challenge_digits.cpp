// The digits kind: a number of four to six digits, laid out with the challenge font and drawn
// from cached glyph masks (or by cairo, the reference path). The other kinds are rows of
// objects (challenge_rows.cpp).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "probes/challenge_detail.hpp"
#include "probes/challenge_font.hpp"

namespace visionwatch::challenge_detail {
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

}  // namespace visionwatch::challenge_detail
