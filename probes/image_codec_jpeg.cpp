// JPEG through libjpeg-turbo's libjpeg API (image_codec.hpp).
//
// libjpeg reports errors through error_exit, which by default prints and calls exit(); ours
// records the message and longjmp-s back, as png_decode.cpp does for libpng. The functions that
// call setjmp keep only trivially destructible locals, and no C++ object is created between
// setjmp and a libjpeg call that can fail, so the jump never skips a destructor: every object
// with one (strings, the pixel vector, the guards that destroy the libjpeg structs) lives in a
// caller's frame that the jump does not cross.

// jpeglib.h uses size_t and FILE without including their headers.
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
// clang-format on

#include <array>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "probes/image_codec.hpp"

namespace visionwatch {
namespace {

/// libjpeg's error manager, extended with where to jump and what went wrong. `mgr` must stay
/// the first member: libjpeg hands the callbacks a pointer to it.
struct jpeg_failure {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  std::array<char, JMSG_LENGTH_MAX> text;     ///< the error that ended the run
  std::array<char, JMSG_LENGTH_MAX> warning;  ///< the first warning (corrupt data)
};

jpeg_failure* failure_of(j_common_ptr cinfo) { return reinterpret_cast<jpeg_failure*>(cinfo->err); }

[[noreturn]] void on_error(j_common_ptr cinfo) {
  jpeg_failure* f = failure_of(cinfo);
  (*cinfo->err->format_message)(cinfo, f->text.data());
  std::longjmp(f->jump, 1);
}

/// Warnings (level < 0) are counted and the first one kept: for a decoder they mean corrupt
/// or truncated data. Trace messages (level >= 0) are dropped. Nothing is printed.
void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) {
    return;
  }
  jpeg_failure* f = failure_of(cinfo);
  if (cinfo->err->num_warnings++ == 0) {
    (*cinfo->err->format_message)(cinfo, f->warning.data());
  }
}

void install(jpeg_failure& f) {
  jpeg_std_error(&f.mgr);
  f.mgr.error_exit = on_error;
  f.mgr.emit_message = on_message;
  f.text[0] = '\0';
  f.warning[0] = '\0';
}

/// A hostile progressive JPEG can hold thousands of tiny scans, each a pass over the whole
/// coefficient buffer (libjpeg-turbo's TJPARAM_SCANLIMIT exists for this). Real encoders write
/// ten or so.
constexpr int max_scans = 500;

void on_progress(j_common_ptr cinfo) {
  if (cinfo->is_decompressor == 0) {
    return;
  }
  const auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > max_scans) {
    jpeg_failure* f = failure_of(cinfo);
    std::snprintf(f->text.data(), f->text.size(), "more than %d progressive scans", max_scans);
    std::longjmp(f->jump, 1);
  }
}

// --- encoding ----------------------------------------------------------------------------------

struct compress_guard {
  jpeg_compress_struct cinfo{};
  unsigned char* out = nullptr;
  unsigned long size = 0;  // jpeg_mem_dest's type
  compress_guard() = default;
  compress_guard(const compress_guard&) = delete;
  compress_guard& operator=(const compress_guard&) = delete;
  ~compress_guard() {
    jpeg_destroy_compress(&cinfo);  // a no-op before jpeg_create_compress
    std::free(out);                 // libjpeg allocated it with malloc
  }
};

