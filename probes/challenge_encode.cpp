// A drawn challenge (challenge_detail::raster) in the format its shape asks for: the PNG as
// before (4-bit grey or palette), JPEG, WebP or GIF of the same pixels, or, for shape `rgba`, an
// RGBA PNG whose background is transparent (docs/challenges.md, "Image formats").

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "probes/challenge_detail.hpp"
#include "probes/image_codec.hpp"
#include "probes/png_codec.hpp"

namespace visionwatch::challenge_detail {
namespace {

/// Unpacks the 4-bit values into `channels` bytes per pixel through `lookup` (value → bytes).
template <std::size_t Channels>
std::vector<std::uint8_t> expand(const raster& r,
                                 const std::array<std::array<std::uint8_t, Channels>, 16>& lookup) {
  const auto w = static_cast<std::size_t>(r.width);
  std::vector<std::uint8_t> out(w * Channels * static_cast<std::size_t>(r.height));
  std::uint8_t* o = out.data();
  for (int y = 0; y < r.height; ++y) {
    const std::uint8_t* in = r.row(y);
    for (std::size_t x = 0; x < w; ++x) {
      const unsigned shift = x % 2 == 0 ? 4U : 0U;
      const auto& px = lookup[(in[x / 2] >> shift) & 0x0fU];
      for (std::size_t c = 0; c < Channels; ++c) {
        *o++ = px[c];
      }
    }
  }
  return out;
}

/// Each value's opaque colour: its grey level, or its palette entry (black past the end).
std::array<rgb8, 16> colours_of(const raster& r) {
  std::array<rgb8, 16> out{};
  for (std::size_t v = 0; v < out.size(); ++v) {
    const auto grey = static_cast<std::uint8_t>(v * 17);
    out[v] = r.grey ? rgb8{grey, grey, grey} : v < r.palette.size() ? r.palette[v] : rgb8{};
  }
  return out;
}

std::string encode_transparent(const raster& r) {
  std::array<std::array<std::uint8_t, 4>, 16> lookup{};
  for (std::size_t v = 0; v < lookup.size(); ++v) {
    const rgba8& p = r.see_through[v];
    lookup[v] = {p.r, p.g, p.b, p.a};
  }
  const auto rgba = expand(r, lookup);
  return encode_rgba(rgba.data(), r.width, r.height, static_cast<std::size_t>(r.width) * 4U);
}

}  // namespace

std::string encode_raster(const raster& r, const challenge_options& options) {
  if (options.transparent) {
    return encode_transparent(r);
  }
  const auto colours = colours_of(r);
  const auto w = static_cast<std::size_t>(r.width);
  switch (options.format) {
    case image_format::png: {
      const auto rows = r.row_pointers();
      const packed_rows packed{rows, r.width, 4};
      return r.grey ? encode_grey(packed) : encode_palette(packed, r.palette);
    }
    case image_format::gif: {
      std::array<std::array<std::uint8_t, 1>, 16> index{};
      for (std::size_t v = 0; v < index.size(); ++v) {
        index[v] = {static_cast<std::uint8_t>(v)};
      }
      // Every value's colour is stored exactly: 16 entries, so the colour challenge's fills
      // (and each grey level) come back as they were drawn.
      return encode_gif(expand(r, index).data(), r.width, r.height, w, colours);
    }
    case image_format::jpeg:
    case image_format::webp: {
      std::vector<std::uint8_t> pixels;
      int channels = 1;
      if (r.grey) {
        std::array<std::array<std::uint8_t, 1>, 16> grey{};
        for (std::size_t v = 0; v < grey.size(); ++v) {
          grey[v] = {colours[v].r};
        }
        pixels = expand(r, grey);
      } else {
        std::array<std::array<std::uint8_t, 3>, 16> rgb{};
        for (std::size_t v = 0; v < rgb.size(); ++v) {
          rgb[v] = {colours[v].r, colours[v].g, colours[v].b};
        }
        pixels = expand(r, rgb);
        channels = 3;
      }
      const pixel_rows rows{
          pixels.data(), r.width, r.height, w * static_cast<std::size_t>(channels), channels};
      return options.format == image_format::jpeg ? encode_jpeg(rows) : encode_webp(rows);
    }
  }
  throw std::invalid_argument("unknown image format");
}

}  // namespace visionwatch::challenge_detail
