#include "probes/image_reader.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "probes/challenge.hpp"
#include "probes/png_codec.hpp"
#include "tests/probes/challenge_kinds.hpp"
#include "tests/support/sanitizer.hpp"

namespace image_reader_test {

using namespace visionwatch;

namespace {

using test::sanitizer_divisor;

/// Makes `count` consecutive challenges of `kind` from `first_seed` and reads each back; returns
/// the failures as "seed: expected -> read" lines.
std::vector<std::string> round_trip(
    challenge_kind kind, std::uint64_t first_seed, int count, int width = 512, int height = 512) {
  std::vector<std::string> failures;
  for (int i = 0; i < count; ++i) {
    const std::uint64_t seed = first_seed + static_cast<std::uint64_t>(i);
    const challenge c = make_challenge(challenge_options{kind, width, height}, seed);
    const auto read = read_challenge(c.image, c.question);
    if (read != c.answer) {
      failures.push_back(std::to_string(seed) + ": " + c.answer + " -> " + read.value_or("(none)"));
    }
  }
  return failures;
}

void check_round_trip(challenge_kind kind, int count, int width = 512, int height = 512) {
  const auto failures = round_trip(kind, 0, std::max(1, count / sanitizer_divisor), width, height);
  CAPTURE(width);
  CAPTURE(height);
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i) {
    MESSAGE(failures[i]);
  }
  CHECK(failures.empty());
}

rgba_image blank(int w, int h, std::uint8_t grey) {
  rgba_image img;
  img.width = w;
  img.height = h;
  img.rgba.assign(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 4, grey);
  for (std::size_t i = 3; i < img.rgba.size(); i += 4) {
    img.rgba[i] = 255;
  }
  return img;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the question's keywords select the challenge kind") {
    CHECK(kind_from_question(digits_question) == challenge_kind::digits);
    CHECK(kind_from_question(color_question) == challenge_kind::color);
    CHECK(kind_from_question(shape_question) == challenge_kind::shape);
    CHECK(kind_from_question(count_question) == challenge_kind::count);
    for (const challenge_kind kind : test::every_challenge_kind) {
      for (int images = 1; images <= challenge_max_images; ++images) {
        CHECK(kind_from_question(question_for(kind, images)) == kind);
      }
    }
    CHECK(kind_from_question("what COLOR is it?") == challenge_kind::color);
    CHECK(kind_from_question("How many circles?") == challenge_kind::count);
    CHECK(kind_from_question("Read the digits") == challenge_kind::digits);
    CHECK_FALSE(kind_from_question("Describe this picture.").has_value());
    CHECK_FALSE(kind_from_question("").has_value());
  }

  TEST_CASE("an unrecognised question - a broken PNG or a blank image reads as nothing") {
    const challenge c = make_challenge(challenge_options{challenge_kind::count, 256, 256}, 1);
    CHECK_FALSE(read_challenge(c.image, "Describe this picture.").has_value());
    CHECK_FALSE(read_challenge("not a png", count_question).has_value());
    CHECK_FALSE(read_challenge(c.image.substr(0, c.image.size() / 2), count_question).has_value());
    const rgba_image white = blank(100, 80, 250);
    CHECK_FALSE(read_image(white, challenge_kind::digits).has_value());
    CHECK_FALSE(read_image(white, challenge_kind::color).has_value());
    CHECK_FALSE(read_image(white, challenge_kind::shape).has_value());
    CHECK_FALSE(read_image(white, challenge_kind::count).has_value());
    rgba_image inconsistent = white;
    inconsistent.rgba.resize(10);
    CHECK_FALSE(read_image(inconsistent, challenge_kind::count).has_value());
  }

  TEST_CASE("a transparent image reads as blank (composited on white)") {
    rgba_image clear = blank(64, 64, 0);
    for (std::size_t i = 3; i < clear.rgba.size(); i += 4) {
      clear.rgba[i] = 0;
    }
    CHECK_FALSE(read_image(clear, challenge_kind::count).has_value());
  }

