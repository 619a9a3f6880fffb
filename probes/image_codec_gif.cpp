// GIF through giflib 5 (image_codec.hpp). giflib reports errors as return values; the
// decoder uses its low-level record API, so it reads the first frame only, however many frames
// (or extension blocks) a file claims.

#include <gif_lib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "probes/image_codec.hpp"

namespace visionwatch {
namespace {

int append_to_string(GifFileType* gif, const GifByteType* data, int length) {
  static_cast<std::string*>(gif->UserData)
      ->append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  return length;
}

struct read_source {
  const GifByteType* data = nullptr;
  std::size_t size = 0;
  std::size_t pos = 0;
};

/// Gives giflib at most what is left; a short read makes it report an error.
int read_from_source(GifFileType* gif, GifByteType* out, int length) {
  auto* src = static_cast<read_source*>(gif->UserData);
  const std::size_t take =
      std::min(static_cast<std::size_t>(std::max(length, 0)), src->size - src->pos);
  std::memcpy(out, src->data + src->pos, take);
  src->pos += take;
  return static_cast<int>(take);
}

std::string gif_error(int code) {
  const char* text = GifErrorString(code);
  return text != nullptr ? text : "unknown giflib error " + std::to_string(code);
}

struct map_guard {
  ColorMapObject* map = nullptr;
  map_guard() = default;
  map_guard(const map_guard&) = delete;
  map_guard& operator=(const map_guard&) = delete;
  ~map_guard() { GifFreeMapObject(map); }
};

/// Closes a giflib handle unless the code closed it already (EGifCloseFile and DGifCloseFile
/// free the handle, so it is closed exactly once).
template <int (*Close)(GifFileType*, int*)>
struct file_guard {
  GifFileType* gif = nullptr;
  file_guard() = default;
  file_guard(const file_guard&) = delete;
  file_guard& operator=(const file_guard&) = delete;
  ~file_guard() {
    if (gif != nullptr) {
      int ignored = 0;
      Close(gif, &ignored);
    }
  }
  /// Closes now; false (and `error` set) when closing reported an error.
  bool close(int& error) {
    GifFileType* g = gif;
    gif = nullptr;
    return Close(g, &error) == GIF_OK;
  }
};

}  // namespace

std::string encode_gif(const std::uint8_t* indexes,
                       int width,
                       int height,
                       std::size_t stride,
                       std::span<const rgb8> palette) {
  if (indexes == nullptr || width <= 0 || height <= 0 || width > 0xffff || height > 0xffff ||
      stride < static_cast<std::size_t>(width)) {
    throw std::invalid_argument("gif encode: invalid image geometry");
  }
  if (palette.size() < 2 || palette.size() > 256) {
    throw std::invalid_argument("gif encode: a palette has 2 to 256 colours");
  }
  int bits = 1;
  while ((std::size_t{1} << static_cast<unsigned>(bits)) < palette.size()) {
    ++bits;
  }
  std::array<GifColorType, 256> colours{};
  for (std::size_t i = 0; i < palette.size(); ++i) {
    colours[i] = GifColorType{palette[i].r, palette[i].g, palette[i].b};
  }
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* row = indexes + static_cast<std::size_t>(y) * stride;
    if (*std::max_element(row, row + width) >= palette.size()) {
      throw std::invalid_argument("gif encode: a pixel indexes past the end of the palette");
    }
  }
  map_guard map;
  map.map = GifMakeMapObject(1 << bits, colours.data());
  if (map.map == nullptr) {
    throw std::runtime_error("gif encode: out of memory");
  }
  std::string out;
  // Every row is deflated by LZW at about a byte per pixel in flat areas; reserve a little.
  out.reserve(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) / 32U + 1024U);
  int error = 0;
  file_guard<EGifCloseFile> file;
  file.gif = EGifOpen(&out, append_to_string, &error);
  if (file.gif == nullptr) {
    throw std::runtime_error("gif encode: " + gif_error(error));
  }
  if (EGifPutScreenDesc(file.gif, width, height, bits, 0, map.map) == GIF_ERROR ||
      EGifPutImageDesc(file.gif, 0, 0, width, height, false, nullptr) == GIF_ERROR) {
    throw std::runtime_error("gif encode: " + gif_error(file.gif->Error));
  }
  for (int y = 0; y < height; ++y) {
    // giflib's row type is non-const; it only reads the row.
    auto* row = const_cast<GifPixelType*>(indexes + static_cast<std::size_t>(y) * stride);
    if (EGifPutLine(file.gif, row, width) == GIF_ERROR) {
      throw std::runtime_error("gif encode: " + gif_error(file.gif->Error));
    }
  }
  if (!file.close(error)) {
    throw std::runtime_error("gif encode: " + gif_error(error));
  }
  return out;
}

