// WebP through libwebp (image_codec.hpp). libwebp reports errors as return values.

#include <webp/decode.h>
#include <webp/encode.h>

#include <stdexcept>
#include <vector>

#include "probes/image_codec.hpp"

namespace visionwatch {
namespace {

/// Frees what libwebp allocated for an encode, however the encode ends.
struct webp_encode_guard {
  WebPPicture picture{};
  WebPMemoryWriter writer{};
  webp_encode_guard() {
    WebPPictureInit(&picture);
    WebPMemoryWriterInit(&writer);
  }
  webp_encode_guard(const webp_encode_guard&) = delete;
  webp_encode_guard& operator=(const webp_encode_guard&) = delete;
  ~webp_encode_guard() {
    WebPPictureFree(&picture);
    WebPMemoryWriterClear(&writer);
  }
};

}  // namespace

std::string encode_webp(const pixel_rows& rows, webp_settings settings) {
  if (!encodable(rows, WEBP_MAX_DIMENSION)) {
    throw std::invalid_argument("webp encode: invalid image geometry or channel count");
  }
  WebPConfig config;
  if (WebPConfigInit(&config) == 0) {
    throw std::runtime_error("webp encode: libwebp version mismatch");
  }
  config.quality = settings.quality;
  config.method = settings.method;
  if (WebPValidateConfig(&config) == 0) {
    throw std::invalid_argument("webp encode: quality must be 0 to 100 and method 0 to 6");
  }
  // WebP has no grey mode: grey rows are given as RGB.
  std::vector<std::uint8_t> expanded;
  const std::uint8_t* rgb = rows.data;
  std::size_t stride = rows.stride;
  if (rows.channels == 1) {
    const auto w = static_cast<std::size_t>(rows.width);
    expanded.resize(w * 3U * static_cast<std::size_t>(rows.height));
    for (int y = 0; y < rows.height; ++y) {
      const std::uint8_t* in = rows.data + static_cast<std::size_t>(y) * rows.stride;
      std::uint8_t* out = expanded.data() + static_cast<std::size_t>(y) * w * 3U;
      for (std::size_t x = 0; x < w; ++x) {
        out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = in[x];
      }
    }
    rgb = expanded.data();
    stride = w * 3U;
  }
  webp_encode_guard guard;
  guard.picture.width = rows.width;
  guard.picture.height = rows.height;
  guard.picture.writer = WebPMemoryWrite;
  guard.picture.custom_ptr = &guard.writer;
  if (WebPPictureImportRGB(&guard.picture, rgb, static_cast<int>(stride)) == 0 ||
      WebPEncode(&config, &guard.picture) == 0) {
    throw std::runtime_error("webp encode: libwebp error " +
                             std::to_string(static_cast<int>(guard.picture.error_code)));
  }
  return {reinterpret_cast<const char*>(guard.writer.mem), guard.writer.size};
}

image_decode_result decode_webp(std::string_view bytes, std::size_t max_pixels) {
  if (bytes.size() < 12 || !bytes.starts_with("RIFF") || bytes.substr(8, 4) != "WEBP") {
    return decode_failure("not a WebP (bad signature)");
  }
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(data, bytes.size(), &features) != VP8_STATUS_OK) {
    return decode_failure("invalid WebP: unreadable header");
  }
  if (features.has_animation != 0) {
    return decode_failure("animated WebP is not supported");
  }
  if (features.width <= 0 || features.height <= 0) {
    return decode_failure("invalid WebP: zero width or height");
  }
  const auto pixels =
      static_cast<std::uint64_t>(features.width) * static_cast<std::uint64_t>(features.height);
  if (pixels > max_pixels) {
    return decode_failure("WebP too large: " + std::to_string(features.width) + "x" +
                          std::to_string(features.height) + " exceeds the limit of " +
                          std::to_string(max_pixels) + " pixels");
  }
  rgba_image image;
  image.width = features.width;
  image.height = features.height;
  image.rgba.resize(static_cast<std::size_t>(pixels) * 4U);
  if (WebPDecodeRGBAInto(
          data, bytes.size(), image.rgba.data(), image.rgba.size(), image.width * 4) == nullptr) {
    return decode_failure("invalid WebP: the image data could not be decoded");
  }
  return image_decode_result{std::move(image), {}};
}

}  // namespace visionwatch
