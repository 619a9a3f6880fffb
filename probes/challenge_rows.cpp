// The kinds drawn as a row of objects read left to right: colour (four filled shapes), shape
// (five shapes) and count (four boxes of dots). Several independent objects per image make a
// blind guess pass about once in thousands of probes (challenge.hpp, guess_probability). The five
// shapes themselves (fill_shape) are drawn here too.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <numbers>
#include <vector>

#include "probes/challenge_detail.hpp"

namespace visionwatch::challenge_detail {
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

std::uint8_t clamp_byte(int v) noexcept { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); }

/// Where one object of a row sits: its centre and outer radius.
struct slot {
  double cx;
  double cy;
  double radius;
};

/// `n` objects of one radius in a row across the image, each centred in its own cell of the
/// width with a small jitter. Neighbours keep at least 12% of a cell between them and every
/// object keeps 6% of the height above and below, so the reading order is never in doubt.
std::vector<slot> place_row(seeded_rng& rng, int n, int width, int height, double fill) {
  const double margin = width * 0.03;
  const double cell = (width - 2 * margin) / n;
  const double radius =
      std::min(cell * rng.uniform(fill - 0.04, fill), height * rng.uniform(0.30, 0.38));
  const double band = radius + height * 0.06;
  const double cy = rng.uniform(band, height - band);
  const double jitter_x = std::max(0.0, cell / 2 - radius - cell * 0.06);
  const double jitter_y = radius * 0.1;
  std::vector<slot> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    out.push_back(slot{margin + cell * (i + 0.5) + rng.uniform(-jitter_x, jitter_x),
                       cy + rng.uniform(-jitter_y, jitter_y),
                       radius});
  }
  return out;
}

/// Palette raster of objects in several colours: entry 0 is the background; object i owns
/// entries 1 + 3i .. 3 + 3i, its fill blended over the background at 1/3, 2/3 and full
/// coverage. Objects never share a column range, so each pixel's object follows from its x.
raster objects_raster(const coverage_rows& coverage,
                      const scene& where,
                      const std::vector<slot>& slots,
                      rgb8 background,
                      const std::vector<rgb8>& fills) {
  constexpr int steps = 3;
  raster r;
  r.grey = false;
  r.palette.push_back(background);
  for (const rgb8& f : fills) {
    for (int s = 1; s <= steps; ++s) {
      const auto blend = [s](int from, int to) {
        return static_cast<std::uint8_t>((from * (steps - s) + to * s + steps / 2) / steps);
      };
      r.see_through[r.palette.size()] =
          rgba8{f.r, f.g, f.b, static_cast<std::uint8_t>((255 * s + steps / 2) / steps)};
      r.palette.push_back(
          rgb8{blend(background.r, f.r), blend(background.g, f.g), blend(background.b, f.b)});
    }
  }
  const int w = coverage.width;
  std::vector<std::uint8_t> object_of(static_cast<std::size_t>(w), 0);
  for (int x = 0; x < w; ++x) {
    const double scene_x = x - where.x;  // slots are in scene coordinates
    std::size_t i = 0;
    while (i + 1 < slots.size() && scene_x >= (slots[i].cx + slots[i + 1].cx) / 2) {
      ++i;
    }
    object_of[static_cast<std::size_t>(x)] = static_cast<std::uint8_t>(i);
  }
  r.width = w;
  r.height = coverage.height;
  r.row_bytes = (static_cast<std::size_t>(w) + 1U) / 2U;
  r.top = coverage.top;
  r.rows_held = coverage.rows;
  r.background_row.assign(r.row_bytes, 0);  // entry 0, the background
  const std::size_t size = r.row_bytes * static_cast<std::size_t>(coverage.rows);
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): raster::rows is a byte block (challenge_detail.hpp)
  r.rows = std::make_unique<std::uint8_t[]>(size);  // zeroed: entry 0
  for (int y = 0; y < coverage.rows; ++y) {
    const std::uint8_t* in = coverage.data + static_cast<std::size_t>(y) * coverage.stride;
    std::uint8_t* out = r.rows.get() + static_cast<std::size_t>(y) * r.row_bytes;
    int x = 0;
    while (x < w) {
      if (x % 8 == 0 && x + 8 <= w) {
        std::uint64_t block = 0;
        std::memcpy(&block, in + x, sizeof block);
        if (block == 0) {
          x += 8;  // background: entry 0
          continue;
        }
      }
      if (in[x] != 0) {
        const int level = (in[x] * steps + 127) / 255;
        const int entry =
            level == 0 ? 0 : 1 + object_of[static_cast<std::size_t>(x)] * steps + level - 1;
        const unsigned shift = x % 2 == 0 ? 4U : 0U;
        out[x / 2] = static_cast<std::uint8_t>(out[x / 2] | static_cast<unsigned>(entry) << shift);
      }
      ++x;
    }
  }
  return r;
}

