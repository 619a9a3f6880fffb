#include "probes/image_reader.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "probes/a8_canvas.hpp"
#include "probes/challenge_font.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

struct rgb {
  int r;
  int g;
  int b;
};

[[gnu::noinline]] rgb over_white(const std::uint8_t* p) noexcept {
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

int luma(rgb c) noexcept { return (77 * c.r + 150 * c.g + 29 * c.b + 128) >> 8; }

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
std::vector<std::size_t> border_indexes(int w, int h) {
  std::vector<std::size_t> out;
  const auto at = [w](int x, int y) {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x);
  };
  for (int x = 0; x < w; ++x) {
    out.push_back(at(x, 0));
    out.push_back(at(x, h - 1));
  }
  for (int y = 1; y + 1 < h; ++y) {
    out.push_back(at(0, y));
    out.push_back(at(w - 1, y));
  }
  return out;
}

// --- ink and connected components ------------------------------------------------------------

/// The image as luma plus the threshold under which a pixel counts as ink: halfway between the
/// background (the border's most common luma) and the darkest pixel.
struct ink_plane {
  std::vector<std::uint8_t> luma;
  int threshold = 0;
};

/// Empty when the image has (almost) no contrast: nothing is drawn.
std::optional<ink_plane> find_ink(const rgba_image& image) {
  const std::size_t n =
      static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height);
  ink_plane plane;
  plane.luma.resize(n);
  int darkest = 255;
  const std::uint8_t* px = image.rgba.data();
  for (std::size_t i = 0; i < n; ++i, px += 4) {
    const int l = luma(pixel_rgb(px));
    plane.luma[i] = static_cast<std::uint8_t>(l);
    darkest = std::min(darkest, l);
  }
  std::vector<std::uint8_t> border;
  for (const std::size_t i : border_indexes(image.width, image.height)) {
    border.push_back(plane.luma[i]);
  }
  const int background = mode_of(std::move(border));
  constexpr int min_contrast = 24;
  if (background - darkest < min_contrast) {
    return std::nullopt;
  }
  plane.threshold = (background + darkest + 1) / 2;
  return plane;
}

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

std::size_t find_root(std::vector<std::size_t>& parent, std::size_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];  // path halving
    i = parent[i];
  }
  return i;
}

/// 8-connected components of the pixels with value <= `threshold`: runs per row, joined to the
/// runs they touch on the row above with union-find. Work is per run, not per pixel, and there is
/// no recursion however large a blob is.
labelling label_components(
    const std::uint8_t* values, int w, int h, std::size_t stride, int threshold) {
  labelling out;
  std::vector<std::size_t> parent;
  std::size_t previous_begin = 0;
  std::size_t previous_end = 0;
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* row = values + static_cast<std::size_t>(y) * stride;
    const std::size_t row_begin = out.runs.size();
    std::size_t above = previous_begin;
    for (int x = 0; x < w;) {
      if (row[x] > threshold) {
        ++x;
        continue;
      }
      const int x0 = x;
      while (x < w && row[x] <= threshold) {
        ++x;
      }
      const std::size_t id = out.runs.size();
      out.runs.push_back(ink_run{y, x0, x - 1, 0});
      parent.push_back(id);
      // Runs above that end left of this one (diagonals included) cannot touch later runs
      // either; skip them, then join every run overlapping [x0 - 1, x].
      while (above < previous_end && out.runs[above].x1 < x0 - 1) {
        ++above;
      }
      for (std::size_t k = above; k < previous_end && out.runs[k].x0 <= x; ++k) {
        const std::size_t a = find_root(parent, k);
        const std::size_t b = find_root(parent, id);
        if (a != b) {
          parent[std::max(a, b)] = std::min(a, b);
        }
      }
    }
    previous_begin = row_begin;
    previous_end = out.runs.size();
  }
  std::vector<int> component_of_root(out.runs.size(), -1);
  for (std::size_t i = 0; i < out.runs.size(); ++i) {
    const std::size_t root = find_root(parent, i);
    if (component_of_root[root] < 0) {
      component_of_root[root] = static_cast<int>(out.components.size());
      out.components.emplace_back();
    }
    ink_run& r = out.runs[i];
    r.component = component_of_root[root];
    component& c = out.components[static_cast<std::size_t>(r.component)];
    c.x0 = std::min(c.x0, r.x0);
    c.x1 = std::max(c.x1, r.x1);
    c.y0 = std::min(c.y0, r.y);
    c.y1 = std::max(c.y1, r.y);
    c.area += r.x1 - r.x0 + 1;
    c.runs.push_back(i);
  }
  return out;
}

