// What the kinds draw on and what they hand to the encoder: the band canvas (cairo over only the
// rows that hold ink) and its coverage packed into the 4-bit raster (challenge_detail.hpp).

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

#include "probes/challenge_detail.hpp"

namespace visionwatch::challenge_detail {
namespace {

// Images are written with 4 bits per pixel (16 grey levels or 16 palette entries): zlib's time
// grows with the raw bytes it is fed and dominates the cost of a challenge, and 16 levels are
// plenty for antialiased edges (15 intermediate steps between background and ink).

/// Coverage 0..255 -> one of the 16 levels on the line from `from` (coverage 0) to `to` (255).
std::array<std::uint8_t, 256> level_table(int from, int to) {
  std::array<std::uint8_t, 256> table{};
  for (int a = 0; a < 256; ++a) {
    const int scaled = from * 255 + (to - from) * a;  // level * 255, in 0 .. 15 * 255
    table[static_cast<std::size_t>(a)] = static_cast<std::uint8_t>((scaled + 127) / 255);
  }
  return table;
}

/// True when the `n` bytes at `p` are all zero; word-wise, so the compiler vectorises it.
bool all_zero(const std::uint8_t* p, std::size_t n) {
  std::uint64_t any = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p + i, sizeof word);
    any |= word;
  }
  for (; i < n; ++i) {
    any |= p[i];
  }
  return any == 0;
}

/// The levels of 2n coverage bytes from `in`, packed two to a byte into `out`: what
/// level_table(from, to) gives, computed rather than looked up so that it runs 32 pixels at a
/// time (level * 255 + 127 stays under 2^13, and (v + 1 + (v >> 8)) >> 8 is v / 255 below
/// 65535). Blocks without ink take a shortcut.
void pack_pairs(const std::uint8_t* in, std::uint8_t* out, std::size_t n, int from, int to) {
  const auto base = static_cast<std::uint16_t>(from * 255 + 127);
  const auto delta = static_cast<std::uint16_t>(to - from);  // modulo 2^16 when negative
  const auto level = [base, delta](std::uint8_t coverage) {
    const auto v = static_cast<std::uint16_t>(base + delta * coverage);
    return static_cast<std::uint16_t>((v + 1U + (v >> 8U)) >> 8U);
  };
  std::size_t k = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  const __m128i base8 = _mm_set1_epi16(static_cast<short>(base));
  const __m128i delta8 = _mm_set1_epi16(static_cast<short>(delta));
  const __m128i one = _mm_set1_epi16(1);
  const __m128i low16 = _mm_set1_epi32(0xffff);
  const auto background = static_cast<char>(level(0) << 4U | level(0));
  // Eight coverage bytes (as 16-bit lanes) to four packed bytes (as 32-bit lanes).
  const auto pairs_of = [&](__m128i coverage) {
    __m128i v = _mm_add_epi16(base8, _mm_mullo_epi16(delta8, coverage));
    v = _mm_srli_epi16(_mm_add_epi16(_mm_add_epi16(v, one), _mm_srli_epi16(v, 8)), 8);
    return _mm_or_si128(_mm_slli_epi32(_mm_and_si128(v, low16), 4), _mm_srli_epi32(v, 16));
  };
  for (; k + 16 <= n; k += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * k));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * k + 16));
    __m128i packed;
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(a, b), zero)) == 0xffff) {
      packed = _mm_set1_epi8(background);
    } else {
      const __m128i front = _mm_packs_epi32(pairs_of(_mm_unpacklo_epi8(a, zero)),
                                            pairs_of(_mm_unpackhi_epi8(a, zero)));
      const __m128i back = _mm_packs_epi32(pairs_of(_mm_unpacklo_epi8(b, zero)),
                                           pairs_of(_mm_unpackhi_epi8(b, zero)));
      packed = _mm_packus_epi16(front, back);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), packed);
  }
#endif
  for (; k < n; ++k) {
    out[k] = static_cast<std::uint8_t>(level(in[2 * k]) << 4U | level(in[2 * k + 1]));
  }
}

