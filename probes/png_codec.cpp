#include "probes/png_codec.hpp"

#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <csetjmp>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

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
//
// Our own writer, not libpng's: challenge images are flat backgrounds with a band of
// antialiased ink, and most of the cost of libpng + zlib (even at level 1 with Z_RLE) went to
// scanning background rows byte by byte. This writer emits one zlib stream with a single
// fixed-Huffman deflate block (RFC 1951 3.2.6) in which
//   - a row identical to the row above (filter byte included) is one match at distance
//     row_bytes + 1, split into pieces of at most 258 bytes: a few bits per background row;
//   - any other row is run-length coded: a byte repeating the previous one starts a match at
//     distance 1 (3 to 258 bytes), anything else is a literal.
// No row filters (flat areas gain nothing from them). libpng decodes the result in the tests,
// which also compare its size with zlib's.

/// LSB-first bit packer for deflate, into a buffer of its own that grows on demand: callers
/// reserve() room for a row's worst case, so put() itself never checks for room.
class bit_writer {
 public:
  explicit bit_writer(std::size_t capacity) { grow(capacity); }

  /// Room for `bytes` more output bytes.
  void reserve(std::size_t bytes) {
    if (capacity_ - size_ < bytes + sizeof(std::uint32_t)) {
      grow(std::max(capacity_ * 2, size_ + bytes + sizeof(std::uint32_t)));
    }
  }
  /// The writer's state in locals, for a hot loop: begin(), put() on the cursor, end().
  struct cursor {
    std::uint8_t* out;
    std::uint64_t acc;
    unsigned fill;

    /// Appends the low `count` bits of `bits` (count <= 32); room was reserved.
    void put(std::uint32_t bits, unsigned count) {
      acc |= static_cast<std::uint64_t>(bits) << fill;
      fill += count;
      if (fill >= 32) {
        for (unsigned i = 0; i < 4; ++i) {
          out[i] = static_cast<std::uint8_t>(acc >> (8 * i));
        }
        out += 4;
        acc >>= 32;
        fill -= 32;
      }
    }
  };
  [[nodiscard]] cursor begin() const { return cursor{buf_.get() + size_, acc_, fill_}; }
  void end(const cursor& c) {
    size_ = static_cast<std::size_t>(c.out - buf_.get());
    acc_ = c.acc;
    fill_ = c.fill;
  }
  /// Appends the low `count` bits of `bits` (count <= 32); room was reserved.
  void put(std::uint32_t bits, unsigned count) {
    cursor c = begin();
    c.put(bits, count);
    end(c);
  }
  /// Pads the last byte with zero bits and appends everything to `out`.
  void finish(std::string& out) {
    reserve(8);
    while (fill_ > 0) {
      buf_[size_++] = static_cast<std::uint8_t>(acc_ & 0xffU);
      acc_ >>= 8;
      fill_ = fill_ > 8 ? fill_ - 8 : 0;
    }
    out.append(reinterpret_cast<const char*>(buf_.get()), size_);
  }

 private:
  void grow(std::size_t capacity) {
    auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
    if (size_ > 0) {
      std::memcpy(bigger.get(), buf_.get(), size_);
    }
    buf_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<std::uint8_t[]> buf_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  std::uint64_t acc_ = 0;
  unsigned fill_ = 0;
};

/// Bytes a line of `line` bytes can take at most: 9 bits per literal.
constexpr std::size_t worst_case_bytes(std::size_t line) { return line + line / 8 + 16; }

/// The rows of an image: base + y * stride, or one pointer per row (rows may share one).
struct row_source {
  const std::uint8_t* base = nullptr;
  std::size_t stride = 0;
  const std::uint8_t* const* pointers = nullptr;

