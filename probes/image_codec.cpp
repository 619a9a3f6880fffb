#include "probes/image_codec.hpp"

namespace visionwatch {

image_decode_result decode_failure(std::string reason) {
  return image_decode_result{std::nullopt, std::move(reason)};
}

bool encodable(const pixel_rows& rows, int max_dimension) noexcept {
  return rows.data != nullptr && rows.width > 0 && rows.height > 0 && rows.width <= max_dimension &&
         rows.height <= max_dimension && (rows.channels == 1 || rows.channels == 3) &&
         rows.stride >=
             static_cast<std::size_t>(rows.width) * static_cast<std::size_t>(rows.channels);
}

std::optional<image_format> sniff_image_format(std::string_view bytes) noexcept {
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) {
    return image_format::png;
  }
  if (bytes.starts_with("\xff\xd8\xff")) {
    return image_format::jpeg;
  }
  if (bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a")) {
    return image_format::gif;
  }
  if (bytes.size() >= 12 && bytes.starts_with("RIFF") && bytes.substr(8, 4) == "WEBP") {
    return image_format::webp;
  }
  return std::nullopt;
}

image_decode_result decode_image(std::string_view bytes, std::size_t max_pixels) {
  const auto format = sniff_image_format(bytes);
  if (!format) {
    return image_decode_result{std::nullopt, "not a PNG, JPEG, WebP or GIF image"};
  }
  switch (*format) {
    case image_format::png:
      return decode_png(bytes, max_pixels);
    case image_format::jpeg:
      return decode_jpeg(bytes, max_pixels);
    case image_format::webp:
      return decode_webp(bytes, max_pixels);
    case image_format::gif:
      return decode_gif(bytes, max_pixels);
  }
  return image_decode_result{std::nullopt, "unknown image format"};
}

}  // namespace visionwatch