image_decode_result decode_gif(std::string_view bytes, std::size_t max_pixels) {
  if (!bytes.starts_with("GIF87a") && !bytes.starts_with("GIF89a")) {
    return decode_failure("not a GIF (bad signature)");
  }
  read_source source{reinterpret_cast<const GifByteType*>(bytes.data()), bytes.size(), 0};
  int error = 0;
  file_guard<DGifCloseFile> file;
  file.gif = DGifOpen(&source, read_from_source, &error);
  if (file.gif == nullptr) {
    return decode_failure("invalid GIF: " + gif_error(error));
  }
  GifFileType* gif = file.gif;
  const int screen_w = gif->SWidth;
  const int screen_h = gif->SHeight;
  if (screen_w <= 0 || screen_h <= 0) {
    return decode_failure("invalid GIF: zero width or height");
  }
  const auto pixels = static_cast<std::uint64_t>(screen_w) * static_cast<std::uint64_t>(screen_h);
  if (pixels > max_pixels) {
    return decode_failure("GIF too large: " + std::to_string(screen_w) + "x" +
                          std::to_string(screen_h) + " exceeds the limit of " +
                          std::to_string(max_pixels) + " pixels");
  }
  int transparent = NO_TRANSPARENT_COLOR;
  while (true) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif, &type) == GIF_ERROR) {
      return decode_failure("invalid GIF: " + gif_error(gif->Error));
    }
    if (type == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* block = nullptr;
      if (DGifGetExtension(gif, &code, &block) == GIF_ERROR) {
        return decode_failure("invalid GIF: " + gif_error(gif->Error));
      }
      GraphicsControlBlock gcb{};
      if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr &&
          DGifExtensionToGCB(block[0], block + 1, &gcb) == GIF_OK) {
        transparent = gcb.TransparentColor;
      }
      while (block != nullptr) {
        if (DGifGetExtensionNext(gif, &block) == GIF_ERROR) {
          return decode_failure("invalid GIF: " + gif_error(gif->Error));
        }
      }
      continue;
    }
    if (type == TERMINATE_RECORD_TYPE) {
      return decode_failure("invalid GIF: no image");
    }
    if (type != IMAGE_DESC_RECORD_TYPE) {
      return decode_failure("invalid GIF: unknown record");
    }
    if (DGifGetImageDesc(gif) == GIF_ERROR) {
      return decode_failure("invalid GIF: " + gif_error(gif->Error));
    }
    break;
  }
  const GifImageDesc& frame = gif->Image;
  if (frame.Width <= 0 || frame.Height <= 0 || frame.Left < 0 || frame.Top < 0 ||
      frame.Left + frame.Width > screen_w || frame.Top + frame.Height > screen_h) {
    return decode_failure("invalid GIF: the first frame lies outside the screen");
  }
  const ColorMapObject* map = frame.ColorMap != nullptr ? frame.ColorMap : gif->SColorMap;
  if (map == nullptr || map->Colors == nullptr || map->ColorCount <= 0) {
    return decode_failure("invalid GIF: no colour map");
  }
  rgba_image image;
  image.width = screen_w;
  image.height = screen_h;
  image.rgba.assign(static_cast<std::size_t>(pixels) * 4U, 0);  // uncovered: transparent
  std::vector<GifPixelType> line(static_cast<std::size_t>(frame.Width));
  const auto put_row = [&](int y) {
    std::uint8_t* out = image.rgba.data() + (static_cast<std::size_t>(frame.Top + y) *
                                                 static_cast<std::size_t>(screen_w) +
                                             static_cast<std::size_t>(frame.Left)) *
                                                4U;
    for (const GifPixelType index : line) {
      if (index != transparent) {
        // An index past the map's end (a damaged file) shows as black, as browsers do.
        const bool known = index < map->ColorCount;
        out[0] = known ? map->Colors[index].Red : 0;
        out[1] = known ? map->Colors[index].Green : 0;
        out[2] = known ? map->Colors[index].Blue : 0;
        out[3] = 255;
      }
      out += 4;
    }
  };
  // Interlaced frames arrive in four passes: every 8th row from 0, every 8th from 4, every
  // 4th from 2, every 2nd from 1.
  constexpr std::array<int, 4> start{0, 4, 2, 1};
  constexpr std::array<int, 4> step{8, 8, 4, 2};
  const int passes = frame.Interlace ? 4 : 1;
  for (int pass = 0; pass < passes; ++pass) {
    const int first = frame.Interlace ? start[static_cast<std::size_t>(pass)] : 0;
    const int every = frame.Interlace ? step[static_cast<std::size_t>(pass)] : 1;
    for (int y = first; y < frame.Height; y += every) {
      if (DGifGetLine(gif, line.data(), frame.Width) == GIF_ERROR) {
        return decode_failure("invalid GIF: " + gif_error(gif->Error));
      }
      put_row(y);
    }
  }
  return image_decode_result{std::move(image), {}};
}

}  // namespace visionwatch