  TEST_CASE("specks far smaller than the dots are not counted") {
    const challenge c = make_challenge(challenge_options{challenge_kind::count, 512, 512}, 4);
    auto decoded = decode_png(c.image);
    REQUIRE(decoded.image.has_value());
    rgba_image img = *decoded.image;
    // Two dark 2x2 specks in the corners.
    for (const auto& [sx, sy] : std::array<std::pair<int, int>, 2>{{{2, 2}, {508, 508}}}) {
      for (int y = sy; y < sy + 2; ++y) {
        for (int x = sx; x < sx + 2; ++x) {
          auto* p = img.rgba.data() +
                    (static_cast<std::size_t>(y) * 512 + static_cast<std::size_t>(x)) * 4;
          p[0] = p[1] = p[2] = 0;
        }
      }
    }
    CHECK(read_image(img, challenge_kind::count) == c.answer);
  }

  TEST_CASE("colour - shape and count challenges read back exactly at small and odd sizes") {
    // Each kind down to its minimum size (min_side_for), wide, tall and odd.
    for (const challenge_kind kind :
         {challenge_kind::color, challenge_kind::shape, challenge_kind::count}) {
      CAPTURE(to_string(kind));
      const int min = min_side_for(kind);
      for (const auto& [w, h] : std::array<std::pair<int, int>, 5>{
               {{min, min}, {1024, min}, {min + 33, 700}, {4096, min + 1}, {min, 1500}}}) {
        check_round_trip(kind, 100, w, h);
      }
    }
  }

  TEST_CASE("the minimum sizes read back exactly over 1000 seeds") {
    for (const challenge_kind kind :
         {challenge_kind::color, challenge_kind::shape, challenge_kind::count}) {
      CAPTURE(to_string(kind));
      check_round_trip(kind, 1000, min_side_for(kind), min_side_for(kind));
    }
  }

  TEST_CASE("several images read back in image order") {
    for (const challenge_kind kind : test::every_challenge_kind) {
      CAPTURE(to_string(kind));
      const challenge_set set = make_challenge_set(challenge_options{kind, 512, 512}, 2024, 4);
      std::vector<std::string_view> pngs;
      pngs.reserve(set.images.size());
      for (const auto& c : set.images) {
        pngs.emplace_back(c.image);
      }
      CHECK(read_challenges(pngs, set.question) == set.answer);
      std::reverse(pngs.begin(), pngs.end());
      CHECK(read_challenges(pngs, set.question) != set.answer);
      pngs.emplace_back("not a png");
      CHECK_FALSE(read_challenges(pngs, set.question).has_value());
    }
    CHECK_FALSE(read_challenges({}, digits_question).has_value());
  }

  TEST_CASE("digits challenges read back exactly from 96 to 1024 pixels") {
    // Below about 96 px the digits are under 14 px tall and template matching is not exact.
    for (const int side : {96, 128, 192, 256}) {
      check_round_trip(challenge_kind::digits, 30, side, side);
    }
    check_round_trip(challenge_kind::digits, 10, 1024, 1024);
    check_round_trip(challenge_kind::digits, 20, 900, 160);
  }
}

TEST_SUITE("integration") {
  TEST_CASE("10000 consecutive colour challenges read back exactly") {
    check_round_trip(challenge_kind::color, 10000);
  }
  TEST_CASE("10000 consecutive shape challenges read back exactly") {
    check_round_trip(challenge_kind::shape, 10000);
  }
  TEST_CASE("10000 consecutive count challenges read back exactly") {
    check_round_trip(challenge_kind::count, 10000);
  }
  TEST_CASE("1000 consecutive digits challenges read back exactly through glyph templates") {
    check_round_trip(challenge_kind::digits, 1000);
  }
}

}  // namespace image_reader_test
