#include "probes/png_deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <vector>

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

namespace visionwatch::png_detail {
namespace {

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
    // NOLINTNEXTLINE(modernize-avoid-c-arrays): not zeroed; only written bytes are read
    auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
    if (size_ > 0) {
      std::memcpy(bigger.get(), buf_.get(), size_);
    }
    buf_ = std::move(bigger);
    capacity_ = capacity;
  }

  // NOLINTNEXTLINE(modernize-avoid-c-arrays): see grow(): not zeroed, only written bytes are read
  std::unique_ptr<std::uint8_t[]> buf_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  std::uint64_t acc_ = 0;
  unsigned fill_ = 0;
};

/// Bytes a line of `line` bytes can take at most: 9 bits per literal.
constexpr std::size_t worst_case_bytes(std::size_t line) { return line + line / 8 + 16; }

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

}  // namespace

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

}  // namespace visionwatch::png_detail
