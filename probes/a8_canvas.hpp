#pragma once
/// An 8-bit coverage canvas: a cairo A8 image surface and its drawing context, owned together.
/// Challenges draw coverage (0 = background, 255 = full ink) and map it to grey levels or
/// palette indexes afterwards, which is cheaper than drawing RGB. Not copyable; one per drawing.

#include <cairo.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace visionwatch {

class a8_canvas {
 public:
  /// A zero-filled (all background) canvas. Throws std::runtime_error if cairo cannot allocate it.
  a8_canvas(int width, int height)
      : surface_(cairo_image_surface_create(CAIRO_FORMAT_A8, width, height)),
        cr_(cairo_create(surface_)) {
    if (cairo_status(cr_) != CAIRO_STATUS_SUCCESS) {
      cairo_destroy(cr_);
      cairo_surface_destroy(surface_);
      throw std::runtime_error("cannot create a drawing surface");
    }
    cairo_set_source_rgba(cr_, 0, 0, 0, 1);
  }
  a8_canvas(const a8_canvas&) = delete;
  a8_canvas& operator=(const a8_canvas&) = delete;
  ~a8_canvas() {
    cairo_destroy(cr_);
    cairo_surface_destroy(surface_);
  }

  [[nodiscard]] cairo_t* cr() const noexcept { return cr_; }

  /// The coverage bytes; valid until the next drawing call (flushes cairo first).
  [[nodiscard]] const std::uint8_t* data() const noexcept {
    cairo_surface_flush(surface_);
    return cairo_image_surface_get_data(surface_);
  }
  [[nodiscard]] std::size_t stride() const noexcept {
    return static_cast<std::size_t>(cairo_image_surface_get_stride(surface_));
  }
  [[nodiscard]] int width() const noexcept { return cairo_image_surface_get_width(surface_); }
  [[nodiscard]] int height() const noexcept { return cairo_image_surface_get_height(surface_); }

 private:
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

}  // namespace visionwatch
