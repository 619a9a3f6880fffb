#include <png.h>

#include <array>
#include <csetjmp>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "probes/png_codec.hpp"

// libpng reports errors by longjmp-ing out of its error callback. The functions below that call
// setjmp keep only trivially destructible locals in their frames, and no C++ object is created
// between setjmp and a libpng call that can fail, so the jump never skips a destructor. Every
// object with a destructor (the output string, the pixel vector, the png_struct guard) lives in a
// caller's frame that the jump does not cross.

namespace visionwatch {
namespace {

/// Filled by on_error; a plain array so the context stays trivially destructible.
struct error_message {
  std::array<char, 160> text{};

  void set(const char* msg) noexcept {
    std::strncpy(text.data(), msg != nullptr ? msg : "unknown libpng error", text.size() - 1);
    text.back() = '\0';
  }
};

void on_error(png_structp png, png_const_charp msg) {
  static_cast<error_message*>(png_get_error_ptr(png))->set(msg);
  png_longjmp(png, 1);
}

void on_warning(png_structp /*png*/, png_const_charp /*msg*/) {
  // Warnings (unknown ancillary chunks, benign CRC errors in them) do not stop a decode.
}

struct read_source {
  const unsigned char* data = nullptr;
  std::size_t size = 0;
  std::size_t pos = 0;
};

void on_read(png_structp png, png_bytep out, std::size_t length) {
  auto* src = static_cast<read_source*>(png_get_io_ptr(png));
  if (length > src->size - src->pos) {
    png_error(png, "truncated PNG data");
  }
  std::memcpy(out, src->data + src->pos, length);
  src->pos += length;
}

struct header_info {
  png_uint_32 width;
  png_uint_32 height;
  std::size_t rowbytes;
};

/// Reads the chunks up to the first IDAT: the size is known before anything big is allocated.
bool run_header(png_structp png, png_infop info, header_info* out) {
  if (setjmp(png_jmpbuf(png))) {
    return false;
  }
  png_read_info(png, info);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  return true;
}

/// Sets the transforms that turn any PNG into RGBA8 (this allocates libpng's row buffers).
bool run_transforms(png_structp png, png_infop info, header_info* out) {
  if (setjmp(png_jmpbuf(png))) {
    return false;
  }
  const png_byte color_type = png_get_color_type(png, info);
  const png_byte bit_depth = png_get_bit_depth(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_palette_to_rgb(png);
  }
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);
  }
  if (png_get_valid(png, info, PNG_INFO_tRNS) != 0) {
    png_set_tRNS_to_alpha(png);
  }
  if (bit_depth == 16) {
    png_set_strip_16(png);
  }
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_gray_to_rgb(png);
  }
  // Adds opaque alpha to RGB, grey and palette rows; a no-op when tRNS already supplied alpha.
  png_set_filler(png, 0xff, PNG_FILLER_AFTER);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  out->rowbytes = png_get_rowbytes(png, info);
  return true;
}

bool run_pixels(png_structp png, png_infop info, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) {
    return false;
  }
  png_read_image(png, rows);
  // Reads the chunks after the image data, so a file cut after its last IDAT is an error too.
  png_read_end(png, info);
  return true;
}

struct read_guard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  read_guard(const read_guard&) = delete;
  read_guard& operator=(const read_guard&) = delete;
  read_guard() = default;
  ~read_guard() { png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr); }
};

png_decode_result fail(std::string reason) {
  return png_decode_result{std::nullopt, std::move(reason)};
}

}  // namespace

png_decode_result decode_png(std::string_view bytes, std::size_t max_pixels) {
  constexpr std::size_t signature_size = 8;
  if (bytes.size() < signature_size ||
      png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, signature_size) != 0) {
    return fail("not a PNG (bad signature)");
  }
  error_message error;
  read_source source{reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 0};
  read_guard guard;
  guard.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, on_error, on_warning);
  if (guard.png == nullptr) {
    return fail("cannot create libpng reader");
  }
  guard.info = png_create_info_struct(guard.png);
  if (guard.info == nullptr) {
    return fail("cannot create libpng info");
  }
  png_set_read_fn(guard.png, &source, on_read);
  // Bound what libpng itself may allocate for ancillary chunks (text, ICC profiles) and
  // their number, so a hostile file cannot make the header read expensive.
  png_set_chunk_malloc_max(guard.png, png_alloc_size_t{4} * 1024 * 1024);
  png_set_chunk_cache_max(guard.png, 128);

  header_info header{};
  if (!run_header(guard.png, guard.info, &header)) {
    return fail(std::string("invalid PNG: ") + error.text.data());
  }
  const auto pixels = static_cast<std::uint64_t>(header.width) * header.height;
  if (header.width == 0 || header.height == 0) {
    return fail("invalid PNG: zero width or height");
  }
  if (pixels > max_pixels) {
    return fail("PNG too large: " + std::to_string(header.width) + "x" +
                std::to_string(header.height) + " exceeds the limit of " +
                std::to_string(max_pixels) + " pixels");
  }
  if (!run_transforms(guard.png, guard.info, &header)) {
    return fail(std::string("invalid PNG: ") + error.text.data());
  }
  if (header.rowbytes != static_cast<std::size_t>(header.width) * 4U) {
    return fail("unsupported PNG pixel layout");
  }

  rgba_image image;
  image.width = static_cast<int>(header.width);
  image.height = static_cast<int>(header.height);
  image.rgba.resize(static_cast<std::size_t>(pixels) * 4U);
  std::vector<png_bytep> rows(header.height);
  for (png_uint_32 y = 0; y < header.height; ++y) {
    rows[y] = image.rgba.data() + static_cast<std::size_t>(y) * header.rowbytes;
  }
  if (!run_pixels(guard.png, guard.info, rows.data())) {
    return fail(std::string("invalid PNG: ") + error.text.data());
  }
  return png_decode_result{std::move(image), {}};
}

}  // namespace visionwatch
