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
#include "probes/image_codec.hpp"
#include "probes/image_ink.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

using namespace image_detail;

// --- rows of objects: count, shape, colour -------------------------------------------------

/// Components sorted left to right by their left edge: the reading order of a row.
void sort_left_to_right(std::vector<component>& objects) {
  std::sort(objects.begin(), objects.end(), [](const component& a, const component& b) {
    return a.x0 < b.x0;
  });
}

/// `word(item)` for each of `items`, separated by spaces: the reply a model gives for a row.
template <class Items, class Word>
std::string join_words(const Items& items, Word&& word) {
  std::string out;
  for (const auto& item : items) {
    out += out.empty() ? "" : " ";
    out += word(item);
  }
  return out;
}

/// The image's ink (find_ink) labelled into components; nullopt when there is no ink.
std::optional<labelling> label_image_ink(const rgba_image& image) {
  const auto plane = find_ink(image);
  if (!plane) {
    return std::nullopt;
  }
  return label_ink(image, *plane);
}

/// Boxes are the components whose bounding box is at least half as large (on its longer side)
/// as the largest one's; every other significant blob is a dot, counted in the box that holds
/// its centre. Specks (under a quarter of the largest dot) and dots outside every box are
/// ignored.
std::optional<std::string> read_count(const labelling& l) {
  int extent = 0;
  for (const component& c : l.components) {
    extent = std::max({extent, c.width(), c.height()});
  }
  std::vector<component> boxes;
  std::vector<component> blobs;
  for (const component& c : l.components) {
    (std::max(c.width(), c.height()) * 2 >= extent ? boxes : blobs).push_back(c);
  }
  if (boxes.empty()) {
    return std::nullopt;
  }
  sort_left_to_right(boxes);
  std::vector<int> counts(boxes.size(), 0);
  for (const component& dot : significant(blobs)) {
    const int cx = (dot.x0 + dot.x1) / 2;
    const int cy = (dot.y0 + dot.y1) / 2;
    for (std::size_t b = 0; b < boxes.size(); ++b) {
      if (cx > boxes[b].x0 && cx < boxes[b].x1 && cy > boxes[b].y0 && cy < boxes[b].y1) {
        ++counts[b];
        break;
      }
    }
  }
  return join_words(counts, [](int n) { return std::to_string(n); });
}

