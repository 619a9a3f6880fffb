#pragma once
/// PNG encoding for challenge images and bounded decoding for anything that reads one back (the
/// pixel reader, the fake upstream in tests, the demo gateway). Encoding is tuned for flat
/// images: our own writer (no libpng) codes a row equal to the one above as one back-reference
/// and any other row with run-length matches (of bytes; of whole pixels for RGBA), in one
/// fixed-Huffman deflate block; no row filters, everything in memory. Decoding never
/// trusts its input: sizes are checked before any pixel buffer is allocated and libpng errors
/// become error values. All functions are thread-safe (no shared state).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace visionwatch {

struct rgb8 {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  friend bool operator==(const rgb8&, const rgb8&) = default;
};

/// A decoded image: `rgba` holds width * height * 4 bytes, rows top to bottom, no padding.
struct rgba_image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgba;

  [[nodiscard]] const std::uint8_t* pixel(int x, int y) const noexcept {
    return rgba.data() + (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                          static_cast<std::size_t>(x)) *
                             4U;
  }
};

/// Either an image or a human-readable reason it could not be decoded.
struct png_decode_result {
  std::optional<rgba_image> image;
  std::string error;  ///< empty when `image` is set
};

/// Decoder cap on width * height unless the caller gives another.
inline constexpr std::size_t default_max_png_pixels = std::size_t{16} * 1024 * 1024;

/// Greyscale PNG from `height` rows, `stride` bytes apart, packed as PNG stores them: at
/// `bit_depth` 8 one byte per pixel; at 1, 2 or 4 several pixels per byte, leftmost pixel in the
/// most significant bits. Lower depths are how challenges stay fast: the encoder's cost grows
/// with the raw bytes it is fed, and 16 grey levels are plenty for antialiased flat shapes.
/// Throws std::invalid_argument for non-positive sizes, a bad depth or a stride shorter than a
/// row, std::bad_alloc when out of memory.
std::string encode_grey(
    const std::uint8_t* rows, int width, int height, std::size_t stride, int bit_depth);

/// Palette PNG, rows packed like encode_grey's; each pixel indexes `palette` (1 to
/// 2^bit_depth entries; pixels must not index past its end). Throws like encode_grey, and
/// std::invalid_argument for an empty or oversized palette.
std::string encode_palette(const std::uint8_t* rows,
                           int width,
                           int height,
                           std::size_t stride,
                           int bit_depth,
                           std::span<const rgb8> palette);

/// A packed image given as one pointer per row, each row packed as encode_grey describes (at
/// `bit_depth` 1, 2, 4 or 8). Rows may share a pointer: a row with the same pointer as the row
/// above is coded as a repeat without comparing bytes (a drawn image's background rows).
struct packed_rows {
  std::span<const std::uint8_t* const> rows;  ///< top to bottom; the height is rows.size()
  int width = 0;
  int bit_depth = 8;
};

/// encode_grey and encode_palette from row pointers; the same bytes as from a buffer holding
/// the same rows. Throw like them, and for a null row.
std::string encode_grey(const packed_rows& image);
std::string encode_palette(const packed_rows& image, std::span<const rgb8> palette);

/// RGBA PNG (colour type 6, 8 bits per sample, straight alpha): four bytes per pixel, rows
/// `stride` bytes apart. Throws like encode_grey.
std::string encode_rgba(const std::uint8_t* pixels, int width, int height, std::size_t stride);

/// encode_grey at 8 bits per pixel.
std::string encode_grey8(const std::uint8_t* pixels, int width, int height, std::size_t stride);

/// encode_palette at 8 bits per pixel (up to 256 colours).
std::string encode_palette8(const std::uint8_t* pixels,
                            int width,
                            int height,
                            std::size_t stride,
                            std::span<const rgb8> palette);

/// Decodes any PNG (grey, grey+alpha, palette, RGB, RGBA; 1 to 16 bits; interlaced or not) to
/// RGBA8. Rejects images with more than `max_pixels` pixels before allocating them; corrupt,
/// truncated or non-PNG input gives an error value, never a crash.
png_decode_result decode_png(std::string_view bytes,
                             std::size_t max_pixels = default_max_png_pixels);

}  // namespace visionwatch
