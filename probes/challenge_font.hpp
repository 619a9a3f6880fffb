#pragma once
/// The challenge font: DejaVu Sans Bold, embedded in the executable at build time, shared by the
/// challenge renderer and the digit reader so both rasterise glyphs identically.
/// Created on first use (thread-safe static initialisation) and kept for the life of the process;
/// cairo serialises its own access to the underlying FT_Face, so any thread may draw with it.

#include <cairo.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace visionwatch {

/// Selects the challenge font at `pixel_size` on `cr` with fixed rendering options (greyscale
/// antialiasing, no hinting, unhinted metrics): the glyph shapes do not depend on the host's
/// fontconfig settings. Throws std::runtime_error if FreeType cannot load the embedded font.
void use_challenge_font(cairo_t* cr, double pixel_size);

/// One digit at one pixel size, as cairo draws it with the challenge font at a whole-pixel pen
/// position (cairo places glyph masks on whole pixels, so the mask is the same at every such
/// position): its metrics and its coverage, placed relative to the pen.
struct glyph_mask {
  cairo_text_extents_t extents{};  ///< what cairo_text_extents gives for the digit
  int left = 0;                    ///< the mask's first column minus the pen's x
  int top = 0;                     ///< the mask's first row minus the pen's y (the baseline)
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> coverage;  ///< width * height bytes, row by row

  [[nodiscard]] const std::uint8_t* row(int y) const noexcept {
    return coverage.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(width);
  }
};

/// The digits '0' to '9' at one pixel size.
struct digit_glyphs {
  std::array<glyph_mask, 10> digits;
};

/// Glyph sizes the cache keeps, and the bytes of masks it holds at most (the sizes a fleet's
/// challenges use, a few dozen kilobytes each, are a handful).
inline constexpr int max_cached_glyph_size = 512;
inline constexpr std::size_t glyph_cache_bytes = std::size_t{8} * 1024 * 1024;

/// The digits at the whole `pixel_size`, rendered with cairo on first use and kept for the
/// life of the process; nullptr for a size outside 1..max_cached_glyph_size or once the cache
/// holds glyph_cache_bytes (the caller then draws with cairo). Thread-safe.
std::shared_ptr<const digit_glyphs> cached_digit_glyphs(int pixel_size);

}  // namespace visionwatch