  [[nodiscard]] const std::uint8_t* operator()(int y) const noexcept {
    return pointers != nullptr ? pointers[y] : base + static_cast<std::size_t>(y) * stride;
  }
};

/// How many of the `n` bytes at `p` equal `b`, from the first: eight at a time.
std::size_t run_length(const std::uint8_t* p, std::size_t n, std::uint8_t b) noexcept {
  std::size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    const std::uint64_t pattern = 0x0101010101010101ULL * b;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, p + i, sizeof word);
      if (const std::uint64_t diff = word ^ pattern; diff != 0) {
        return i + static_cast<std::size_t>(std::countr_zero(diff)) / 8U;
      }
    }
  }
  while (i < n && p[i] == b) {
    ++i;
  }
  return i;
}

/// A code ready for bit_writer::put: Huffman code bit-reversed, extra bits above it.
struct code {
  std::uint32_t bits = 0;
  std::uint8_t count = 0;
};

constexpr std::uint32_t reverse_bits(std::uint32_t v, unsigned n) {
  std::uint32_t r = 0;
  for (unsigned i = 0; i < n; ++i) {
    r = (r << 1U) | ((v >> i) & 1U);
  }
  return r;
}

/// The fixed literal/length code of RFC 1951 3.2.6 for symbol 0..287.
constexpr code fixed_symbol(unsigned v) {
  if (v < 144) {
    return {reverse_bits(0x30U + v, 8), 8};
  }
  if (v < 256) {
    return {reverse_bits(0x190U + (v - 144U), 9), 9};
  }
  if (v < 280) {
    return {reverse_bits(v - 256U, 7), 7};
  }
  return {reverse_bits(0xc0U + (v - 280U), 8), 8};
}

struct fixed_tables {
  std::array<code, 256> literal{};
  std::array<code, 259> length{};  ///< index 3..258: length symbol with its extra bits
  code end_of_block{};