bool run_compress(compress_guard* g, jpeg_failure* f, const pixel_rows* rows, int quality) {
  if (setjmp(f->jump)) {
    return false;
  }
  jpeg_compress_struct* cinfo = &g->cinfo;
  cinfo->err = &f->mgr;
  jpeg_create_compress(cinfo);
  jpeg_mem_dest(cinfo, &g->out, &g->size);
  cinfo->image_width = static_cast<JDIMENSION>(rows->width);
  cinfo->image_height = static_cast<JDIMENSION>(rows->height);
  cinfo->input_components = rows->channels;
  cinfo->in_color_space = rows->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(cinfo);
  jpeg_set_quality(cinfo, quality, TRUE);
  // The integer DCT gives the same coefficients with or without SIMD; standard Huffman tables
  // skip a second pass over the data.
  cinfo->dct_method = JDCT_ISLOW;
  cinfo->optimize_coding = FALSE;
  jpeg_start_compress(cinfo, TRUE);
  while (cinfo->next_scanline < cinfo->image_height) {
    // libjpeg's row type is non-const; it only reads the rows.
    auto* row = const_cast<JSAMPLE*>(rows->data +
                                     static_cast<std::size_t>(cinfo->next_scanline) * rows->stride);
    jpeg_write_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_compress(cinfo);
  return true;
}

// --- decoding ----------------------------------------------------------------------------------

struct decompress_guard {
  jpeg_decompress_struct cinfo{};
  decompress_guard() = default;
  decompress_guard(const decompress_guard&) = delete;
  decompress_guard& operator=(const decompress_guard&) = delete;
  ~decompress_guard() { jpeg_destroy_decompress(&cinfo); }
};

bool run_header(jpeg_decompress_struct* cinfo,
                jpeg_failure* f,
                jpeg_progress_mgr* progress,
                std::string_view bytes) {
  if (setjmp(f->jump)) {
    return false;
  }
  cinfo->err = &f->mgr;
  jpeg_create_decompress(cinfo);
  cinfo->progress = progress;
  jpeg_mem_src(cinfo,
               reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(cinfo, TRUE);
  return true;
}

bool run_pixels(jpeg_decompress_struct* cinfo, jpeg_failure* f, std::uint8_t* out) {
  if (setjmp(f->jump)) {
    return false;
  }
  cinfo->out_color_space = JCS_EXT_RGBA;  // libjpeg-turbo: grey and YCbCr straight to RGBA
  jpeg_start_decompress(cinfo);
  const std::size_t stride = static_cast<std::size_t>(cinfo->output_width) * 4U;
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = out + static_cast<std::size_t>(cinfo->output_scanline) * stride;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

}  // namespace

std::string encode_jpeg(const pixel_rows& rows, jpeg_settings settings) {
  if (!encodable(rows, JPEG_MAX_DIMENSION)) {
    throw std::invalid_argument("jpeg encode: invalid image geometry or channel count");
  }
  if (settings.quality < 1 || settings.quality > 100) {
    throw std::invalid_argument("jpeg encode: quality must be 1 to 100");
  }
  jpeg_failure failure;
  install(failure);
  compress_guard guard;
  if (!run_compress(&guard, &failure, &rows, settings.quality)) {
    throw std::runtime_error(std::string("jpeg encode: ") + failure.text.data());
  }
  return {reinterpret_cast<const char*>(guard.out), guard.size};
}

image_decode_result decode_jpeg(std::string_view bytes, std::size_t max_pixels) {
  if (!bytes.starts_with("\xff\xd8\xff")) {
    return decode_failure("not a JPEG (bad signature)");
  }
  jpeg_failure failure;
  install(failure);
  jpeg_progress_mgr progress{};
  progress.progress_monitor = on_progress;
  decompress_guard guard;
  if (!run_header(&guard.cinfo, &failure, &progress, bytes)) {
    return decode_failure(std::string("invalid JPEG: ") + failure.text.data());
  }
  const JDIMENSION width = guard.cinfo.image_width;
  const JDIMENSION height = guard.cinfo.image_height;
  if (width == 0 || height == 0) {
    return decode_failure("invalid JPEG: zero width or height");
  }
  const auto pixels = static_cast<std::uint64_t>(width) * height;
  if (pixels > max_pixels) {
    return decode_failure("JPEG too large: " + std::to_string(width) + "x" +
                          std::to_string(height) + " exceeds the limit of " +
                          std::to_string(max_pixels) + " pixels");
  }
  rgba_image image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.rgba.resize(static_cast<std::size_t>(pixels) * 4U);
  if (!run_pixels(&guard.cinfo, &failure, image.rgba.data())) {
    return decode_failure(std::string("invalid JPEG: ") + failure.text.data());
  }
  if (failure.mgr.num_warnings > 0) {
    return decode_failure(std::string("corrupt JPEG: ") + failure.warning.data());
  }
  return image_decode_result{std::move(image), {}};
}

}  // namespace visionwatch
