// The JPEG, WebP and GIF encoders and the bounded decoders of every format (image_codec.hpp):
// round trips against the drawn pixels, determinism, sniffing, and hostile input (truncated,
// corrupted, oversized, animated, endless progressive scans) that must give an error value,
// never a crash or an unbounded allocation.

#include "probes/image_codec.hpp"

// jpeglib.h uses size_t and FILE without including their headers.
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
// clang-format on

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "probes/challenge.hpp"
#include "probes/png_codec.hpp"
#include "probes/seeded_rng.hpp"
#include "tests/probes/challenge_kinds.hpp"
#include "tests/probes/corrupted_bytes.hpp"

namespace image_codec_test {

using namespace visionwatch;

namespace {

/// A 48 x 32 test card: a grey gradient with a dark square, as grey or RGB rows.
std::vector<std::uint8_t> card(int channels) {
  std::vector<std::uint8_t> px;
  for (int y = 0; y < 32; ++y) {
    for (int x = 0; x < 48; ++x) {
      const bool ink = x >= 16 && x < 32 && y >= 8 && y < 24;
      const auto v = static_cast<std::uint8_t>(ink ? 20 : 100 + 3 * x);
      for (int c = 0; c < channels; ++c) {
        px.push_back(c == 0 || ink ? v : static_cast<std::uint8_t>(255 - v));
      }
    }
  }
  return px;
}

pixel_rows rows_of(const std::vector<std::uint8_t>& px, int channels) {
  return pixel_rows{
      px.data(), 48, 32, std::size_t{48} * static_cast<std::size_t>(channels), channels};
}

std::string small_jpeg() { return encode_jpeg(rows_of(card(1), 1)); }
std::string small_webp() { return encode_webp(rows_of(card(3), 3)); }
std::string small_gif() {
  const std::vector<rgb8> palette{{255, 255, 255}, {10, 20, 30}, {200, 0, 0}};
  std::vector<std::uint8_t> idx(std::size_t{48} * 32);
  for (std::size_t i = 0; i < idx.size(); ++i) {
    idx[i] = static_cast<std::uint8_t>(i % 7 == 0 ? 1 : i % 11 == 0 ? 2 : 0);
  }
  return encode_gif(idx.data(), 48, 32, 48, palette);
}

/// How far two decoded images are apart: mean absolute difference per channel and the share
/// of channel values more than 32 apart.
struct difference {
  double mean = 0;
  double share_over_32 = 0;
  int max = 0;
};

difference compare(const rgba_image& a, const rgba_image& b) {
  REQUIRE(a.width == b.width);
  REQUIRE(a.height == b.height);
  difference d;
  std::size_t over = 0;
  double sum = 0;
  for (std::size_t i = 0; i < a.rgba.size(); ++i) {
    const int diff = std::abs(a.rgba[i] - b.rgba[i]);
    sum += diff;
    d.max = std::max(d.max, diff);
    over += diff > 32 ? 1U : 0U;
  }
  d.mean = sum / static_cast<double>(a.rgba.size());
  d.share_over_32 = static_cast<double>(over) / static_cast<double>(a.rgba.size());
  return d;
}

rgba_image decoded(std::string_view bytes) {
  const image_decode_result r = decode_image(bytes);
  REQUIRE_MESSAGE(r.image.has_value(), r.error);
  return *r.image;
}

/// Every prefix of `bytes` (all of them for small inputs) decodes to an error or, where the
/// format allows a missing tail, to an image of the original's size; never a crash.
void check_truncations(const std::string& bytes, bool tail_optional) {
  const rgba_image whole = decoded(bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const image_decode_result r = decode_image(std::string_view(bytes).substr(0, n));
    if (r.image) {
      CHECK_MESSAGE(tail_optional, "prefix of " << n << " bytes decoded");
      CHECK(r.image->width == whole.width);
      CHECK(r.image->height == whole.height);
    } else {
      CHECK_FALSE(r.error.empty());
    }
  }
}

/// Random byte changes after the signature: an error or an image, never a crash (the debug
/// preset runs this under ASan and UBSan).
void check_corruptions(const std::string& bytes, std::uint64_t seed) {
  seeded_rng rng(seed);
  for (int round = 0; round < 300; ++round) {
    const std::string bad = test::corrupted(bytes, rng, 8, 12);
    const image_decode_result r = decode_image(bad, 1U << 20U);
    CHECK((r.image.has_value() || !r.error.empty()));
  }
}

/// A greyscale progressive JPEG that refines the DC and the first `ac` AC coefficients a bit at
/// a time, each coefficient alone: 11 scans per coefficient, the most a valid 8-bit script
/// allows (ac = 63: 704 scans). Missing coefficients are zero, so any `ac` is a valid file.
std::string progressive_jpeg(int ac) {
  std::vector<jpeg_scan_info> script;
  script.reserve(static_cast<std::size_t>(ac + 1) * 11);  // 11 successive approximations each
  for (int k = 0; k <= ac; ++k) {
    for (int al = 10; al >= 0; --al) {
      script.push_back(jpeg_scan_info{1, {0, 0, 0, 0}, k, k, al == 10 ? 0 : al + 1, al});
    }
  }
  const std::vector<std::uint8_t> px = card(1);
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;  // NOLINT(google-runtime-int): jpeg_mem_dest's type
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = 48;
  cinfo.image_height = 32;
  cinfo.input_components = 1;
  cinfo.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  cinfo.scan_info = script.data();
  cinfo.num_scans = static_cast<int>(script.size());
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    auto* row =
        const_cast<JSAMPLE*>(px.data() + static_cast<std::size_t>(cinfo.next_scanline) * 48U);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string bytes(reinterpret_cast<const char*>(out), size);
  std::free(out);  // NOLINT(cppcoreguidelines-no-malloc): libjpeg's buffer
  return bytes;
}

void put_le16(std::string& s, std::size_t at, unsigned v) {
  s[at] = static_cast<char>(v & 0xffU);
  s[at + 1] = static_cast<char>(v >> 8U);
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the format is sniffed from the bytes") {
    CHECK(sniff_image_format(make_challenge(challenge_options{}, 1).image) == image_format::png);
    CHECK(sniff_image_format(small_jpeg()) == image_format::jpeg);
    CHECK(sniff_image_format(small_webp()) == image_format::webp);
    CHECK(sniff_image_format(small_gif()) == image_format::gif);
    CHECK(sniff_image_format(small_gif().substr(0, 6)) == image_format::gif);
    CHECK_FALSE(sniff_image_format("").has_value());
    CHECK_FALSE(sniff_image_format("RIFF\x10\0\0\0WAVEfmt ").has_value());
    CHECK_FALSE(sniff_image_format("GIF88a").has_value());
    CHECK_FALSE(sniff_image_format("<html>").has_value());
    CHECK(decode_image("<html>").error == "not a PNG, JPEG, WebP or GIF image");
  }