/// One blob's shape from its fill ratio and top/bottom balance.
std::string_view classify_shape(const labelling& l, const component& blob) {
  // Expected fill of the bounding box: square 1, circle pi/4 = 0.79, cross 5/9 = 0.56,
  // triangle 0.5, five-point star 0.36. Triangle and cross are told apart by balance: a
  // triangle pointing up has a quarter of its area in the top half, a cross a half.
  const double fill =
      static_cast<double>(blob.area) / (static_cast<double>(blob.width()) * blob.height());
  int top = 0;
  for (const std::size_t i : blob.runs) {
    const ink_run& r = l.runs[i];
    if (2 * (r.y - blob.y0) + 1 <= blob.height()) {
      top += r.x1 - r.x0 + 1;
    }
  }
  const double top_share = static_cast<double>(top) / blob.area;
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

std::optional<std::string> read_shape(const labelling& l) {
  std::vector<component> objects = significant(l.components);
  if (objects.empty()) {
    return std::nullopt;
  }
  sort_left_to_right(objects);
  return join_words(objects, [&l](const component& c) { return classify_shape(l, c); });
}

constexpr std::uint32_t pack_rgb(rgb c) noexcept {
  return static_cast<std::uint32_t>(c.r << 16 | c.g << 8 | c.b);
}

/// The challenge colour nearest to the most common colour of `object`'s pixels (4 bits per
/// channel bins; antialiased edges spread over many bins, each small).
std::string_view object_colour(const rgba_image& image,
                               const labelling& l,
                               const component& object) {
  std::vector<int> bins(4096, 0);
  const auto bin_of = [](rgb c) {
    return static_cast<std::size_t>((c.r >> 4) << 8 | (c.g >> 4) << 4 | (c.b >> 4));
  };
  for (const std::size_t i : object.runs) {
    const ink_run& r = l.runs[i];
    for (int x = r.x0; x <= r.x1; ++x) {
      ++bins[bin_of(pixel_rgb(image.pixel(x, r.y)))];
    }
  }
  const auto best =
      static_cast<std::size_t>(std::max_element(bins.begin(), bins.end()) - bins.begin());
  double sum_r = 0;
  double sum_g = 0;
  double sum_b = 0;
  for (const std::size_t i : object.runs) {
    const ink_run& r = l.runs[i];
    for (int x = r.x0; x <= r.x1; ++x) {
      const rgb c = pixel_rgb(image.pixel(x, r.y));
      if (bin_of(c) == best) {
        sum_r += c.r;
        sum_g += c.g;
        sum_b += c.b;
      }
    }
  }
  const double count = bins[best];
  const double red = sum_r / count;
  const double green = sum_g / count;
  const double blue = sum_b / count;
  std::size_t nearest = 0;
  double nearest_distance = std::numeric_limits<double>::max();
  for (std::size_t i = 0; i < challenge_color_rgb.size(); ++i) {
    const auto& ref = challenge_color_rgb[i];
    const double d = (red - ref[0]) * (red - ref[0]) + (green - ref[1]) * (green - ref[1]) +
                     (blue - ref[2]) * (blue - ref[2]);
    if (d < nearest_distance) {
      nearest_distance = d;
      nearest = i;
    }
  }
  return challenge_colors[nearest];
}

/// Objects are the blobs of clearly-not-background pixels (colour distance from the border's
/// most common colour), read left to right, each named after its most common colour.
std::optional<std::string> read_color(const rgba_image& image) {
  const std::size_t n =
      static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height);
  const auto border_pixels = border_indexes(image.width, image.height);
  std::vector<std::uint32_t> border;
  border.reserve(border_pixels.size());
  for (const std::size_t i : border_pixels) {
    border.push_back(pack_rgb(pixel_rgb(image.rgba.data() + i * 4U)));
  }
  const std::uint32_t bg_packed = mode_of(std::move(border));
  const rgb bg{static_cast<int>(bg_packed >> 16U),
               static_cast<int>((bg_packed >> 8U) & 255U),
               static_cast<int>(bg_packed & 255U)};
  constexpr int min_distance_sq = 3 * 40 * 40;
  std::vector<std::uint8_t> mask(n, 255);  // 0: ink
  for (std::size_t i = 0; i < n; ++i) {
    const rgb c = pixel_rgb(image.rgba.data() + i * 4U);
    const int dr = c.r - bg.r;
    const int dg = c.g - bg.g;
    const int db = c.b - bg.b;
    if (dr * dr + dg * dg + db * db >= min_distance_sq) {
      mask[i] = 0;
    }
  }
  const labelling l = label_components(
      mask.data(), image.width, image.height, static_cast<std::size_t>(image.width), 127);
  std::vector<component> objects = significant(l.components);
  if (objects.empty()) {
    return std::nullopt;
  }
  sort_left_to_right(objects);
  return join_words(objects,
                    [&image, &l](const component& c) { return object_colour(image, l, c); });
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
        luma[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
             static_cast<std::size_t>(x)] =
            static_cast<std::uint8_t>(
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

std::optional<std::string> read_digits(const labelling& l) {
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
  // Like a person (or a vision model), the reader does not guess at digits a few pixels tall:
  // under 8 px they are illegible. Challenges draw digits 14 px tall and more (96 px images
  // upward); a large challenge downscaled to 256 px leaves them about 5 px tall.
  constexpr int min_legible_height = 8;
  if (glyphs.empty() || tallest < min_legible_height) {
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

}  // namespace

std::optional<std::string> read_image(const rgba_image& image, challenge_kind kind) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgba.size() !=
          static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 4U) {
    return std::nullopt;
  }
  if (kind == challenge_kind::color) {
    return read_color(image);
  }
  // Digits, shapes and counts are read from the image's ink, labelled into components.
  const std::optional<labelling> ink = label_image_ink(image);
  if (!ink) {
    return std::nullopt;
  }
  switch (kind) {
    case challenge_kind::digits:
      return read_digits(*ink);
    case challenge_kind::shape:
      return read_shape(*ink);
    case challenge_kind::count:
      return read_count(*ink);
    case challenge_kind::color:
      break;  // read above, from the colours
  }
  return std::nullopt;
}

std::optional<challenge_kind> kind_from_question(std::string_view question) noexcept {
  // Order matters: the colour question also says "shape".
  if (ascii_icontains(question, "colour") || ascii_icontains(question, "color")) {
    return challenge_kind::color;
  }
  if (ascii_icontains(question, "how many") || ascii_icontains(question, "dots")) {
    return challenge_kind::count;
  }
  if (ascii_icontains(question, "shape")) {
    return challenge_kind::shape;
  }
  if (ascii_icontains(question, "number") || ascii_icontains(question, "digit")) {
    return challenge_kind::digits;
  }
  return std::nullopt;
}

std::optional<std::string> read_challenge(std::string_view image_bytes, std::string_view question) {
  const auto kind = kind_from_question(question);
  if (!kind) {
    return std::nullopt;
  }
  const image_decode_result decoded = decode_image(image_bytes);
  if (!decoded.image) {
    return std::nullopt;
  }
  return read_image(*decoded.image, *kind);
}

std::optional<std::string> read_challenges(const std::vector<std::string_view>& images,
                                           std::string_view question) {
  if (images.empty()) {
    return std::nullopt;
  }
  std::string out;
  for (const auto image : images) {
    const auto one = read_challenge(image, question);
    if (!one) {
      return std::nullopt;
    }
    out += out.empty() ? "" : " ";
    out += *one;
  }
  return out;
}

}  // namespace visionwatch