labelling label_ink(const rgba_image& image, const ink_plane& plane) {
  return label_components(plane.luma.data(),
                          image.width,
                          image.height,
                          static_cast<std::size_t>(image.width),
                          plane.threshold);
}

const component* largest_component(const labelling& l) {
  const auto it = std::max_element(
      l.components.begin(), l.components.end(), [](const component& a, const component& b) {
        return a.area < b.area;
      });
  return it == l.components.end() ? nullptr : &*it;
}

/// Components at least a quarter of the largest one's area: specks (noise, stray antialiasing)
/// are not objects.
std::vector<component> significant(const std::vector<component>& all) {
  int largest = 0;
  for (const component& c : all) {
    largest = std::max(largest, c.area);
  }
  std::vector<component> out;
  for (const component& c : all) {
    if (c.area * 4 >= largest && c.area >= 4) {
      out.push_back(c);
    }
  }
  return out;
}

// --- count, shape, colour ------------------------------------------------------------------

std::optional<std::string> read_count(const rgba_image& image) {
  const auto plane = find_ink(image);
  if (!plane) {
    return std::nullopt;
  }
  const auto dots = significant(label_ink(image, *plane).components);
  if (dots.empty()) {
    return std::nullopt;
  }
  return std::to_string(dots.size());
}

std::optional<std::string> read_shape(const rgba_image& image) {
  const auto plane = find_ink(image);
  if (!plane) {
    return std::nullopt;
  }
  const labelling l = label_ink(image, *plane);
  const component* blob = largest_component(l);
  if (blob == nullptr) {
    return std::nullopt;
  }
  // Expected fill of the bounding box: square 1, circle pi/4 = 0.79, cross 5/9 = 0.56,
  // triangle 0.5, five-point star 0.36. Triangle and cross are told apart by balance: a
  // triangle pointing up has a quarter of its area in the top half, a cross a half.
  const double fill =
      static_cast<double>(blob->area) / (static_cast<double>(blob->width()) * blob->height());
  int top = 0;
  for (const std::size_t i : blob->runs) {
    const ink_run& r = l.runs[i];
    if (2 * (r.y - blob->y0) + 1 <= blob->height()) {
      top += r.x1 - r.x0 + 1;
    }
  }
  const double top_share = static_cast<double>(top) / blob->area;
  if (fill >= 0.9) {
    return "square";
  }
  if (fill >= 0.68) {
    return "circle";
  }
  if (fill < 0.43) {
    return "star";
  }
  return top_share < 0.4 ? "triangle" : "cross";
}

std::optional<std::string> read_color(const rgba_image& image) {
  const std::size_t n =
      static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height);
  std::vector<std::uint32_t> border;
  for (const std::size_t i : border_indexes(image.width, image.height)) {
    const rgb c = pixel_rgb(image.rgba.data() + i * 4U);
    border.push_back(static_cast<std::uint32_t>(c.r << 16 | c.g << 8 | c.b));
  }
  const std::uint32_t bg_packed = mode_of(std::move(border));
  const rgb bg{static_cast<int>(bg_packed >> 16U),
               static_cast<int>((bg_packed >> 8U) & 255U),
               static_cast<int>(bg_packed & 255U)};
  // Histogram of clearly-not-background pixels in 4096 bins (4 bits per channel); the fullest
  // bin is the fill colour (antialiased edges spread over many bins, each small).
  constexpr int min_distance_sq = 3 * 40 * 40;
  std::vector<int> bins(4096, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const rgb c = pixel_rgb(image.rgba.data() + i * 4U);
    const int dr = c.r - bg.r;
    const int dg = c.g - bg.g;
    const int db = c.b - bg.b;
    if (dr * dr + dg * dg + db * db >= min_distance_sq) {
      ++bins[static_cast<std::size_t>((c.r >> 4) << 8 | (c.g >> 4) << 4 | (c.b >> 4))];
    }
  }
  const auto best = std::max_element(bins.begin(), bins.end());
  if (*best == 0) {
    return std::nullopt;
  }
  const int bin = static_cast<int>(best - bins.begin());
  long sum_r = 0;
  long sum_g = 0;
  long sum_b = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const rgb c = pixel_rgb(image.rgba.data() + i * 4U);
    if (((c.r >> 4) << 8 | (c.g >> 4) << 4 | (c.b >> 4)) == bin) {
      sum_r += c.r;
      sum_g += c.g;
      sum_b += c.b;
    }
  }
  const double count = *best;
  const double r = static_cast<double>(sum_r) / count;
  const double g = static_cast<double>(sum_g) / count;
  const double b = static_cast<double>(sum_b) / count;
  std::size_t nearest = 0;
  double nearest_distance = std::numeric_limits<double>::max();
  for (std::size_t i = 0; i < challenge_color_rgb.size(); ++i) {
    const auto& ref = challenge_color_rgb[i];
    const double d =
        (r - ref[0]) * (r - ref[0]) + (g - ref[1]) * (g - ref[1]) + (b - ref[2]) * (b - ref[2]);
    if (d < nearest_distance) {
      nearest_distance = d;
      nearest = i;
    }
  }
  return std::string(challenge_colors[nearest]);
}