  TEST_CASE("JPEG and WebP round trips stay within lossy tolerance of the drawn pixels") {
    for (const int channels : {1, 3}) {
      CAPTURE(channels);
      const auto px = card(channels);
      rgba_image drawn;
      drawn.width = 48;
      drawn.height = 32;
      for (std::size_t i = 0; i < std::size_t{48} * 32; ++i) {
        for (int c = 0; c < 3; ++c) {
          drawn.rgba.push_back(px[i * static_cast<std::size_t>(channels) +
                                  static_cast<std::size_t>(channels == 1 ? 0 : c)]);
        }
        drawn.rgba.push_back(255);
      }
      for (const std::string& bytes :
           {encode_jpeg(rows_of(px, channels)), encode_webp(rows_of(px, channels))}) {
        const difference d = compare(decoded(bytes), drawn);
        CHECK(d.mean < 4);
        CHECK(d.share_over_32 < 0.02);
      }
    }
  }

  TEST_CASE("GIF keeps every palette colour exactly") {
    const std::vector<rgb8> palette{
        {1, 2, 3}, {250, 128, 7}, {0, 0, 0}, {9, 200, 99}, {77, 66, 55}};
    std::vector<std::uint8_t> idx(std::size_t{40} * 30);
    for (std::size_t i = 0; i < idx.size(); ++i) {
      idx[i] = static_cast<std::uint8_t>((i * 7 + i / 40) % palette.size());
    }
    const rgba_image img = decoded(encode_gif(idx.data(), 40, 30, 40, palette));
    REQUIRE(img.width == 40);
    REQUIRE(img.height == 30);
    for (std::size_t i = 0; i < idx.size(); ++i) {
      const rgb8& want = palette[idx[i]];
      const std::uint8_t* got = img.rgba.data() + i * 4U;
      REQUIRE(rgb8{got[0], got[1], got[2]} == want);
      REQUIRE(got[3] == 255);
    }
  }

