#pragma once
/// The challenge font: DejaVu Sans Bold, embedded in the executable at build time, shared by the
/// challenge renderer and the digit reader so both rasterise glyphs identically.
/// Created on first use (thread-safe static initialisation) and kept for the life of the process;
/// cairo serialises its own access to the underlying FT_Face, so any thread may draw with it.

#include <cairo.h>

namespace visionwatch {

/// Selects the challenge font at `pixel_size` on `cr` with fixed rendering options (greyscale
/// antialiasing, no hinting, unhinted metrics): the glyph shapes do not depend on the host's
/// fontconfig settings. Throws std::runtime_error if FreeType cannot load the embedded font.
void use_challenge_font(cairo_t* cr, double pixel_size);

}  // namespace visionwatch
