#pragma once
/// Ink and connected components: the pixel reader's view of an image (background from the
/// border, ink under a threshold, 8-connected blobs). Internal to probes/ (image_reader*.cpp).
/// Pure and thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "probes/png_codec.hpp"

namespace visionwatch::image_detail {

struct rgb {
  int r;
  int g;
  int b;
};

[[gnu::noinline]] inline rgb over_white(const std::uint8_t* p) noexcept {
  const int a = p[3];
  const auto blend = [a](int c) { return (c * a + 255 * (255 - a) + 127) / 255; };
  return rgb{blend(p[0]), blend(p[1]), blend(p[2])};
}

/// The pixel composited on white: transparent areas read as background, like most viewers show.
/// Opaque pixels (all of ours) take the inlined fast path; the per-pixel loops depend on it.
inline rgb pixel_rgb(const std::uint8_t* p) noexcept {
  if (p[3] == 255) [[likely]] {
    return rgb{p[0], p[1], p[2]};
  }
  return over_white(p);
}

inline int luma(rgb c) noexcept { return (77 * c.r + 150 * c.g + 29 * c.b + 128) >> 8; }

/// The most common value among `values` (ties: the smallest).
template <typename T>
T mode_of(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  T best = values.front();
  std::size_t best_run = 0;
  for (std::size_t i = 0; i < values.size();) {
    std::size_t j = i;
    while (j < values.size() && values[j] == values[i]) {
      ++j;
    }
    if (j - i > best_run) {
      best_run = j - i;
      best = values[i];
    }
    i = j;
  }
  return best;
}

/// Pixel indexes of the image border: the background is whatever dominates there (challenges keep
/// a margin around their ink).
std::vector<std::size_t> border_indexes(int w, int h);

/// The image as luma plus the threshold under which a pixel counts as ink: halfway between the
/// background (the border's most common luma) and the darkest pixel.
struct ink_plane {
  std::vector<std::uint8_t> luma;
  int threshold = 0;
};

/// Empty when the image has (almost) no contrast: nothing is drawn.
std::optional<ink_plane> find_ink(const rgba_image& image);

/// A horizontal run of ink pixels [x0, x1] on row y, and the component it belongs to.
struct ink_run {
  int y;
  int x0;
  int x1;
  int component;
};

struct component {
  int x0 = std::numeric_limits<int>::max();
  int y0 = std::numeric_limits<int>::max();
  int x1 = -1;  // inclusive
  int y1 = -1;
  int area = 0;
  std::vector<std::size_t> runs;  // indexes into labelling::runs, top to bottom
  [[nodiscard]] int width() const noexcept { return x1 - x0 + 1; }
  [[nodiscard]] int height() const noexcept { return y1 - y0 + 1; }
};

struct labelling {
  std::vector<ink_run> runs;
  std::vector<component> components;
};

/// 8-connected components of the pixels with value <= `threshold`: runs per row, joined to the
/// runs they touch on the row above with union-find. Work is per run, not per pixel, and there is
/// no recursion however large a blob is.
labelling label_components(
    const std::uint8_t* values, int w, int h, std::size_t stride, int threshold);

/// label_components of an image's ink plane.
labelling label_ink(const rgba_image& image, const ink_plane& plane);

/// The component with the largest area, or nullptr when there is none.
const component* largest_component(const labelling& l);

/// Components at least a quarter of the largest one's area: specks (noise, stray antialiasing)
/// are not objects.
std::vector<component> significant(const std::vector<component>& all);

}  // namespace visionwatch::image_detail