// --- digits ---------------------------------------------------------------------------------

/// A blob resampled to a grid (share of ink per cell, by area) plus its aspect ratio, so blobs
/// of slightly different sizes and pixel phases compare directly. The grid follows the blob's
/// size up to 24x32 cells: about one cell per pixel for small glyphs, where every pixel counts.
struct descriptor {
  std::vector<double> cells;
  double aspect = 1;
};

/// Adds `weight` times the overlap of the pixel interval [p, p + scale) with each cell to `add`.
template <typename F>
void spread(double p, double scale, int cells, F&& add) {
  const double end = p + scale;
  for (int i = static_cast<int>(p); i < cells && i < end; ++i) {
    const double overlap = std::min<double>(i + 1, end) - std::max<double>(i, p);
    if (overlap > 0) {
      add(i, overlap);
    }
  }
}

descriptor describe(const labelling& l, const component& c, int grid_w, int grid_h) {
  descriptor d;
  d.cells.assign(static_cast<std::size_t>(grid_w) * static_cast<std::size_t>(grid_h), 0.0);
  const double sx = static_cast<double>(grid_w) / c.width();
  const double sy = static_cast<double>(grid_h) / c.height();
  for (const std::size_t i : c.runs) {
    const ink_run& r = l.runs[i];
    spread((r.y - c.y0) * sy, sy, grid_h, [&](int gy, double wy) {
      double* row = d.cells.data() + static_cast<std::ptrdiff_t>(gy) * grid_w;
      for (int x = r.x0; x <= r.x1; ++x) {
        spread((x - c.x0) * sx, sx, grid_w, [&](int gx, double wx) { row[gx] += wx * wy; });
      }
    });
  }
  d.aspect = static_cast<double>(c.width()) / c.height();
  return d;
}

double distance(const descriptor& a, const descriptor& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.cells.size(); ++i) {
    const double diff = a.cells[i] - b.cells[i];
    sum += diff * diff;
  }
  const double aspect = std::log(a.aspect / b.aspect);
  return sum / static_cast<double>(a.cells.size()) + aspect * aspect;
}

/// One digit rendered with the challenge font and thresholded like an image's ink.
struct glyph_template {
  labelling ink;
  std::size_t blob = 0;  // index of the glyph's component in `ink`
  bool present = false;
};

