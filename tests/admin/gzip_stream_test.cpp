// gzip for streamed admin responses: which Accept-Encoding values get it, and a body compressed
// a piece at a time that a scraper (zlib's inflate) reads back byte for byte.
#include "daemon/admin/gzip_stream.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/gunzip.hpp"
#include "tests/support/yes_no_cases.hpp"

namespace {

using visionwatch::accepts_gzip;
using visionwatch::gzip_stream;
using visionwatch::test::check_yes_no;
using visionwatch::test::gunzip;

/// `pieces` through one gzip_stream, the last one ending it.
std::string compress(const std::vector<std::string>& pieces) {
  gzip_stream zip;
  std::string out;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    zip.write(pieces[i], i + 1 == pieces.size(), out);
  }
  return out;
}

/// Text like an exposition: long runs of near-identical lines.
std::string exposition_like(std::size_t lines, std::uint32_t seed) {
  std::string out;
  for (std::size_t i = 0; i < lines; ++i) {
    seed = seed * 1664525U + 1013904223U;
    out += R"(visionwatch_probe_duration_seconds_bucket{route="r)" + std::to_string(i / 16) +
           R"(",model="m",le=")" + std::to_string(i % 16) + R"("} )" + std::to_string(seed % 1000) +
           "\n";
  }
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("Accept-Encoding values that accept gzip and values that do not") {
    check_yes_no(accepts_gzip,
                 {
                     "gzip",                     // what Prometheus sends
                     "deflate, gzip, br, zstd",  // curl --compressed
                     "GZIP",
                     "x-gzip",
                     " br ;q=1 , gzip;q=0.5",
                     "gzip;Q=0.001",
                     "gzip;level=1",  // another parameter is not a weight
                     "*",
                     "identity;q=0, *;q=0.1",
                     "gzip;q=0,gzip",  // named twice: the higher weight counts
                     "gzip,",
                 },
                 {
                     "",
                     "identity",
                     "br, zstd, deflate",
                     "gzip;q=0",
                     "gzip;q=0.000",
                     "gzip;q=0, *",  // named with 0: the wildcard does not revive it
                     "*;q=0",
                     "gzip;q=2",  // out of range: malformed, so 0
                     "gzip;q=high",
                     "gzipper",
                     "x-gzip-ish, gzi",
                 });
  }

  TEST_CASE("a body compressed piece by piece inflates to exactly the pieces joined") {
    const std::string text = exposition_like(20000, 7);  // ~1.5 MB
    std::vector<std::string> pieces;
    constexpr std::size_t piece = std::size_t{256} * 1024;
    for (std::size_t at = 0; at < text.size(); at += piece) {
      pieces.push_back(text.substr(at, piece));
    }
    const std::string gz = compress(pieces);
    REQUIRE(gz.size() > 10);
    CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);  // the gzip magic
    CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
    CHECK(gz.size() * 10 < text.size());  // it does compress
    const auto back = gunzip(gz);
    REQUIRE(back);
    CHECK(*back == text);
  }

  TEST_CASE("empty pieces - one byte pieces and an empty body all make valid gzip") {
    const auto empty = gunzip(compress({""}));
    REQUIRE(empty);
    CHECK(empty->empty());

    const auto gaps = gunzip(compress({"", "a", "", "bc\n", ""}));
    REQUIRE(gaps);
    CHECK(*gaps == "abc\n");

    std::vector<std::string> bytes;
    std::string all;
    for (int i = 0; i < 3000; ++i) {
      bytes.emplace_back(1, static_cast<char>(i * 7 % 256));  // binary, NULs included
      all += bytes.back();
    }
    const auto each = gunzip(compress(bytes));
    REQUIRE(each);
    CHECK(*each == all);
  }

  TEST_CASE("a stream cut before its last piece is not a complete gzip body") {
    gzip_stream zip;
    std::string out;
    zip.write(exposition_like(5000, 3), false, out);
    CHECK_FALSE(gunzip(out));  // no trailer yet: a scraper sees a truncated body
    zip.write({}, true, out);
    CHECK(gunzip(out) == exposition_like(5000, 3));
    CHECK_FALSE(gunzip(out + "x"));  // the test helper itself rejects trailing bytes
  }
}
