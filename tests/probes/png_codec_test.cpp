#include "probes/png_codec.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "probes/challenge.hpp"
#include "probes/seeded_rng.hpp"
#include "tests/probes/corrupted_bytes.hpp"
#include "tests/support/test_paths.hpp"

namespace png_codec_test {

using namespace visionwatch;

namespace {

/// A gradient with a stride wider than the row, so padding handling is exercised too.
std::vector<std::uint8_t> gradient(int w, int h, std::size_t stride) {
  std::vector<std::uint8_t> px(stride * static_cast<std::size_t>(h), 0xEE);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      px[static_cast<std::size_t>(y) * stride + static_cast<std::size_t>(x)] =
          static_cast<std::uint8_t>((x * 7 + y * 13) & 0xFF);
    }
  }
  return px;
}

std::uint32_t crc32(const std::string& bytes) {
  std::uint32_t crc = 0xFFFFFFFFU;
  for (const char ch : bytes) {
    crc ^= static_cast<unsigned char>(ch);
    for (int k = 0; k < 8; ++k) {
      crc = (crc >> 1U) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
  }
  return crc ^ 0xFFFFFFFFU;
}

std::string be32(std::uint32_t v) {
  return std::string{static_cast<char>(v >> 24U),
                     static_cast<char>((v >> 16U) & 0xFFU),
                     static_cast<char>((v >> 8U) & 0xFFU),
                     static_cast<char>(v & 0xFFU)};
}

/// A PNG chunk with its length and a correct CRC.
std::string chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<std::uint32_t>(data.size())) + type + data + be32(crc32(type + data));
}

const std::string signature = "\x89PNG\r\n\x1a\n";