/// The ten digits rendered so that their ink is `digit_height` pixels tall.
std::array<glyph_template, 10> digit_templates(int digit_height) {
  constexpr double reference_px = 100;
  double reference_height = 0;
  {
    a8_canvas probe(8, 8);
    use_challenge_font(probe.cr(), reference_px);
    cairo_text_extents_t e;
    cairo_text_extents(probe.cr(), "0123456789", &e);
    reference_height = e.height;
  }
  const double font_px = reference_px * digit_height / reference_height;
  std::array<glyph_template, 10> out;
  std::array<char, 2> glyph{};
  for (int digit = 0; digit < 10; ++digit) {
    glyph[0] = static_cast<char>('0' + digit);
    cairo_text_extents_t e;
    {
      a8_canvas probe(8, 8);
      use_challenge_font(probe.cr(), font_px);
      cairo_text_extents(probe.cr(), glyph.data(), &e);
    }
    constexpr int pad = 4;
    a8_canvas canvas(static_cast<int>(std::ceil(e.width)) + 2 * pad,
                     static_cast<int>(std::ceil(e.height)) + 2 * pad);
    use_challenge_font(canvas.cr(), font_px);
    cairo_move_to(canvas.cr(), std::round(pad - e.x_bearing), std::round(pad - e.y_bearing));
    cairo_show_text(canvas.cr(), glyph.data());
    // Coverage to "luma" (255 - coverage), so the glyph is thresholded like an image's ink.
    const int w = canvas.width();
    const int h = canvas.height();
    std::vector<std::uint8_t> luma(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
    const std::uint8_t* data = canvas.data();
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const std::size_t i =
            static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x);
        luma[i] = static_cast<std::uint8_t>(
            255 -
            data[static_cast<std::size_t>(y) * canvas.stride() + static_cast<std::size_t>(x)]);
      }
    }
    glyph_template& t = out[static_cast<std::size_t>(digit)];
    t.ink = label_components(luma.data(), w, h, static_cast<std::size_t>(w), 127);
    if (const component* blob = largest_component(t.ink)) {
      t.blob = static_cast<std::size_t>(blob - t.ink.components.data());
      t.present = true;
    }
  }
  return out;
}

std::optional<std::string> read_digits(const rgba_image& image) {
  const auto plane = find_ink(image);
  if (!plane) {
    return std::nullopt;
  }
  const labelling l = label_ink(image, *plane);
  int tallest = 0;
  for (const component& c : l.components) {
    tallest = std::max(tallest, c.height());
  }
  // Digits share one height (round ones overshoot by a pixel or two); anything much shorter is
  // noise, not a glyph.
  std::vector<const component*> glyphs;
  for (const component& c : l.components) {
    if (c.height() * 2 > tallest) {
      glyphs.push_back(&c);
    }
  }
  if (glyphs.empty() || tallest < 5) {
    return std::nullopt;
  }
  std::sort(glyphs.begin(), glyphs.end(), [](const component* a, const component* b) {
    return a->x0 < b->x0;
  });
  const auto templates = digit_templates(tallest);
  std::string text;
  for (const component* c : glyphs) {
    const int grid_w = std::clamp(c->width(), 4, 24);
    const int grid_h = std::clamp(c->height(), 4, 32);
    const descriptor d = describe(l, *c, grid_w, grid_h);
    std::size_t best = 0;
    double best_distance = std::numeric_limits<double>::max();
    for (std::size_t digit = 0; digit < templates.size(); ++digit) {
      const glyph_template& t = templates[digit];
      if (!t.present) {
        continue;
      }
      const double dist = distance(d, describe(t.ink, t.ink.components[t.blob], grid_w, grid_h));
      if (dist < best_distance) {
        best_distance = dist;
        best = digit;
      }
    }
    text.push_back(static_cast<char>('0' + best));
  }
  return text;
}

bool contains(std::string_view haystack, std::string_view needle) noexcept {
  return std::search(
             haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
               return ascii_lower(a) == ascii_lower(b);
             }) != haystack.end();
}

}  // namespace

std::optional<std::string> read_image(const rgba_image& image, challenge_kind kind) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgba.size() !=
          static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 4U) {
    return std::nullopt;
  }
  switch (kind) {
    case challenge_kind::digits:
      return read_digits(image);
    case challenge_kind::color:
      return read_color(image);
    case challenge_kind::shape:
      return read_shape(image);
    case challenge_kind::count:
      return read_count(image);
  }
  return std::nullopt;
}

std::optional<challenge_kind> kind_from_question(std::string_view question) noexcept {
  // Order matters: the colour question also says "shape".
  if (contains(question, "colour") || contains(question, "color")) {
    return challenge_kind::color;
  }
  if (contains(question, "how many") || contains(question, "dots")) {
    return challenge_kind::count;
  }
  if (contains(question, "shape")) {
    return challenge_kind::shape;
  }
  if (contains(question, "number") || contains(question, "digit")) {
    return challenge_kind::digits;
  }
  return std::nullopt;
}

std::optional<std::string> read_challenge(std::string_view png_bytes, std::string_view question) {
  const auto kind = kind_from_question(question);
  if (!kind) {
    return std::nullopt;
  }
  const png_decode_result decoded = decode_png(png_bytes);
  if (!decoded.image) {
    return std::nullopt;
  }
  return read_image(*decoded.image, *kind);
}

}  // namespace visionwatch
