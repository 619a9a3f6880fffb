#include "probes/image_ink.hpp"

namespace visionwatch::image_detail {

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

namespace {

std::size_t find_root(std::vector<std::size_t>& parent, std::size_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];  // path halving
    i = parent[i];
  }
  return i;
}

}  // namespace

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

}  // namespace visionwatch::image_detail