/// A PNG that claims `w` x `h` RGBA pixels but carries (almost) no image data.
std::string header_only_png(std::uint32_t w, std::uint32_t h) {
  const std::string ihdr = be32(w) + be32(h) + std::string{8, 6, 0, 0, 0};
  return signature + chunk("IHDR", ihdr) + chunk("IDAT", std::string("\x78\x01", 2)) +
         chunk("IEND", "");
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("greyscale images survive an encode and decode round trip") {
    const int w = 37;
    const int h = 11;
    const auto px = gradient(w, h, 40);
    const std::string png = encode_grey8(px.data(), w, h, 40);
    const png_decode_result r = decode_png(png);
    REQUIRE_MESSAGE(r.image.has_value(), r.error);
    CHECK(r.error.empty());
    CHECK(r.image->width == w);
    CHECK(r.image->height == h);
    REQUIRE(r.image->rgba.size() == static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 4);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const std::uint8_t v = px[(static_cast<std::size_t>(y) * 40) + static_cast<std::size_t>(x)];
        const std::uint8_t* p = r.image->pixel(x, y);
        CHECK(p[0] == v);
        CHECK(p[1] == v);
        CHECK(p[2] == v);
        CHECK(p[3] == 255);
      }
    }
  }

  TEST_CASE("the encoder's runs and repeated rows decode to exactly the input") {
    // Rows built to hit every path of the writer: runs shorter than, equal to and longer than a
    // match (3 and 258 bytes), rows equal to the one above (one back-reference, split so that no
    // piece is under 3 bytes), rows wider than the 32 KiB window (no row back-reference), and
    // one-byte rows (never a match).
    seeded_rng rng(20261121);
    const std::array<int, 9> widths = {1, 2, 3, 257, 258, 259, 512, 516, 40000};
    for (const int w : widths) {
      for (int round = 0; round < 6; ++round) {
        const int h = rng.uniform_int(1, 24);
        const std::size_t stride =
            static_cast<std::size_t>(w) + static_cast<std::size_t>(round % 3);
        std::vector<std::uint8_t> px(stride * static_cast<std::size_t>(h), 0xAB);
        for (int y = 0; y < h; ++y) {
          std::uint8_t* row = px.data() + static_cast<std::size_t>(y) * stride;
          if (y > 0 && rng.uniform_int(0, 2) == 0) {
            std::copy(row - stride, row - stride + w, row);  // same as the row above
            continue;
          }
          int x = 0;
          while (x < w) {
            const int run = std::min(
                w - x,
                rng.uniform_int(0, 3) == 0 ? rng.uniform_int(1, 600) : rng.uniform_int(1, 4));
            const auto v =
                static_cast<std::uint8_t>(rng.uniform_int(0, 3) == 0 ? 0 : rng.uniform_int(0, 255));
            std::fill(row + x, row + x + run, v);
            x += run;
          }
        }
        const std::string png = encode_grey8(px.data(), w, h, stride);
        const png_decode_result r = decode_png(png);
        REQUIRE_MESSAGE(r.image.has_value(), "width " << w << ": " << r.error);
        REQUIRE(r.image->width == w);
        REQUIRE(r.image->height == h);
        int wrong = 0;
        for (int y = 0; y < h; ++y) {
          for (int x = 0; x < w; ++x) {
            const std::uint8_t v =
                px[static_cast<std::size_t>(y) * stride + static_cast<std::size_t>(x)];
            const std::uint8_t* p = r.image->pixel(x, y);
            wrong += (p[0] != v || p[1] != v || p[2] != v || p[3] != 255) ? 1 : 0;
          }
        }
        CHECK_MESSAGE(wrong == 0,
                      "width " << w << " height " << h << ": " << wrong << " pixels differ");
      }
    }
  }

  TEST_CASE("RGBA images decode to exactly the input - pixel runs and repeated rows included") {
    // RGBA rows are run-length coded a pixel (4 bytes) at a time: runs of equal pixels, runs of
    // equal bytes that are not whole pixels, transparent and opaque, and repeated rows.
    seeded_rng rng(20261122);
    for (const int w : {1, 2, 3, 65, 300, 9000}) {
      const int h = rng.uniform_int(1, 12);
      const std::size_t stride = static_cast<std::size_t>(w) * 4U + 3U;
      std::vector<std::uint8_t> px(stride * static_cast<std::size_t>(h), 0);
      for (int y = 0; y < h; ++y) {
        std::uint8_t* row = px.data() + static_cast<std::size_t>(y) * stride;
        if (y > 0 && rng.uniform_int(0, 2) == 0) {
          std::copy(row - stride, row - stride + static_cast<std::ptrdiff_t>(w) * 4, row);
          continue;
        }
        int x = 0;
        while (x < w) {
          const int run = std::min(w - x, rng.uniform_int(1, 40));
          std::array<std::uint8_t, 4> p{};
          for (auto& c : p) {
            c = static_cast<std::uint8_t>(rng.uniform_int(0, 2) == 0 ? 0 : rng.uniform_int(0, 255));
          }
          for (int k = 0; k < run; ++k, ++x) {
            std::copy(p.begin(), p.end(), row + static_cast<std::ptrdiff_t>(x) * 4);
          }
        }
      }
      const std::string png = encode_rgba(px.data(), w, h, stride);
      CHECK(png[25] == 6);  // colour type RGBA
      const png_decode_result r = decode_png(png);
      REQUIRE_MESSAGE(r.image.has_value(), "width " << w << ": " << r.error);
      REQUIRE(r.image->width == w);
      for (int y = 0; y < h; ++y) {
        CHECK(std::equal(r.image->pixel(0, y),
                         r.image->pixel(0, y) + static_cast<std::ptrdiff_t>(w) * 4,
                         px.data() + static_cast<std::size_t>(y) * stride));
      }
    }
    CHECK_THROWS_AS(encode_rgba(nullptr, 1, 1, 4), std::invalid_argument);
    const std::array<std::uint8_t, 8> two{};
    CHECK_THROWS_AS(encode_rgba(two.data(), 2, 1, 7), std::invalid_argument);
  }

  TEST_CASE("rows given by pointer encode to the bytes of a buffer holding them") {
    // A band of varied rows between background rows that share one pointer, as a drawn
    // challenge hands them over: the same PNG as from one buffer, grey and palette alike.
    seeded_rng rng(20260301);
    const int w = 37;  // 4 bits: 19 bytes a row, the last byte half used
    const std::size_t row_bytes = 19;
    const int h = 40;
    std::vector<std::uint8_t> buffer(row_bytes * h, 0x77);
    for (int y = 12; y < 25; ++y) {
      for (std::size_t x = 0; x < row_bytes; ++x) {
        buffer[static_cast<std::size_t>(y) * row_bytes + x] =
            static_cast<std::uint8_t>(rng.uniform_int(0, 3) == 0 ? rng.uniform_int(0, 255) : 0x77);
      }
    }
    const std::vector<std::uint8_t> background(row_bytes, 0x77);
    std::vector<const std::uint8_t*> pointers;
    pointers.reserve(static_cast<std::size_t>(h));
    for (int y = 0; y < h; ++y) {
      pointers.push_back(y >= 12 && y < 25 ? buffer.data() + static_cast<std::size_t>(y) * row_bytes
                                           : background.data());
    }
    const packed_rows packed{pointers, w, 4};
    CHECK(encode_grey(packed) == encode_grey(buffer.data(), w, h, row_bytes, 4));
    std::vector<rgb8> palette;
    palette.reserve(16);
    for (int i = 0; i < 16; ++i) {
      palette.push_back(
          rgb8{static_cast<std::uint8_t>(i * 16), 40, static_cast<std::uint8_t>(255 - i)});
    }
    CHECK(encode_palette(packed, palette) ==
          encode_palette(buffer.data(), w, h, row_bytes, 4, palette));
  }

  TEST_CASE("rows given by pointer refuse a null row and impossible geometry") {
    const std::vector<std::uint8_t> row(4, 0);
    const std::vector<const std::uint8_t*> with_null = {row.data(), nullptr};
    CHECK_THROWS_AS(encode_grey(packed_rows{with_null, 8, 4}), std::invalid_argument);
    const std::vector<const std::uint8_t*> none;
    CHECK_THROWS_AS(encode_grey(packed_rows{none, 8, 4}), std::invalid_argument);
    const std::vector<const std::uint8_t*> one = {row.data()};
    CHECK_THROWS_AS(encode_grey(packed_rows{one, 0, 4}), std::invalid_argument);
    CHECK_THROWS_AS(encode_grey(packed_rows{one, 8, 3}), std::invalid_argument);
    CHECK_THROWS_AS(encode_palette(packed_rows{one, 8, 4}, std::span<const rgb8>{}),
                    std::invalid_argument);
  }

  TEST_CASE("a flat image compresses to a few bytes per row") {
    // 512 x 512 background at 4 bits: every row after the first is one back-reference split in
    // two matches (257 bytes), about 3 bytes; with libpng + zlib level 1 this was about 1.2 kB.
    std::vector<std::uint8_t> rows(std::size_t{256} * 512, 0xEE);
    const std::string png = encode_grey(rows.data(), 512, 512, 256, 4);
    const png_decode_result r = decode_png(png);
    REQUIRE_MESSAGE(r.image.has_value(), r.error);
    CHECK(r.image->pixel(511, 511)[0] == 0xEE);
    CHECK(png.size() < 2000);
    CHECK(png.size() > 57);  // signature, IHDR, IDAT, IEND and at least a zlib header
  }

  TEST_CASE("palette images decode to their palette colours") {
    const std::array<rgb8, 3> palette = {{{255, 0, 0}, {0, 128, 0}, {10, 20, 30}}};
    const std::array<std::uint8_t, 8> px = {0, 1, 2, 0, 2, 2, 1, 0};  // 3x2 with stride 4
    const std::string png = encode_palette8(px.data(), 3, 2, 4, palette);
    const png_decode_result r = decode_png(png);
    REQUIRE_MESSAGE(r.image.has_value(), r.error);
    const auto expect = [&](int x, int y, rgb8 c) {
      const std::uint8_t* p = r.image->pixel(x, y);
      CHECK(rgb8{p[0], p[1], p[2]} == c);
      CHECK(p[3] == 255);
    };
    expect(0, 0, palette[0]);
    expect(1, 0, palette[1]);
    expect(2, 0, palette[2]);
    expect(0, 1, palette[2]);
    expect(1, 1, palette[2]);
    expect(2, 1, palette[1]);
  }

  TEST_CASE("packed 1 - 2 and 4-bit rows decode to the scaled grey levels") {
    // Row of 5 pixels at each depth, leftmost pixel in the high bits; one padding byte per row.
    struct sample {
      int depth;
      std::vector<std::uint8_t> rows;
      std::vector<std::uint8_t> expected;  // 8-bit grey of pixels 0..4, both rows
    };
    const std::array<sample, 3> samples = {{
        {1, {0b10110000, 0xFF, 0b01001000, 0xFF}, {255, 0, 255, 255, 0, 0, 255, 0, 0, 255}},
        {2,
         {0b00011011, 0b11000000, 0xFF, 0b11100100, 0b00000000, 0xFF},
         {0, 85, 170, 255, 255, 255, 170, 85, 0, 0}},
        {4,
         {0x0F, 0x73, 0x10, 0xFF, 0xF0, 0x8A, 0x50, 0xFF},
         {0, 255, 119, 51, 17, 255, 0, 136, 170, 85}},
    }};
    for (const sample& s : samples) {
      CAPTURE(s.depth);
      const std::size_t stride = s.rows.size() / 2;
      const std::string png = encode_grey(s.rows.data(), 5, 2, stride, s.depth);
      const png_decode_result r = decode_png(png);
      REQUIRE_MESSAGE(r.image.has_value(), r.error);
      for (int i = 0; i < 10; ++i) {
        const std::uint8_t* p = r.image->pixel(i % 5, i / 5);
        CHECK(p[0] == s.expected[static_cast<std::size_t>(i)]);
        CHECK(p[3] == 255);
      }
    }
  }

  TEST_CASE("a 4-bit palette image decodes to its palette colours") {
    const std::array<rgb8, 16> palette = [] {
      std::array<rgb8, 16> p{};
      for (std::size_t i = 0; i < p.size(); ++i) {
        p[i] = rgb8{static_cast<std::uint8_t>(i * 16), 7, static_cast<std::uint8_t>(255 - i)};
      }
      return p;
    }();
    const std::array<std::uint8_t, 2> row = {0x0F, 0x90};  // pixels 0, 15, 9
    const std::string png = encode_palette(row.data(), 3, 1, 2, 4, palette);
    const png_decode_result r = decode_png(png);
    REQUIRE_MESSAGE(r.image.has_value(), r.error);
    CHECK(r.image->rgba ==
          std::vector<std::uint8_t>{0, 7, 255, 255, 240, 7, 240, 255, 144, 7, 246, 255});
  }

  TEST_CASE("encoding rejects impossible geometry and palettes") {
    const std::array<std::uint8_t, 4> px{};
    CHECK_THROWS_AS(encode_grey8(px.data(), 0, 1, 1), std::invalid_argument);
    CHECK_THROWS_AS(encode_grey8(px.data(), 4, 1, 3), std::invalid_argument);
    CHECK_THROWS_AS(encode_grey8(nullptr, 1, 1, 1), std::invalid_argument);
    CHECK_THROWS_AS(encode_palette8(px.data(), 1, 1, 1, std::span<const rgb8>{}),
                    std::invalid_argument);
    const std::vector<rgb8> too_many(257);
    CHECK_THROWS_AS(encode_palette8(px.data(), 1, 1, 1, too_many), std::invalid_argument);
    const std::vector<rgb8> seventeen(17);
    CHECK_THROWS_AS(encode_palette(px.data(), 1, 1, 1, 4, seventeen), std::invalid_argument);
    CHECK_THROWS_AS(encode_grey(px.data(), 1, 1, 1, 3), std::invalid_argument);
    CHECK_THROWS_AS(encode_grey(px.data(), 1, 1, 1, 16), std::invalid_argument);
    // 9 pixels at 1 bit need 2 bytes per row.
    CHECK_THROWS_AS(encode_grey(px.data(), 9, 1, 1, 1), std::invalid_argument);
    CHECK_NOTHROW(encode_grey(px.data(), 9, 1, 2, 1));
  }

  TEST_CASE("an RGB PNG built byte by byte decodes") {
    // Independent of our encoder: a 2x1 RGB image (red, blue) in one stored deflate block.
    const std::string raw = std::string("\x00\xff\x00\x00\x00\x00\xff", 7);
    std::string zlib = std::string("\x78\x01", 2);
    zlib += std::string("\x01\x07\x00\xf8\xff", 5) + raw;
    std::uint32_t a = 1;
    std::uint32_t b = 0;
    for (const char ch : raw) {
      a = (a + static_cast<unsigned char>(ch)) % 65521U;
      b = (b + a) % 65521U;
    }
    zlib += be32(b << 16U | a);
    const std::string png = signature +
                            chunk("IHDR", be32(2) + be32(1) + std::string{8, 2, 0, 0, 0}) +
                            chunk("IDAT", zlib) + chunk("IEND", "");
    const png_decode_result r = decode_png(png);
    REQUIRE_MESSAGE(r.image.has_value(), r.error);
    CHECK(r.image->rgba == std::vector<std::uint8_t>{255, 0, 0, 255, 0, 0, 255, 255});
  }

  TEST_CASE("non-PNG input is rejected with a reason") {
    for (const std::string& input : {std::string(),
                                     std::string("GIF89a"),
                                     std::string("\x89PNG\r\n", 6),
                                     std::string("hello world, definitely not an image")}) {
      const png_decode_result r = decode_png(input);
      CHECK_FALSE(r.image.has_value());
      CHECK_FALSE(r.error.empty());
    }
  }

  TEST_CASE("every truncation of a valid PNG gives an error - never a crash") {
    const std::string png =
        make_challenge(challenge_options{challenge_kind::digits, 64, 64}, 3).image;
    REQUIRE(decode_png(png).image.has_value());
    for (std::size_t len = 0; len < png.size(); ++len) {
      const png_decode_result r = decode_png(std::string_view(png).substr(0, len));
      CHECK_FALSE(r.image.has_value());
      CHECK_FALSE(r.error.empty());
    }
  }

  TEST_CASE("corrupted bytes give an error or an image - never a crash") {
    const std::string png =
        make_challenge(challenge_options{challenge_kind::color, 128, 128}, 11).image;
    seeded_rng rng(99);
    int errors = 0;
    for (int round = 0; round < 3000; ++round) {
      const png_decode_result r = decode_png(test::corrupted(png, rng, 4, 8));
      if (r.image) {
        CHECK(r.image->rgba.size() == static_cast<std::size_t>(r.image->width) *
                                          static_cast<std::size_t>(r.image->height) * 4U);
      } else {
        CHECK_FALSE(r.error.empty());
        ++errors;
      }
    }
    // CRCs guard every chunk: almost every corruption must be caught.
    CHECK(errors > 2900);
  }

  TEST_CASE("random bytes after a PNG signature give an error") {
    seeded_rng rng(7);
    for (int round = 0; round < 2000; ++round) {
      std::string bytes = signature;
      const int n = rng.uniform_int(0, 300);
      for (int i = 0; i < n; ++i) {
        bytes.push_back(static_cast<char>(rng.uniform_int(0, 255)));
      }
      const png_decode_result r = decode_png(bytes);
      CHECK_FALSE(r.image.has_value());
      CHECK_FALSE(r.error.empty());
    }
  }

  TEST_CASE("oversized dimensions are rejected before the pixels are allocated") {
    // 60000 x 60000 RGBA would need 14 GB: the decoder must refuse from the header alone
    // (under ASan an attempted allocation of that size would abort the test).
    const png_decode_result huge = decode_png(header_only_png(60000, 60000));
    CHECK_FALSE(huge.image.has_value());
    CHECK(huge.error.find("too large") != std::string::npos);

    const png_decode_result capped = decode_png(header_only_png(100, 100), 9999);
    CHECK_FALSE(capped.image.has_value());
    CHECK(capped.error.find("too large") != std::string::npos);

    // Just inside the cap, the same header passes the size check and fails on the missing data.
    const png_decode_result inside = decode_png(header_only_png(100, 100), 10000);
    CHECK_FALSE(inside.image.has_value());
    CHECK(inside.error.find("too large") == std::string::npos);
  }

  TEST_CASE("zero-sized and absurd headers are rejected") {
    CHECK_FALSE(decode_png(header_only_png(0, 10)).image.has_value());
    CHECK_FALSE(decode_png(header_only_png(0x80000000U, 1)).image.has_value());
  }
}

}  // namespace png_codec_test