  TEST_CASE("every challenge format decodes to the pixels of the PNG within lossy tolerance") {
    for (const challenge_kind kind : test::every_challenge_kind) {
      for (const image_format format :
           {image_format::jpeg, image_format::webp, image_format::gif}) {
        CAPTURE(to_string(kind));
        CAPTURE(to_string(format));
        for (std::uint64_t seed = 0; seed < 5; ++seed) {
          challenge_options o{kind};
          const rgba_image png = decoded(make_challenge(o, seed).image);
          o.format = format;
          const difference d = compare(decoded(make_challenge(o, seed).image), png);
          if (format == image_format::gif) {
            CHECK(d.max == 0);  // the 16 values of the 4-bit PNG, stored exactly
          } else {
            CHECK(d.mean < 2);
            CHECK(d.share_over_32 < 0.005);  // a few edge pixels of the colour shapes (chroma)
            if (kind != challenge_kind::color) {
              CHECK(d.max <= 48);
            }
          }
        }
      }
    }
  }

  TEST_CASE("encoders are deterministic and challenges carry their true media type") {
    CHECK(small_jpeg() == small_jpeg());
    CHECK(small_webp() == small_webp());
    CHECK(small_gif() == small_gif());
    for (const image_format format :
         {image_format::png, image_format::jpeg, image_format::webp, image_format::gif}) {
      CAPTURE(to_string(format));
      challenge_options o{challenge_kind::color};
      o.format = format;
      const challenge a = make_challenge(o, 99);
      CHECK(a.image == make_challenge(o, 99).image);
      CHECK(a.image != make_challenge(o, 100).image);
      CHECK(a.media_type == media_type_of(format));
      CHECK(sniff_image_format(a.image) == format);
      CHECK(a.answer == make_challenge(challenge_options{challenge_kind::color}, 99).answer);
    }
  }

  TEST_CASE("encoders reject impossible geometry and settings") {
    const auto px = card(3);
    CHECK_THROWS_AS(encode_jpeg(pixel_rows{px.data(), 48, 32, 144, 2}), std::invalid_argument);
    CHECK_THROWS_AS(encode_jpeg(pixel_rows{px.data(), 48, 32, 100, 3}), std::invalid_argument);
    CHECK_THROWS_AS(encode_jpeg(pixel_rows{nullptr, 48, 32, 144, 3}), std::invalid_argument);
    CHECK_THROWS_AS(encode_jpeg(rows_of(px, 3), jpeg_settings{0}), std::invalid_argument);
    CHECK_THROWS_AS(encode_webp(pixel_rows{px.data(), 20000, 1, 60000, 3}), std::invalid_argument);
    CHECK_THROWS_AS(encode_webp(rows_of(px, 3), webp_settings{80, 9}), std::invalid_argument);
    const std::vector<rgb8> one{{0, 0, 0}};
    const std::vector<rgb8> two{{0, 0, 0}, {255, 255, 255}};
    const std::vector<std::uint8_t> idx{0, 1, 2, 1};
    CHECK_THROWS_AS(encode_gif(idx.data(), 2, 2, 2, one), std::invalid_argument);
    CHECK_THROWS_WITH_AS(encode_gif(idx.data(), 2, 2, 2, two),
                         "gif encode: a pixel indexes past the end of the palette",
                         std::invalid_argument);
    CHECK_THROWS_AS(encode_gif(idx.data(), 0, 2, 2, two), std::invalid_argument);
  }

