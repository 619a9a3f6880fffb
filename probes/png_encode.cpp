// PNG encoding: the signature and the chunks around the image data, which png_deflate.cpp
// codes; the checks of what callers pass.

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "probes/png_codec.hpp"
#include "probes/png_deflate.hpp"

namespace visionwatch {
namespace {

using png_detail::row_source;

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xffU));
  }
}

/// Appends a chunk whose data `fill` appends to `out`; writes length and CRC around it.
template <class Fill>
void put_chunk(std::string& out, std::string_view type, Fill&& fill) {
  const std::size_t length_at = out.size();
  put_u32(out, 0);
  out.append(type);  // always four letters
  fill(out);
  const std::size_t data_size = out.size() - length_at - 8;
  if (data_size > 0x7fffffffU) {
    throw std::runtime_error("png encode: image data too large for one chunk");
  }
  for (int i = 0; i < 4; ++i) {
    out[length_at + static_cast<std::size_t>(i)] =
        static_cast<char>((data_size >> (24 - 8 * i)) & 0xffU);
  }
  const auto* typed = reinterpret_cast<const Bytef*>(out.data() + length_at + 4);
  put_u32(out, static_cast<std::uint32_t>(crc32(0L, typed, static_cast<uInt>(data_size + 4))));
}

struct encode_params {
  row_source rows;
  int width;
  int height;
  int bit_depth;
  int color_type;  ///< 0 grey, 3 palette, 6 RGBA
  std::span<const rgb8> palette;

  /// Bits per pixel: RGBA has four samples of `bit_depth` bits, grey and palette one.
  [[nodiscard]] std::size_t pixel_bits() const noexcept {
    return static_cast<std::size_t>(bit_depth) * (color_type == 6 ? 4U : 1U);
  }
};

void check_geometry(
    const std::uint8_t* pixels, int width, int height, std::size_t stride, int bit_depth) {
  if (bit_depth != 1 && bit_depth != 2 && bit_depth != 4 && bit_depth != 8) {
    throw std::invalid_argument("png encode: bit depth must be 1, 2, 4 or 8");
  }
  if (pixels == nullptr || width <= 0 || height <= 0 ||
      stride < (static_cast<std::size_t>(width) * static_cast<std::size_t>(bit_depth) + 7U) / 8U) {
    throw std::invalid_argument("png encode: invalid image geometry");
  }
}

void check_rows(const packed_rows& image) {
  const auto height = static_cast<int>(std::min<std::size_t>(image.rows.size(), 0x7fffffff));
  check_geometry(image.rows.empty() ? nullptr : image.rows.front(),
                 image.width,
                 height,
                 (static_cast<std::size_t>(std::max(image.width, 0)) *
                      static_cast<std::size_t>(std::max(image.bit_depth, 0)) +
                  7U) /
                     8U,
                 image.bit_depth);
  if (std::find(image.rows.begin(), image.rows.end(), nullptr) != image.rows.end()) {
    throw std::invalid_argument("png encode: invalid image geometry");
  }
}

void check_palette(std::span<const rgb8> palette, int bit_depth) {
  if (palette.empty() || palette.size() > (std::size_t{1} << static_cast<unsigned>(bit_depth))) {
    throw std::invalid_argument("png encode: a palette has 1 to 2^bit_depth colours");
  }
}

std::string encode(const encode_params& p) {
  const std::size_t row_bytes = (static_cast<std::size_t>(p.width) * p.pixel_bits() + 7U) / 8U;
  std::string out;
  // Flat images compress to a few percent of their raw size; this avoids most regrowth.
  out.reserve(row_bytes * static_cast<std::size_t>(p.height) / 16U + 1024U);
  out.append("\x89PNG\r\n\x1a\n", 8);
  put_chunk(out, "IHDR", [&p](std::string& o) {
    put_u32(o, static_cast<std::uint32_t>(p.width));
    put_u32(o, static_cast<std::uint32_t>(p.height));
    o.push_back(static_cast<char>(p.bit_depth));
    o.push_back(static_cast<char>(p.color_type));
    o.append(3, '\0');  // deflate, adaptive filtering (method 0), no interlace
  });
  if (!p.palette.empty()) {
    put_chunk(out, "PLTE", [&p](std::string& o) {
      for (const auto& c : p.palette) {
        o.push_back(static_cast<char>(c.r));
        o.push_back(static_cast<char>(c.g));
        o.push_back(static_cast<char>(c.b));
      }
    });
  }
  put_chunk(out, "IDAT", [&p, row_bytes](std::string& o) {
    deflate_rows(o, p.rows, row_bytes, p.height, p.color_type == 6 ? 4U : 1U);
  });
  put_chunk(out, "IEND", [](std::string&) {});
  return out;
}

}  // namespace

std::string encode_grey(
    const std::uint8_t* rows, int width, int height, std::size_t stride, int bit_depth) {
  check_geometry(rows, width, height, stride, bit_depth);
  return encode(encode_params{{rows, stride, nullptr}, width, height, bit_depth, 0, {}});
}

std::string encode_grey(const packed_rows& image) {
  check_rows(image);
  return encode(encode_params{{nullptr, 0, image.rows.data()},
                              image.width,
                              static_cast<int>(image.rows.size()),
                              image.bit_depth,
                              0,
                              {}});
}

std::string encode_palette(const std::uint8_t* rows,
                           int width,
                           int height,
                           std::size_t stride,
                           int bit_depth,
                           std::span<const rgb8> palette) {
  check_geometry(rows, width, height, stride, bit_depth);
  check_palette(palette, bit_depth);
  return encode(encode_params{{rows, stride, nullptr}, width, height, bit_depth, 3, palette});
}

std::string encode_palette(const packed_rows& image, std::span<const rgb8> palette) {
  check_rows(image);
  check_palette(palette, image.bit_depth);
  return encode(encode_params{{nullptr, 0, image.rows.data()},
                              image.width,
                              static_cast<int>(image.rows.size()),
                              image.bit_depth,
                              3,
                              palette});
}

std::string encode_rgba(const std::uint8_t* pixels, int width, int height, std::size_t stride) {
  if (pixels == nullptr || width <= 0 || height <= 0 ||
      stride < static_cast<std::size_t>(width) * 4U) {
    throw std::invalid_argument("png encode: invalid image geometry");
  }
  return encode(encode_params{{pixels, stride, nullptr}, width, height, 8, 6, {}});
}

std::string encode_grey8(const std::uint8_t* pixels, int width, int height, std::size_t stride) {
  return encode_grey(pixels, width, height, stride, 8);
}

std::string encode_palette8(const std::uint8_t* pixels,
                            int width,
                            int height,
                            std::size_t stride,
                            std::span<const rgb8> palette) {
  return encode_palette(pixels, width, height, stride, 8, palette);
}

}  // namespace visionwatch
