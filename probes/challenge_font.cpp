#include "probes/challenge_font.hpp"

#include <cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <mutex>
#include <stdexcept>

#include "probes/a8_canvas.hpp"

// NOLINTNEXTLINE(modernize-avoid-c-arrays): defined so by the generated font source
extern const unsigned char visionwatch_font_dejavu_sans_bold[];
extern const std::size_t visionwatch_font_dejavu_sans_bold_size;

namespace visionwatch {
namespace {

/// Process-wide, immutable after construction. Deliberately never destroyed: challenges may be
/// drawn from detached threads during exit, and the OS reclaims the memory anyway.
struct embedded_font {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  cairo_font_face_t* cairo_face = nullptr;
  cairo_font_options_t* options = nullptr;

  embedded_font() {
    if (FT_Init_FreeType(&library) != 0) {
      throw std::runtime_error("challenge font: FreeType initialisation failed");
    }
    if (FT_New_Memory_Face(library,
                           visionwatch_font_dejavu_sans_bold,
                           static_cast<FT_Long>(visionwatch_font_dejavu_sans_bold_size),
                           0,
                           &face) != 0) {
      throw std::runtime_error("challenge font: cannot load the embedded DejaVu Sans Bold");
    }
    cairo_face = cairo_ft_font_face_create_for_ft_face(face, 0);
    if (cairo_font_face_status(cairo_face) != CAIRO_STATUS_SUCCESS) {
      throw std::runtime_error("challenge font: cairo cannot use the FreeType face");
    }
    options = cairo_font_options_create();
    cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  }
};

const embedded_font& font() {
  static const embedded_font instance;
  return instance;
}

/// Renders one digit with cairo and keeps the part of the canvas that holds ink. False when
/// the ink reaches the canvas edge (the margin was too small: the caller does not cache it).
bool render_digit(char digit, int pixel_size, glyph_mask& out) {
  const std::array<char, 2> text = {digit, '\0'};
  {
    a8_canvas measure(1, 1);
    use_challenge_font(measure.cr(), pixel_size);
    cairo_text_extents(measure.cr(), text.data(), &out.extents);
  }
  const cairo_text_extents_t& e = out.extents;
  constexpr int pad = 4;  // antialiasing reaches a pixel past the ink box at most
  const int pen_x = pad - static_cast<int>(std::floor(e.x_bearing));
  const int pen_y = pad - static_cast<int>(std::floor(e.y_bearing));
  const int width = pen_x + static_cast<int>(std::ceil(e.x_bearing + e.width)) + pad;
  const int height = pen_y + static_cast<int>(std::ceil(e.y_bearing + e.height)) + pad;
  a8_canvas canvas(width, height);
  use_challenge_font(canvas.cr(), pixel_size);
  cairo_move_to(canvas.cr(), pen_x, pen_y);
  cairo_show_text(canvas.cr(), text.data());
  const std::uint8_t* data = canvas.data();
  const std::size_t stride = canvas.stride();
  int x0 = width;
  int x1 = -1;
  int y0 = height;
  int y1 = -1;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (data[static_cast<std::size_t>(y) * stride + static_cast<std::size_t>(x)] != 0) {
        x0 = std::min(x0, x);
        x1 = std::max(x1, x);
        y0 = std::min(y0, y);
        y1 = std::max(y1, y);
      }
    }
  }
  if (x1 < 0) {
    out.width = out.height = 0;  // no ink
    return true;
  }
  if (x0 == 0 || y0 == 0 || x1 == width - 1 || y1 == height - 1) {
    return false;
  }
  out.left = x0 - pen_x;
  out.top = y0 - pen_y;
  out.width = x1 - x0 + 1;
  out.height = y1 - y0 + 1;
  out.coverage.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height));
  for (int y = 0; y < out.height; ++y) {
    const std::uint8_t* from =
        data + static_cast<std::size_t>(y0 + y) * stride + static_cast<std::size_t>(x0);
    std::copy(
        from, from + out.width, out.coverage.begin() + static_cast<std::ptrdiff_t>(y) * out.width);
  }
  return true;
}

/// Process-wide, like the font: the glyph sets rendered so far and the bytes they hold.
struct glyph_cache {
  std::mutex mutex;
  std::map<int, std::shared_ptr<const digit_glyphs>> sizes;
  std::size_t bytes = 0;
};

glyph_cache& cache() {
  static auto* instance = new glyph_cache;  // never destroyed, like the font
  return *instance;
}

}  // namespace

std::shared_ptr<const digit_glyphs> cached_digit_glyphs(int pixel_size) {
  if (pixel_size < 1 || pixel_size > max_cached_glyph_size) {
    return nullptr;
  }
  glyph_cache& c = cache();
  const std::lock_guard lock(c.mutex);
  if (const auto it = c.sizes.find(pixel_size); it != c.sizes.end()) {
    return it->second;
  }
  if (c.bytes >= glyph_cache_bytes) {
    return nullptr;
  }
  auto set = std::make_shared<digit_glyphs>();
  std::size_t bytes = 0;
  for (int d = 0; d < 10; ++d) {
    glyph_mask& g = set->digits[static_cast<std::size_t>(d)];
    if (!render_digit(static_cast<char>('0' + d), pixel_size, g)) {
      return nullptr;
    }
    bytes += g.coverage.size();
  }
  c.bytes += bytes;
  return c.sizes.emplace(pixel_size, std::move(set)).first->second;
}

void use_challenge_font(cairo_t* cr, double pixel_size) {
  const embedded_font& f = font();
  cairo_set_font_face(cr, f.cairo_face);
  cairo_set_font_size(cr, pixel_size);
  cairo_set_font_options(cr, f.options);
}

}  // namespace visionwatch
