#pragma once
/// The zlib stream (RFC 1950) of a PNG's image data, written by our own deflate coder for the
/// flat images challenges draw (png_codec.hpp and png_deflate.cpp describe the coding).
/// Internal to probes/: png_encode.cpp wraps it in the IDAT chunk. Pure and thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>

namespace visionwatch::png_detail {

/// The rows of an image: base + y * stride, or one pointer per row (rows may share one).
struct row_source {
  const std::uint8_t* base = nullptr;
  std::size_t stride = 0;
  const std::uint8_t* const* pointers = nullptr;

  [[nodiscard]] const std::uint8_t* operator()(int y) const noexcept {
    return pointers != nullptr ? pointers[y] : base + static_cast<std::size_t>(y) * stride;
  }
};

/// Appends the zlib stream of the filtered image to `out`: each of the `height` rows of
/// `row_bytes` bytes prefixed by filter type 0. `pixel` is the match distance of the
/// run-length coding: 1 for grey and palette rows (any repeated byte), 4 for RGBA (a repeated
/// pixel).
void deflate_rows(
    std::string& out, const row_source& rows, std::size_t row_bytes, int height, std::size_t pixel);

}  // namespace visionwatch::png_detail
