#include "probes/challenge_font.hpp"

#include <cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include <cstddef>
#include <stdexcept>

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

}  // namespace

void use_challenge_font(cairo_t* cr, double pixel_size) {
  const embedded_font& f = font();
  cairo_set_font_face(cr, f.cairo_face);
  cairo_set_font_size(cr, pixel_size);
  cairo_set_font_options(cr, f.options);
}

}  // namespace visionwatch