/// Scene rows a row of objects covers: every shape fits in [cy - radius, cy + 1.1 radius]
/// (fill_shape: the star's centre is 0.1 radius low).
std::pair<double, double> rows_of(const std::vector<slot>& slots) {
  double top = 1e300;
  double bottom = -1e300;
  for (const slot& s : slots) {
    top = std::min(top, s.cy - s.radius);
    bottom = std::max(bottom, s.cy + 1.1 * s.radius);
  }
  return {top, bottom};
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (const auto w : words) {
    out += out.empty() ? "" : " ";
    out += w;
  }
  return out;
}

struct point {
  double x;
  double y;
};

/// Places `n` dot centres inside the square [x0, x0 + side] x [y0, y0 + side] with at least one
/// radius of free space between any two dots. Rejection sampling with a bounded number of
/// attempts; if it runs out (rare, but the bound must not depend on luck) a jittered 3x3 grid
/// takes over.
std::vector<point> place_dots(
    seeded_rng& rng, int n, double radius, double x0, double y0, double side) {
  const double min_distance = radius * 3;
  constexpr int attempts_per_dot = 200;
  std::vector<point> dots;
  dots.reserve(static_cast<std::size_t>(n));
  for (int attempt = 0; attempt < attempts_per_dot * n && std::ssize(dots) < n; ++attempt) {
    const point c{rng.uniform(x0, x0 + side), rng.uniform(y0, y0 + side)};
    const bool clear = std::all_of(dots.begin(), dots.end(), [&](const point& d) {
      return std::hypot(d.x - c.x, d.y - c.y) >= min_distance;
    });
    if (clear) {
      dots.push_back(c);
    }
  }
  if (std::ssize(dots) == n) {
    return dots;
  }
  std::array<int, 9> cells = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  for (int i = 8; i > 0; --i) {
    std::swap(cells[static_cast<std::size_t>(i)],
              cells[static_cast<std::size_t>(rng.uniform_int(0, i))]);
  }
  // Grid cells are side / 2 apart centre to centre (corners of the square included).
  const double step = side / 2;
  const double jitter = std::max(0.0, (step - min_distance) / 2);
  dots.clear();
  for (int i = 0; i < n; ++i) {
    const int cell = cells[static_cast<std::size_t>(i)];
    const int column = cell % 3;
    const int row = cell / 3;
    const double cx = std::clamp(x0 + step * column + rng.uniform(-jitter, jitter), x0, x0 + side);
    const double cy = std::clamp(y0 + step * row + rng.uniform(-jitter, jitter), y0, y0 + side);
    dots.push_back(point{cx, cy});
  }
  return dots;
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

drawn draw_color(seeded_rng& rng, const scene& where, draw_path path) {
  const int width = where.width;
  const int height = where.height;
  // The answer first: it must not depend on the image size.
  std::vector<std::string_view> names;
  std::vector<rgb8> fills;
  std::vector<shape_id> shapes;
  for (int i = 0; i < challenge_color_objects; ++i) {
    const auto index =
        static_cast<std::size_t>(rng.uniform_int(0, static_cast<int>(challenge_colors.size()) - 1));
    names.push_back(challenge_colors[index]);
    // A small brightness shift varies the bytes without moving the colour towards a neighbour.
    const int shift = rng.uniform_int(-8, 8);
    const auto& base = challenge_color_rgb[index];
    fills.push_back(rgb8{
        clamp_byte(base[0] + shift), clamp_byte(base[1] + shift), clamp_byte(base[2] + shift)});
    // Compact shapes only: a thin star would leave little colour to see.
    shapes.push_back(static_cast<shape_id>(rng.uniform_int(0, 2)));
  }
  const int light = rng.uniform_int(236, 255);
  const rgb8 background{clamp_byte(light), clamp_byte(light), clamp_byte(light)};
  const auto slots = place_row(rng, challenge_color_objects, width, height, 0.36);

  const auto [top, bottom] = rows_of(slots);
  const auto canvas = where.draw(top, bottom, path, [&](cairo_t* cr) {
    for (std::size_t i = 0; i < slots.size(); ++i) {
      fill_shape(cr, shapes[i], slots[i].cx, slots[i].cy, slots[i].radius);
    }
  });
  return drawn{objects_raster(canvas->coverage(), where, slots, background, fills), join(names)};
}

drawn draw_shape(seeded_rng& rng, const scene& where, draw_path path) {
  const int width = where.width;
  const int height = where.height;
  std::vector<std::string_view> names;
  std::vector<shape_id> shapes;
  for (int i = 0; i < challenge_shape_objects; ++i) {
    const int index = rng.uniform_int(0, static_cast<int>(challenge_shapes.size()) - 1);
    names.push_back(challenge_shapes[static_cast<std::size_t>(index)]);
    shapes.push_back(static_cast<shape_id>(index));
  }
  const int background = rng.uniform_int(14, 15);  // grey levels, as for digits
  const int ink = rng.uniform_int(0, 3);
  const auto slots = place_row(rng, challenge_shape_objects, width, height, 0.40);

  const auto [top, bottom] = rows_of(slots);
  const auto canvas = where.draw(top, bottom, path, [&](cairo_t* cr) {
    for (std::size_t i = 0; i < slots.size(); ++i) {
      fill_shape(cr, shapes[i], slots[i].cx, slots[i].cy, slots[i].radius);
    }
  });
  return drawn{grey_raster(canvas->coverage(), background, ink), join(names)};
}

drawn draw_count(seeded_rng& rng, const scene& where, draw_path path) {
  const int width = where.width;
  const int height = where.height;
  std::array<int, challenge_count_boxes> counts{};
  std::string answer;
  for (int& n : counts) {
    n = rng.uniform_int(1, challenge_max_dots);
    answer += answer.empty() ? "" : " ";
    answer += std::to_string(n);
  }
  const int background = rng.uniform_int(14, 15);  // grey levels, as for digits
  const int ink = rng.uniform_int(0, 3);
  // Square boxes, one per cell of the width, all on one line.
  const double margin = width * 0.03;
  const double cell = (width - 2 * margin) / challenge_count_boxes;
  const double side = std::floor(std::min(cell * rng.uniform(0.80, 0.88), height * 0.84));
  const double top = std::round(rng.uniform(height * 0.08, height - side - height * 0.08));
  const double frame = std::max(2.0, std::round(side * 0.02));
  const double radius = side * rng.uniform(0.06, 0.075);
  // Dot centres keep a radius plus 4% of the box from the frame's inner edge.
  const double inset = frame + radius + side * 0.04;
  // Every box's place and dots first (in the generator's order), then the drawing.
  std::array<double, challenge_count_boxes> lefts{};
  std::array<std::vector<point>, challenge_count_boxes> dots;
  for (std::size_t b = 0; b < lefts.size(); ++b) {
    const double free = cell - side;
    lefts[b] = std::round(margin + cell * static_cast<double>(b) + free / 2 +
                          rng.uniform(-free / 4, free / 4));
    dots[b] = place_dots(rng, counts[b], radius, lefts[b] + inset, top + inset, side - 2 * inset);
  }

  const auto canvas = where.draw(top, top + side, path, [&](cairo_t* cr) {
    for (std::size_t b = 0; b < lefts.size(); ++b) {
      const double left = lefts[b];
      // The frame: an outer square minus an inner one, on whole pixels so its edges stay crisp.
      cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
      cairo_rectangle(cr, left, top, side, side);
      cairo_rectangle(cr, left + frame, top + frame, side - 2 * frame, side - 2 * frame);
      cairo_fill(cr);
      cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
      for (const point& d : dots[b]) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, d.x, d.y, radius, 0, 2 * pi);
      }
      cairo_fill(cr);
    }
  });
  return drawn{grey_raster(canvas->coverage(), background, ink), std::move(answer)};
}

}  // namespace visionwatch::challenge_detail