/// Packs the coverage's rows into 4-bit PNG rows, two pixels per byte, levels on the line from
/// `from` (coverage 0) to `to` (255), into `r` (its band: the coverage's rows; its background
/// row: coverage 0). Rows without ink take a shortcut. Every output byte is written, so the
/// buffer is not zeroed first.
void pack_nibbles(const coverage_rows& coverage, int from, int to, raster& r) {
  const std::array<std::uint8_t, 256> level = level_table(from, to);
  const int w = coverage.width;
  r.width = w;
  r.height = coverage.height;
  r.row_bytes = (static_cast<std::size_t>(w) + 1U) / 2U;
  r.top = coverage.top;
  r.rows_held = coverage.rows;
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): every byte is written, so not zeroed
  r.rows = std::make_unique_for_overwrite<std::uint8_t[]>(r.row_bytes *
                                                          static_cast<std::size_t>(coverage.rows));
  const auto background_pair = static_cast<std::uint8_t>(level[0] << 4U | level[0]);
  const auto pairs = static_cast<std::size_t>(w) / 2U;
  const auto background = [&](std::uint8_t* o) {
    std::memset(o, background_pair, pairs);
    if (w % 2 != 0) {
      o[r.row_bytes - 1] = static_cast<std::uint8_t>(level[0] << 4U);
    }
  };
  r.background_row.resize(r.row_bytes);
  background(r.background_row.data());
  for (int y = 0; y < coverage.rows; ++y) {
    const std::uint8_t* in = coverage.data + static_cast<std::size_t>(y) * coverage.stride;
    std::uint8_t* o = r.rows.get() + static_cast<std::size_t>(y) * r.row_bytes;
    if (all_zero(in, static_cast<std::size_t>(w))) {  // a background row
      background(o);
      continue;
    }
    pack_pairs(in, o, pairs, from, to);
    if (w % 2 != 0) {
      o[r.row_bytes - 1] = static_cast<std::uint8_t>(level[in[w - 1]] << 4U);
    }
  }
}

}  // namespace

raster grey_raster(const coverage_rows& drawing, int background_level, int ink_level) {
  raster r;
  pack_nibbles(drawing, background_level, ink_level, r);
  r.grey = true;
  // Seen through: every level is black ink at the coverage that level stands for. Black, not
  // the drawn grey: flattened onto black (or with alpha dropped) even a dark grey stays
  // visible to a reader that stretches contrast, as Tesseract does.
  for (int v = 0; v < 16; ++v) {
    const double coverage =
        background_level == ink_level
            ? 0.0
            : std::clamp(static_cast<double>(background_level - v) / (background_level - ink_level),
                         0.0,
                         1.0);
    const auto alpha = static_cast<std::uint8_t>(std::lround(coverage * 255));
    r.see_through[static_cast<std::size_t>(v)] = rgba8{0, 0, 0, alpha};
  }
  return r;
}

std::vector<const std::uint8_t*> raster::row_pointers() const {
  std::vector<const std::uint8_t*> out(static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    out[static_cast<std::size_t>(y)] = row(y);
  }
  return out;
}

band_canvas::band_canvas(
    int canvas_width, int canvas_height, int scene_x, int scene_y, int top, int rows)
    : canvas_(canvas_width, rows), canvas_height_(canvas_height), top_(top) {
  cairo_translate(canvas_.cr(), scene_x, scene_y - top);
}

coverage_rows band_canvas::coverage() const noexcept {
  return coverage_rows{
      canvas_.data(), canvas_.stride(), canvas_.width(), canvas_height_, top_, canvas_.height()};
}

bool band_canvas::ink_at_cut() const noexcept {
  const coverage_rows c = coverage();
  const auto width = static_cast<std::size_t>(c.width);
  return (c.top > 0 && !all_zero(c.row(c.top), width)) ||
         (c.top + c.rows < c.height && !all_zero(c.row(c.top + c.rows - 1), width));
}

}  // namespace visionwatch::challenge_detail
