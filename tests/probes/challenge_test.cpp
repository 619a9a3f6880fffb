#include "probes/challenge.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "probes/png_codec.hpp"
#include "probes/seeded_rng.hpp"

namespace challenge_test {

using namespace visionwatch;

namespace {

constexpr std::array<challenge_kind, 4> all_kinds = {
    challenge_kind::digits, challenge_kind::color, challenge_kind::shape, challenge_kind::count};

challenge make(challenge_kind kind, std::uint64_t seed, int width = 512, int height = 512) {
  return make_challenge(challenge_options{kind, width, height}, seed);
}

/// Width, height, bit depth and colour type from the IHDR chunk (always first in a PNG).
struct ihdr {
  std::uint32_t width;
  std::uint32_t height;
  int bit_depth;
  int color_type;
};

ihdr read_ihdr(const std::string& png) {
  REQUIRE(png.size() > 33);
  REQUIRE(png.substr(12, 4) == "IHDR");
  const auto be32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(png[at])) << 24U |
           static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 1])) << 16U |
           static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 2])) << 8U |
           static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 3]));
  };
  return ihdr{
      be32(16), be32(20), static_cast<unsigned char>(png[24]), static_cast<unsigned char>(png[25])};
}

/// The words of a canonical answer ("red blue green red").
std::vector<std::string> words(const std::string& answer) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < answer.size()) {
    const std::size_t space = std::min(answer.find(' ', i), answer.size());
    out.push_back(answer.substr(i, space - i));
    i = space + 1;
  }
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the seeded generator reproduces the SplitMix64 reference sequence") {
    seeded_rng rng(1234567);
    CHECK(rng.next() == 6457827717110365317ULL);
    CHECK(rng.next() == 3203168211198807973ULL);
    CHECK(rng.next() == 9817491932198370423ULL);
  }

  TEST_CASE("uniform integers stay in range and reach both ends") {
    seeded_rng rng(42);
    std::set<int> seen;
    for (int i = 0; i < 2000; ++i) {
      const int v = rng.uniform_int(-3, 5);
      CHECK(v >= -3);
      CHECK(v <= 5);
      seen.insert(v);
    }
    CHECK(seen.size() == 9);
    CHECK(rng.uniform_int(7, 7) == 7);
  }

  TEST_CASE("the same seed and options give byte-identical challenges") {
    for (const challenge_kind kind : all_kinds) {
      CAPTURE(to_string(kind));
      for (const std::uint64_t seed : {0ULL, 1ULL, 987654321ULL, ~0ULL}) {
        const challenge a = make(kind, seed);
        const challenge b = make(kind, seed);
        CHECK(a.image == b.image);
        CHECK(a.answer == b.answer);
        CHECK(a.question == b.question);
        CHECK(a.seed == seed);
        CHECK(a.kind == kind);
      }
    }
  }

  TEST_CASE("different seeds give different images") {
    for (const challenge_kind kind : all_kinds) {
      CAPTURE(to_string(kind));
      std::set<std::string> pngs;
      for (std::uint64_t seed = 100; seed < 150; ++seed) {
        pngs.insert(make(kind, seed).image);
      }
      CHECK(pngs.size() == 50);
    }
  }

  TEST_CASE("each kind asks its fixed question") {
    CHECK(make(challenge_kind::digits, 1).question ==
          "What number is written in the image? Reply with the digits only.");
    CHECK(make(challenge_kind::color, 1).question ==
          "The image shows four shapes in a row. Name the colour of each shape from left to "
          "right, separated by spaces.");
    CHECK(make(challenge_kind::shape, 1).question ==
          "The image shows five shapes in a row. Name each shape from left to right (circle, "
          "square, triangle, star or cross), separated by spaces.");
    CHECK(make(challenge_kind::count, 1).question ==
          "The image shows four boxes in a row. How many dots are in each box? Reply with four "
          "numbers from left to right, separated by spaces.");
    for (const challenge_kind kind : all_kinds) {
      CHECK(question_for(kind) == make(kind, 7).question);
    }
  }

  TEST_CASE("answers have the canonical format of their kind") {
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      CAPTURE(seed);
      const std::string digits = make(challenge_kind::digits, seed).answer;
      CHECK(digits.size() >= 4);
      CHECK(digits.size() <= 6);
      CHECK(std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }));
      CHECK(digits.front() != '0');

      const auto colors = words(make(challenge_kind::color, seed).answer);
      REQUIRE(colors.size() == 4);
      for (const auto& color : colors) {
        CHECK(std::find(challenge_colors.begin(), challenge_colors.end(), color) !=
              challenge_colors.end());
      }

      const auto shapes = words(make(challenge_kind::shape, seed).answer);
      REQUIRE(shapes.size() == 5);
      for (const auto& shape : shapes) {
        CHECK(std::find(challenge_shapes.begin(), challenge_shapes.end(), shape) !=
              challenge_shapes.end());
      }

      const auto counts = words(make(challenge_kind::count, seed).answer);
      REQUIRE(counts.size() == 4);
      for (const auto& count : counts) {
        REQUIRE(count.size() == 1);
        CHECK(count[0] >= '1');
        CHECK(count[0] <= '9');
      }
    }
  }

  TEST_CASE("sizes outside 64 to 4096 pixels are rejected") {
    for (const auto& [w, h] : std::array<std::pair<int, int>, 6>{
             {{63, 512}, {512, 63}, {4097, 512}, {512, 4097}, {0, 0}, {-512, 512}}}) {
      CAPTURE(w);
      CAPTURE(h);
      CHECK_THROWS_AS(make(challenge_kind::digits, 1, w, h), std::invalid_argument);
    }
    CHECK_NOTHROW(make(challenge_kind::digits, 1, 64, 64));
    CHECK_NOTHROW(make(challenge_kind::count, 1, 4096, 256));
  }

  TEST_CASE("each kind refuses sizes under its minimum with a clear error") {
    CHECK(min_side_for(challenge_kind::digits) == 64);
    CHECK(min_side_for(challenge_kind::color) == 128);
    CHECK(min_side_for(challenge_kind::shape) == 256);
    CHECK(min_side_for(challenge_kind::count) == 256);
    for (const challenge_kind kind : all_kinds) {
      CAPTURE(to_string(kind));
      const int min = min_side_for(kind);
      CHECK_NOTHROW(make(kind, 1, min, min));
      if (min > challenge_min_size) {
        CHECK_THROWS_WITH_AS(
            make(kind, 1, min - 1, 512),
            (std::string(to_string(kind)) + " challenges need at least " + std::to_string(min) +
             "x" + std::to_string(min) + " pixels (asked for " + std::to_string(min - 1) + "x512)")
                .c_str(),
            std::invalid_argument);
        CHECK_THROWS_AS(make(kind, 1, 4096, min - 1), std::invalid_argument);
      }
    }
  }

  TEST_CASE("the PNG has the requested size - 4-bit greyscale or palette by kind") {
    for (const challenge_kind kind : all_kinds) {
      CAPTURE(to_string(kind));
      const int min = min_side_for(kind);
      for (const auto& [w, h] : std::array<std::pair<int, int>, 5>{
               {{512, 512}, {min, min}, {1024, 256}, {min + 13, 900}, {4096, min}}}) {
        const challenge c = make(kind, 5, w, h);
        const ihdr header = read_ihdr(c.image);
        CHECK(header.width == static_cast<std::uint32_t>(w));
        CHECK(header.height == static_cast<std::uint32_t>(h));
        CHECK(header.bit_depth == 4);
        CHECK(header.color_type == (kind == challenge_kind::color ? 3 : 0));
        const png_decode_result decoded = decode_png(c.image);
        REQUIRE(decoded.image.has_value());
        CHECK(decoded.image->width == w);
        CHECK(decoded.image->height == h);
      }
    }
  }

  TEST_CASE("derive_seed is stable and depends on route - nonce and sequence") {
    const std::uint64_t base = derive_seed("openai-gpt4o", 0x1234, 7);
    CHECK(base == derive_seed("openai-gpt4o", 0x1234, 7));
    // Pinned (values from an independent Python model of the algorithm): the mix must not change
    // between releases, or seeds derived for a route would repeat across an upgrade.
    CHECK(derive_seed("", 0, 0) == 0xc43d303fb734d29cULL);
    CHECK(base == 0xdf27cc634773db14ULL);
    std::set<std::uint64_t> seen{base};
    seen.insert(derive_seed("openai-gpt4p", 0x1234, 7));
    seen.insert(derive_seed("openai-gpt4o ", 0x1234, 7));
    seen.insert(derive_seed("openai-gpt4o", 0x1235, 7));
    seen.insert(derive_seed("openai-gpt4o", 0x1234, 8));
    seen.insert(derive_seed("openai-gpt4o", 0x1234, 6));
    CHECK(seen.size() == 6);
    std::set<std::uint64_t> sequence_seeds;
    for (std::uint64_t i = 0; i < 10000; ++i) {
      sequence_seeds.insert(derive_seed("r", 1, i));
    }
    CHECK(sequence_seeds.size() == 10000);
  }

  TEST_CASE("over 1000 seeds every colour - shape - dot count and digit length appears") {
    std::map<std::string, int> colors;
    std::map<std::string, int> shapes;
    std::map<std::string, int> counts;
    std::map<std::size_t, int> lengths;
    std::map<char, int> first_digits;
    const auto small = [](challenge_kind kind, std::uint64_t seed) {
      // Small images: the answer is chosen before drawing, so the size does not change it.
      const int side = min_side_for(kind);
      return make(kind, seed, side, side).answer;
    };
    for (std::uint64_t seed = 0; seed < 1000; ++seed) {
      for (const auto& w : words(small(challenge_kind::color, seed))) {
        colors[w]++;
      }
      for (const auto& w : words(small(challenge_kind::shape, seed))) {
        shapes[w]++;
      }
      for (const auto& w : words(small(challenge_kind::count, seed))) {
        counts[w]++;
      }
      const std::string digits = small(challenge_kind::digits, seed);
      lengths[digits.size()]++;
      first_digits[digits.front()]++;
    }
    CHECK(colors.size() == 8);
    CHECK(shapes.size() == 5);
    CHECK(counts.size() == 9);
    CHECK(lengths.size() == 3);
    CHECK(first_digits.size() == 9);
    // Roughly uniform: no value below half its fair share (4 colours, 5 shapes, 4 boxes a seed).
    for (const auto& [name, n] : colors) {
      CHECK_MESSAGE(n > 4000 / 8 / 2, name);
    }
    for (const auto& [name, n] : shapes) {
      CHECK_MESSAGE(n > 5000 / 5 / 2, name);
    }
    for (const auto& [name, n] : counts) {
      CHECK_MESSAGE(n > 4000 / 9 / 2, name);
    }
  }

  TEST_CASE("a blind guess passes at most 1 in 1000 probes - counted from the generator") {
    // The answer space the generator produces, counted from its answers (not from the formula):
    // for each position of the answer, the values seen over many seeds and how often each
    // appears. Positions are independent draws, so the likeliest single answer has the
    // probability of the product of each position's likeliest value.
    constexpr int seeds = 3000;
    for (const challenge_kind kind :
         {challenge_kind::color, challenge_kind::shape, challenge_kind::count}) {
      CAPTURE(to_string(kind));
      std::vector<std::map<std::string, int>> positions;
      const int side = min_side_for(kind);
      for (std::uint64_t seed = 0; seed < seeds; ++seed) {
        const auto answer = words(make(kind, seed, side, side).answer);
        positions.resize(std::max(positions.size(), answer.size()));
        REQUIRE(answer.size() == positions.size());
        for (std::size_t i = 0; i < answer.size(); ++i) {
          positions[i][answer[i]]++;
        }
      }
      double best_guess = 1;
      for (const auto& values : positions) {
        // Every value appears, and none is more than 1.5 times its fair share.
        const double fair = static_cast<double>(seeds) / static_cast<double>(values.size());
        for (const auto& [value, n] : values) {
          CHECK_MESSAGE(n < fair * 1.5, value);
        }
        best_guess /= static_cast<double>(values.size());
      }
      CHECK(best_guess <= 1.0 / 1000);
      CHECK(guess_probability(kind) == doctest::Approx(best_guess).epsilon(1e-12));
      for (int images = 1; images <= challenge_max_images; ++images) {
        CHECK(guess_probability(kind, images) ==
              doctest::Approx(std::pow(best_guess, images)).epsilon(1e-9));
      }
    }
    // digits: a length of 4, 5 or 6 (each a third of the time), a first digit 1-9, then 0-9.
    std::map<std::size_t, int> lengths;
    std::vector<std::set<char>> digit_values(6);
    for (std::uint64_t seed = 0; seed < seeds; ++seed) {
      const std::string d = make(challenge_kind::digits, seed, 64, 64).answer;
      lengths[d.size()]++;
      for (std::size_t i = 0; i < d.size(); ++i) {
        digit_values[i].insert(d[i]);
      }
    }
    double digits_best = 0;
    for (const auto& [length, n] : lengths) {
      CHECK(n < static_cast<double>(seeds) / 3 * 1.2);
      double p = 1.0 / static_cast<double>(lengths.size());
      for (std::size_t i = 0; i < length; ++i) {
        p /= static_cast<double>(digit_values[i].size());
      }
      digits_best = std::max(digits_best, p);
    }
    CHECK(digit_values[0].size() == 9);
    CHECK(digits_best <= 1.0 / 10000);
    CHECK(guess_probability(challenge_kind::digits) == doctest::Approx(digits_best).epsilon(1e-12));
    CHECK(guess_probability(challenge_kind::digits, 2) ==
          doctest::Approx(digits_best * digits_best).epsilon(1e-9));
  }

  TEST_CASE("a challenge set holds N images from one seed - the first is the probe's own") {
    for (const challenge_kind kind : all_kinds) {
      CAPTURE(to_string(kind));
      const challenge_options options{kind, 512, 512};
      const challenge_set one = make_challenge_set(options, 99, 1);
      REQUIRE(one.images.size() == 1);
      CHECK(one.images[0].image == make_challenge(options, 99).image);
      CHECK(one.question == question_for(kind));
      CHECK(one.answer == make_challenge(options, 99).answer);

      const challenge_set three = make_challenge_set(options, 99, 3);
      REQUIRE(three.images.size() == 3);
      CHECK(three.images[0].image == one.images[0].image);
      CHECK(three.images[1].image != three.images[0].image);
      CHECK(three.images[2].image != three.images[1].image);
      CHECK(three.answer ==
            three.images[0].answer + " " + three.images[1].answer + " " + three.images[2].answer);
      CHECK(three.question == question_for(kind, 3));
      CHECK(three.question != one.question);
      // Deterministic.
      const challenge_set again = make_challenge_set(options, 99, 3);
      CHECK(again.images[2].image == three.images[2].image);
      CHECK(again.answer == three.answer);
    }
    CHECK(question_for(challenge_kind::digits, 2) ==
          "Each image shows a number. Reply with the numbers in image order, separated by "
          "spaces.");
    CHECK_THROWS_AS(make_challenge_set(challenge_options{}, 1, 0), std::invalid_argument);
    CHECK_THROWS_AS(make_challenge_set(challenge_options{}, 1, 5), std::invalid_argument);
  }

  TEST_CASE("the answer does not depend on the image size") {
    for (const challenge_kind kind : all_kinds) {
      for (std::uint64_t seed = 0; seed < 20; ++seed) {
        const int side = min_side_for(kind);
        CHECK(make(kind, seed).answer == make(kind, seed, side, side).answer);
        CHECK(make(kind, seed).answer == make(kind, seed, 4096, side).answer);
      }
    }
  }
}

}  // namespace challenge_test
