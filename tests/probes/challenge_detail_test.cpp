// The challenge's two drawing paths (probes/challenge_detail.hpp): the fast one (a band of rows,
// digits from cached glyph masks) must give exactly the pixels of the reference one (cairo on
// the whole canvas), so a seed keeps its image whichever path drew it.
#include "probes/challenge_detail.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "probes/challenge.hpp"
#include "probes/challenge_font.hpp"
#include "probes/seeded_rng.hpp"
#include "tests/probes/challenge_kinds.hpp"

namespace challenge_detail_test {

using namespace visionwatch;
using namespace visionwatch::challenge_detail;

namespace {

drawn draw(
    challenge_kind kind, const scene& where, bool large, std::uint64_t seed, draw_path path) {
  // Seeded as make_challenge seeds it.
  seeded_rng rng(seed ^ splitmix64_mix(static_cast<std::uint64_t>(kind) + 1U));
  switch (kind) {
    case challenge_kind::digits:
      return draw_digits(rng, where, large, path);
    case challenge_kind::color:
      return draw_color(rng, where, path);
    case challenge_kind::shape:
      return draw_shape(rng, where, path);
    case challenge_kind::count:
      break;
  }
  return draw_count(rng, where, path);
}

/// True when both rasters hold the same pixels, palette and transparency.
bool same_image(const raster& a, const raster& b) {
  if (a.width != b.width || a.height != b.height || a.row_bytes != b.row_bytes ||
      a.grey != b.grey || a.palette != b.palette) {
    return false;
  }
  for (std::size_t v = 0; v < a.see_through.size(); ++v) {
    const rgba8& x = a.see_through[v];
    const rgba8& y = b.see_through[v];
    if (x.r != y.r || x.g != y.g || x.b != y.b || x.a != y.a) {
      return false;
    }
  }
  for (int y = 0; y < a.height; ++y) {
    if (std::memcmp(a.row(y), b.row(y), a.row_bytes) != 0) {
      return false;
    }
  }
  return true;
}

/// Draws `seeds` seeds both ways and counts the images that differ.
int differing(challenge_kind kind, int width, int height, int seeds, bool large = false) {
  int bad = 0;
  for (int s = 0; s < seeds; ++s) {
    const auto seed = static_cast<std::uint64_t>(s) * 7919U + 1U;
    const scene where = large ? large_scene(kind, seed) : scene{width, height, 0, 0, width, height};
    const drawn fast = draw(kind, where, large, seed, draw_path::fast);
    const drawn reference = draw(kind, where, large, seed, draw_path::reference);
    CHECK(fast.answer == reference.answer);
    if (!same_image(fast.image, reference.image)) {
      ++bad;
    }
  }
  return bad;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the fast drawing gives the whole-canvas drawing's pixels for every kind") {
    for (const auto kind : test::every_challenge_kind) {
      CAPTURE(to_string(kind));
      CHECK(differing(kind, 512, 512, 200) == 0);
      CHECK(differing(kind, 300, 256, 50) == 0);
      CHECK(differing(kind, 1024, 700, 20) == 0);
      CHECK(differing(kind, 257, 999, 20) == 0);
    }
  }

  TEST_CASE("the fast drawing gives the same pixels at the smallest and the large sizes") {
    CHECK(differing(challenge_kind::digits, 64, 64, 200) == 0);
    CHECK(differing(challenge_kind::digits, 2000, 300, 20) == 0);
    CHECK(differing(challenge_kind::color, 128, 128, 100) == 0);
    for (const auto kind : test::every_challenge_kind) {
      CAPTURE(to_string(kind));
      CHECK(differing(kind, 0, 0, 8, true) == 0);
    }
  }

  TEST_CASE("ink drawn past a band's edge sends the drawing to the whole canvas") {
    const scene where{200, 100, 0, 0, 200, 100};
    const auto render = [](cairo_t* cr) {
      cairo_rectangle(cr, 10.5, 20.25, 50, 60);  // rows 20 to 80
      cairo_fill(cr);
    };
    // Told the ink is in rows 40 to 50 only: the band's edges hold ink, so it is not kept.
    const auto told_wrong = where.draw(40, 50, draw_path::fast, render);
    const auto whole = where.draw(0, 100, draw_path::reference, render);
    const coverage_rows a = told_wrong->coverage();
    const coverage_rows b = whole->coverage();
    CHECK(a.top == 0);
    CHECK(a.rows == 100);
    for (int y = 0; y < 100; ++y) {
      CHECK(std::memcmp(a.row(y), b.row(y), 200) == 0);
    }
    // Told right: only the band is drawn, and it holds the same rows.
    const auto told_right = where.draw(20.25, 80.25, draw_path::fast, render);
    const coverage_rows c = told_right->coverage();
    CHECK(c.top > 0);
    CHECK(c.rows < 100);
    for (int y = c.top; y < c.top + c.rows; ++y) {
      CHECK(std::memcmp(c.row(y), b.row(y), 200) == 0);
    }
  }

  TEST_CASE("digit glyphs are cached per whole pixel size within bounds") {
    const auto a = cached_digit_glyphs(90);
    REQUIRE(a != nullptr);
    CHECK(cached_digit_glyphs(90) == a);  // rendered once
    for (const glyph_mask& g : a->digits) {
      CHECK(g.width > 0);
      CHECK(g.height > 0);
      CHECK(g.coverage.size() == static_cast<std::size_t>(g.width * g.height));
      CHECK(g.top < 0);  // digits stand on the baseline
    }
    CHECK(cached_digit_glyphs(0) == nullptr);
    CHECK(cached_digit_glyphs(max_cached_glyph_size + 1) == nullptr);
  }
}

}  // namespace challenge_detail_test