  fixed_tables() {
    for (unsigned v = 0; v < 256; ++v) {
      literal[v] = fixed_symbol(v);
    }
    end_of_block = fixed_symbol(256);
    constexpr std::array<unsigned, 29> base{3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                            15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                            67, 83, 99, 115, 131, 163, 195, 227, 258};
    constexpr std::array<unsigned, 29> extra{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                             2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    for (unsigned len = 3; len <= 258; ++len) {
      std::size_t i = base.size() - 1;
      while (base[i] > len) {
        --i;
      }
      const code sym = fixed_symbol(257U + static_cast<unsigned>(i));
      length[len] = {sym.bits | ((len - base[i]) << sym.count),
                     static_cast<std::uint8_t>(sym.count + extra[i])};
    }
  }
};

const fixed_tables& tables() {
  static const fixed_tables t;
  return t;
}

/// Distance code (5 bits, fixed) with its extra bits, for 1 <= dist <= 32768.
code distance_code(unsigned dist) {
  constexpr std::array<unsigned, 30> base{
      1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
      193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
  std::size_t i = base.size() - 1;
  while (base[i] > dist) {
    --i;
  }
  const unsigned extra = i < 4 ? 0U : static_cast<unsigned>(i / 2 - 1);
  return {reverse_bits(static_cast<std::uint32_t>(i), 5) | ((dist - base[i]) << 5U),
          static_cast<std::uint8_t>(5U + extra)};
}

constexpr std::size_t max_match = 258;
constexpr std::size_t min_match = 3;
constexpr std::size_t window = 32768;

/// Emits `total` (>= 3) bytes as matches at `dist`, in pieces of 3..258 bytes.
template <class Bits>
void put_matches(Bits& bw, std::size_t total, const code& dist) {
  const auto& t = tables();
  while (total > 0) {
    std::size_t take = std::min(total, max_match);
    if (total - take > 0 && total - take < min_match) {
      take = total - min_match;  // leave a piece long enough to be a match
    }
    const code& len = t.length[take];
    // At most 13 + 18 bits: one put.
    bw.put(len.bits | dist.bits << len.count, static_cast<unsigned>(len.count) + dist.count);
    total -= take;
  }
}

/// Run-length codes one line (filter byte + row) of an image with `pixel` bytes per pixel: a
/// byte equal to the one a pixel back extends a match at that distance, anything else is a
/// literal. `buf` holds the stream's last `pixel` bytes (-1: before the stream) followed by
/// room for the line; on return it starts with the new last bytes.
void put_pixel_runs(bit_writer& bw,
                    const std::uint8_t* row,
                    std::size_t line,
                    std::size_t pixel,
                    std::vector<int>& buf) {
  const auto& t = tables();
  const code distance = distance_code(static_cast<unsigned>(pixel));
  buf[pixel] = 0;  // the filter byte
  std::copy(row, row + line - 1, buf.begin() + static_cast<std::ptrdiff_t>(pixel) + 1);
  std::size_t i = 0;
  while (i < line) {
    std::size_t run = 0;
    while (i + run < line && buf[pixel + i + run] == buf[i + run]) {
      ++run;
    }
    if (run >= min_match) {
      put_matches(bw, run, distance);
      i += run;
      continue;
    }
    const code& c = t.literal[static_cast<std::size_t>(buf[pixel + i])];
    bw.put(c.bits, c.count);
    ++i;
  }
  std::copy(buf.end() - static_cast<std::ptrdiff_t>(pixel), buf.end(), buf.begin());
}

/// The Adler-32 of the zlib stream (RFC 1950) as its two sums, built a whole line at a time.
struct adler_sums {
  static constexpr std::uint64_t base = 65521;
  std::uint64_t a = 1;
  std::uint64_t b = 0;

  /// Appends `k` (>= 1) copies of a line of `n` bytes whose own sums, started from 0 and 0 and
  /// reduced, are `s` (the bytes) and `w` (the running totals of `s`).
  void append(std::uint64_t k, std::uint64_t n, std::uint64_t s, std::uint64_t w) {
    const std::uint64_t km = k % base;
    const std::uint64_t nm = n % base;
    const std::uint64_t pairs = (k * (k - 1) / 2) % base;  // k(k-1)/2 line pairs
    b = (b + km * nm % base * a + nm * s % base * pairs + km * w) % base;
    a = (a + km * s) % base;
  }
  [[nodiscard]] std::uint32_t value() const { return static_cast<std::uint32_t>(b << 16U | a); }
};

/// A line's own Adler sums (from 0 and 0, unreduced) while it is coded: `n` bytes of `v` at
/// once. Within a line of up to max_summed_line bytes neither overflows.
struct line_sums {
  std::uint64_t s = 0;
  std::uint64_t w = 0;

  void add(std::uint8_t v) {
    s += v;
    w += s;
  }
  void add(std::uint8_t v, std::size_t n) {
    w += n * s + v * (static_cast<std::uint64_t>(n) * (n + 1) / 2);
    s += static_cast<std::uint64_t>(n) * v;
  }
};
constexpr std::size_t max_summed_line = std::size_t{1} << 24;

/// Run-length codes one line of a grey or palette image: the filter byte 0, then `row`. A
/// byte equal to the stream's last one (`prev`, -1 before the stream) starts a match at
/// distance 1 that runs as far as the line repeats it (3 to 258 bytes a piece; a shorter run
/// is literals); any other byte is a literal and the new `prev`. Adds the line to `sums`.
void put_byte_runs(bit_writer& writer,
                   const std::uint8_t* row,
                   std::size_t row_bytes,
                   int& prev,
                   line_sums& line) {
  const auto& t = tables();
  const code one = distance_code(1);
  bit_writer::cursor bw = writer.begin();  // in registers for the loop
  line_sums sums = line;
  const auto put_run = [&](std::uint8_t b, std::size_t run) {
    sums.add(b, run);
    if (run >= min_match) {
      put_matches(bw, run, one);
      return;
    }
    const code& c = t.literal[b];
    for (std::size_t k = 0; k < run; ++k) {
      bw.put(c.bits, c.count);
    }
  };
  // The filter byte: a run of zeros may go on into the row.
  std::size_t i = 0;  // row bytes coded so far
  int last = prev;
  if (last == 0) {
    i = run_length(row, row_bytes, 0);
    put_run(0, i + 1);
  } else {
    const code& c = t.literal[0];
    bw.put(c.bits, c.count);
    sums.add(0);
    last = 0;
  }
  while (i < row_bytes) {
    const std::uint8_t b = row[i];
    if (b == last) {
      const std::size_t run = run_length(row + i, row_bytes - i, b);
      put_run(b, run);
      i += run;
      continue;
    }
    const code& c = t.literal[b];
    bw.put(c.bits, c.count);
    sums.add(b);
    last = b;
    ++i;
  }
  writer.end(bw);
  line = sums;
  prev = last;
}

/// The zlib stream (RFC 1950) of the filtered image: each row prefixed by filter type 0.
/// `pixel` is the match distance of the run-length coding: 1 for grey and palette rows (any
/// repeated byte), 4 for RGBA (a repeated pixel).
void deflate_rows(std::string& out,
                  const row_source& rows,
                  std::size_t row_bytes,
                  int height,
                  std::size_t pixel) {
  const auto& t = tables();
  out.push_back(static_cast<char>(0x78));  // CM 8, 32 KiB window
  out.push_back(static_cast<char>(0x01));  // fastest, no dictionary; 0x7801 % 31 == 0
  const std::size_t line = row_bytes + 1;  // filter byte + row
  // Flat images compress to a few percent of their raw size; this avoids most regrowth.
  bit_writer bw(line * static_cast<std::size_t>(height) / 16U + 1024U);
  bw.reserve(1);
  bw.put(0b011, 3);  // BFINAL 1, BTYPE 01 (fixed Huffman)
  const code row_distance = distance_code(static_cast<unsigned>(std::min(line, window)));
  // A repeated line: a match per 258 bytes at most, under 4 bytes each.
  const std::size_t repeat_bytes = (line / max_match + 2) * 4;
  adler_sums adler;
  // The last coded line's own sums (reduced), and how many lines since repeated it.
  std::uint64_t line_s = 0;
  std::uint64_t line_w = 0;
  std::uint64_t repeats = 0;
  const Bytef zero = 0;
  int prev = -1;  // the last byte of the stream so far; -1 before the first
  std::vector<int> pixel_buf(pixel > 1 ? line + pixel : 0, -1);
  const std::uint8_t* above = nullptr;
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* row = rows(y);
    if (y > 0 && line >= min_match && line <= window &&
        (row == above || std::memcmp(row, above, row_bytes) == 0)) {
      ++repeats;
      bw.reserve(repeat_bytes);
      put_matches(bw, line, row_distance);  // the stream's last byte is unchanged
      above = row;
      continue;
    }
    if (repeats > 0) {
      adler.append(repeats, line, line_s, line_w);
      repeats = 0;
    }
    above = row;
    bw.reserve(worst_case_bytes(line));
    if (pixel == 1 && line <= max_summed_line) {
      line_sums sums;
      put_byte_runs(bw, row, row_bytes, prev, sums);
      line_s = sums.s % adler_sums::base;
      line_w = sums.w % adler_sums::base;
    } else {
      if (pixel > 1) {
        put_pixel_runs(bw, row, line, pixel, pixel_buf);
      } else {
        line_sums ignored;
        put_byte_runs(bw, row, row_bytes, prev, ignored);
      }
      // zlib's Adler-32 of the line from 1: a = 1 + s, b = n + w.
      const uLong whole = adler32(adler32(1L, &zero, 1), row, static_cast<uInt>(row_bytes));
      line_s = ((whole & 0xffffU) + adler_sums::base - 1) % adler_sums::base;
      line_w = ((whole >> 16U) + adler_sums::base - line % adler_sums::base) % adler_sums::base;
    }
    adler.append(1, line, line_s, line_w);
  }
  if (repeats > 0) {
    adler.append(repeats, line, line_s, line_w);
  }
  bw.put(t.end_of_block.bits, t.end_of_block.count);
  bw.finish(out);
  const std::uint32_t sum = adler.value();
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((sum >> shift) & 0xffU));
  }
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xffU));
  }
}

/// Appends a chunk whose data `fill` appends to `out`; writes length and CRC around it.
template <class Fill>
void put_chunk(std::string& out, const char (&type)[5], Fill&& fill) {
  const std::size_t length_at = out.size();
  put_u32(out, 0);
  out.append(type, 4);
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
