#include "probes/png_codec.hpp"

#include <png.h>
#include <zlib.h>

#include <array>
#include <csetjmp>
#include <cstring>
#include <stdexcept>

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

// ---------------------------------------------------------------------------------------------
// Encoding

struct write_sink {
  std::string* out = nullptr;
};

void on_write(png_structp png, png_bytep data, std::size_t length) {
  bool failed = false;
  try {
    static_cast<write_sink*>(png_get_io_ptr(png))
        ->out->append(reinterpret_cast<const char*>(data), length);
  } catch (...) {
    failed = true;
  }
  // Outside the catch block: jumping out of a handler would leave the exception half-handled.
  if (failed) {
    png_error(png, "out of memory while writing PNG");
  }
}

void on_flush(png_structp /*png*/) {}

struct encode_params {
  const std::uint8_t* pixels;
  int width;
  int height;
  std::size_t stride;
  int bit_depth;
  int color_type;
  const png_color* palette;
  int palette_size;
};

bool run_writer(png_structp png, png_infop info, const encode_params* p) {
  if (setjmp(png_jmpbuf(png))) {
    return false;
  }
  png_set_IHDR(png,
               info,
               static_cast<png_uint_32>(p->width),
               static_cast<png_uint_32>(p->height),
               p->bit_depth,
               p->color_type,
               PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (p->palette != nullptr) {
    png_set_PLTE(png, info, p->palette, p->palette_size);
  }
  // Challenge images are flat areas with antialiased edges: filters barely shrink them, zlib
  // level 1 is several times faster than the default 6, and run-length matching (Z_RLE) finds
  // the long runs of background as well as full matching does, in fewer bytes (measured: 3.0 kB
  // vs 4.8 kB median at 512x512) and no more time.
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_set_compression_level(png, 1);
  png_set_compression_strategy(png, Z_RLE);
  png_set_compression_buffer_size(png, 64U * 1024U);
  png_write_info(png, info);
  for (int y = 0; y < p->height; ++y) {
    png_write_row(png, p->pixels + static_cast<std::size_t>(y) * p->stride);
  }
  png_write_end(png, nullptr);
  return true;
}

struct write_guard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  write_guard(const write_guard&) = delete;
  write_guard& operator=(const write_guard&) = delete;
  write_guard() = default;
  ~write_guard() { png_destroy_write_struct(&png, info != nullptr ? &info : nullptr); }
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

std::string encode(const encode_params& p) {
  std::string out;
  // Flat images compress to a few percent of their raw size; this avoids most regrowth.
  out.reserve(static_cast<std::size_t>(p.width) * static_cast<std::size_t>(p.height) / 16U + 1024U);
  write_sink sink{&out};
  error_message error;
  write_guard guard;
  guard.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, on_error, on_warning);
  if (guard.png == nullptr) {
    throw std::runtime_error("png encode: cannot create libpng writer");
  }
  guard.info = png_create_info_struct(guard.png);
  if (guard.info == nullptr) {
    throw std::runtime_error("png encode: cannot create libpng info");
  }
  png_set_write_fn(guard.png, &sink, on_write, on_flush);
  if (!run_writer(guard.png, guard.info, &p)) {
    throw std::runtime_error(std::string("png encode: ") + error.text.data());
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

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

std::string encode_grey(
    const std::uint8_t* rows, int width, int height, std::size_t stride, int bit_depth) {
  check_geometry(rows, width, height, stride, bit_depth);
  return encode(
      encode_params{rows, width, height, stride, bit_depth, PNG_COLOR_TYPE_GRAY, nullptr, 0});
}

std::string encode_palette(const std::uint8_t* rows,
                           int width,
                           int height,
                           std::size_t stride,
                           int bit_depth,
                           std::span<const rgb8> palette) {
  check_geometry(rows, width, height, stride, bit_depth);
  if (palette.empty() || palette.size() > (std::size_t{1} << static_cast<unsigned>(bit_depth))) {
    throw std::invalid_argument("png encode: a palette has 1 to 2^bit_depth colours");
  }
  std::array<png_color, 256> colors{};
  for (std::size_t i = 0; i < palette.size(); ++i) {
    colors[i] = png_color{palette[i].r, palette[i].g, palette[i].b};
  }
  return encode(encode_params{rows,
                              width,
                              height,
                              stride,
                              bit_depth,
                              PNG_COLOR_TYPE_PALETTE,
                              colors.data(),
                              static_cast<int>(palette.size())});
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
  png_set_chunk_malloc_max(guard.png, 4U * 1024U * 1024U);
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