  TEST_CASE("each decoder refuses another format with a reason") {
    const std::string png = make_challenge(challenge_options{}, 3).image;
    CHECK(decode_jpeg(png).error == "not a JPEG (bad signature)");
    CHECK(decode_webp(png).error == "not a WebP (bad signature)");
    CHECK(decode_gif(png).error == "not a GIF (bad signature)");
    CHECK_FALSE(decode_jpeg(small_gif()).image.has_value());
  }

  TEST_CASE(
      "every truncation of a JPEG WebP or GIF gives an error or the first frame - never a crash") {
    check_truncations(small_jpeg(), false);
    check_truncations(small_webp(), false);
    // A GIF's first frame is complete before its trailer: only the last byte may go.
    check_truncations(small_gif(), true);
    const std::string gif = small_gif();
    CHECK_FALSE(decode_gif(gif.substr(0, gif.size() - 2)).image.has_value());
  }

  TEST_CASE("corrupted JPEG WebP and GIF bytes give an error or an image - never a crash") {
    check_corruptions(small_jpeg(), 1);
    check_corruptions(small_webp(), 2);
    check_corruptions(small_gif(), 3);
  }

  TEST_CASE("oversized dimensions are refused before the pixels are allocated") {
    std::string jpeg = small_jpeg();
    const std::size_t sof = jpeg.find("\xff\xc0");
    REQUIRE(sof != std::string::npos);
    jpeg[sof + 5] = jpeg[sof + 7] = static_cast<char>(0x75);  // 30000 x 30000 (0x7530)
    jpeg[sof + 6] = jpeg[sof + 8] = static_cast<char>(0x30);
    CHECK(decode_jpeg(jpeg).error ==
          "JPEG too large: 30000x30000 exceeds the limit of 16777216 pixels");
    CHECK(decode_jpeg(small_jpeg(), 1000).error.starts_with("JPEG too large: 48x32"));

    std::string gif = small_gif();
    put_le16(gif, 6, 0xffff);  // the logical screen: 65535 x 65535
    put_le16(gif, 8, 0xffff);
    CHECK(decode_gif(gif).error ==
          "GIF too large: 65535x65535 exceeds the limit of 16777216 pixels");

    std::string webp = small_webp();
    const std::size_t vp8 = webp.find("\x9d\x01\x2a");  // the VP8 key frame start code
    REQUIRE(vp8 != std::string::npos);
    put_le16(webp, vp8 + 3, 16383);
    put_le16(webp, vp8 + 5, 16383);
    CHECK(decode_webp(webp).error ==
          "WebP too large: 16383x16383 exceeds the limit of 16777216 pixels");
  }

  TEST_CASE("a GIF frame outside its screen or without colours is refused") {
    std::string gif = small_gif();
    const std::size_t desc = gif.find(',');  // the image descriptor
    REQUIRE(desc != std::string::npos);
    std::string outside = gif;
    put_le16(outside, desc + 1, 40);  // left edge 40 of a 48-wide screen, frame 48 wide
    CHECK(decode_gif(outside).error == "invalid GIF: the first frame lies outside the screen");
    std::string uncoloured = gif;
    uncoloured[10] = static_cast<char>(uncoloured[10] & 0x7f);  // no global colour table
    CHECK_FALSE(decode_gif(uncoloured).image.has_value());
  }

  TEST_CASE("an animated WebP is refused") {
    // RIFF, VP8X with the animation flag and a 48 x 32 canvas, an empty ANIM chunk.
    std::string webp(
        "RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\x02\0\0\0\x2f\0\0\x1f\0\0"
        "ANIM\x06\0\0\0\0\0\0\0\0\0",
        44);
    put_le16(webp, 4, static_cast<unsigned>(webp.size() - 8));
    CHECK(decode_webp(webp).error == "animated WebP is not supported");
  }

  TEST_CASE("a progressive JPEG with endless scans is refused and a normal one decodes") {
    CHECK(decode_jpeg(progressive_jpeg(63)).error ==
          "invalid JPEG: more than 500 progressive scans");
    CHECK(decode_jpeg(progressive_jpeg(5)).image.has_value());  // 66 scans
  }
}

}  // namespace image_codec_test
