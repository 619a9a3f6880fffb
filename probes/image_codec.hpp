#pragma once
/// The challenge's other image formats: JPEG (libjpeg-turbo), WebP (libwebp) and GIF (giflib)
/// encoders for the probe shapes jpeg, webp and gif, and one bounded decoder for every format a
/// challenge is sent in (PNG through png_codec), so the pixel reader, the simulated gateway and
/// the tests can see any of them. Encoders are deterministic: the same pixels and settings give
/// the same bytes. Decoders never trust their input (a hostile gateway may supply it): the size
/// is checked against a pixel cap before any pixel buffer is allocated, animated or unsupported
/// inputs are refused, and every library error becomes an error value, never a crash or an
/// exit. One file per codec: image_codec_jpeg.cpp, image_codec_webp.cpp, image_codec_gif.cpp;
/// image_codec.cpp sniffs the format. All functions are thread-safe (no shared state).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "probes/challenge.hpp"
#include "probes/png_codec.hpp"

namespace visionwatch {

/// Rows of 8-bit pixels to encode: `channels` bytes per pixel (1 grey, 3 RGB), rows `stride`
/// bytes apart, top to bottom.
struct pixel_rows {
  const std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  std::size_t stride = 0;
  int channels = 1;
};

/// The check every encoder makes first: `rows` has pixels, 1 to `max_dimension` of them on each
/// side, grey or RGB, and rows at least width * channels bytes apart.
bool encodable(const pixel_rows& rows, int max_dimension) noexcept;

/// The settings challenges are encoded with. Chosen by measurement (docs/challenges.md, "Image
/// formats"): tesseract reads at least 99% of 500 digits challenges in each format
/// (tests/probes/challenge_ocr_test.cpp) and the encode stays cheap
/// (bench/challenge_bench.cpp).
struct jpeg_settings {
  int quality = 85;  ///< libjpeg quality 1..100 (standard tables, baseline, no optimised Huffman)
};
struct webp_settings {
  float quality = 80;  ///< lossy quality 0..100
  int method = 0;      ///< 0 (fastest) .. 6 (smallest)
};

/// Baseline JPEG: one component for grey rows, YCbCr 4:2:0 for RGB rows; integer DCT, so the
/// bytes do not depend on the CPU's SIMD extensions. Throws std::invalid_argument for bad
/// geometry or channel counts, std::runtime_error if libjpeg fails (out of memory).
std::string encode_jpeg(const pixel_rows& rows, jpeg_settings settings = {});

/// Lossy WebP (VP8) of grey or RGB rows (grey is expanded to RGB: WebP has no grey mode).
/// Throws like encode_jpeg; sizes over 16383 are invalid.
std::string encode_webp(const pixel_rows& rows, webp_settings settings = {});

/// GIF87a of 8-bit palette indexes (one byte per pixel, rows `stride` bytes apart); `palette`
/// has 2 to 256 colours (padded with black to the next power of two, as GIF requires) and
/// every index must be inside it. The colours are stored exactly. Throws like encode_jpeg.
std::string encode_gif(const std::uint8_t* indexes,
                       int width,
                       int height,
                       std::size_t stride,
                       std::span<const rgb8> palette);

/// The format `bytes` are in, from their signature: PNG, JPEG (FF D8 FF), GIF (GIF87a/GIF89a),
/// WebP (RIFF....WEBP). Empty for anything else.
std::optional<image_format> sniff_image_format(std::string_view bytes) noexcept;

/// Decoded image or a human-readable reason (the same type decode_png returns).
using image_decode_result = png_decode_result;

/// A failed decode: no image, `reason` saying why.
image_decode_result decode_failure(std::string reason);

/// JPEG (baseline or progressive, grey or YCbCr) to RGBA8. Errors: not a JPEG, corrupt or
/// truncated data (libjpeg's warnings count as errors), CMYK, more than `max_pixels` pixels,
/// more than 500 progressive scans.
image_decode_result decode_jpeg(std::string_view bytes,
                                std::size_t max_pixels = default_max_png_pixels);
/// Still WebP (lossy or lossless, with or without alpha) to RGBA8. Animated WebP is refused.
image_decode_result decode_webp(std::string_view bytes,
                                std::size_t max_pixels = default_max_png_pixels);
/// The first frame of a GIF to RGBA8 on its logical screen (uncovered pixels and the frame's
/// transparent index are transparent). The screen is capped by `max_pixels`; a frame outside
/// its screen, a missing colour map or a damaged LZW stream is an error. Later frames are not
/// read.
image_decode_result decode_gif(std::string_view bytes,
                               std::size_t max_pixels = default_max_png_pixels);

/// Any of the four formats, by sniffing: the decoder of the format the bytes really are (a
/// media type that lies does not matter here).
image_decode_result decode_image(std::string_view bytes,
                                 std::size_t max_pixels = default_max_png_pixels);

}  // namespace visionwatch
