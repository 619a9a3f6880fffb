// Answer matching against realistic replies: numbers that are clearly not answers, digits in
// other scripts, spelled-out counts in the six languages of the phrase lists, and several images
// answered in order. Each reply was written the way models answer (chatty, numbered, bold).
#include <doctest/doctest.h>

#include <array>
#include <initializer_list>
#include <string>

#include "probes/verdict.hpp"

namespace verdict_match_test {

using namespace visionwatch;

namespace {

answer_expectation expect(challenge_kind kind, std::string answer) {
  answer_expectation e;
  e.kind = kind;
  e.answer = std::move(answer);
  return e;
}

bool matches(challenge_kind kind, const std::string& answer, const std::string& reply) {
  CAPTURE(answer);
  CAPTURE(reply);
  return answer_matches(expect(kind, answer), reply);
}

/// One row of a table: does `reply` answer `answer` (a challenge of `kind`)?
struct match_case {
  challenge_kind kind;
  const char* answer;
  const char* reply;
  bool matches;
};

void check_matches(std::initializer_list<match_case> cases) {
  for (const auto& c : cases) {
    CAPTURE(c.answer);
    CAPTURE(c.reply);
    CHECK(matches(c.kind, c.answer, c.reply) == c.matches);
  }
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("an image size beside a hedge does not make a digits answer ambiguous") {
    const auto digits = challenge_kind::digits;
    check_matches({
        {digits,
         "48213",
         "The image is 512x512 pixels and the digits might be slightly blurred, but the number "
         "written in it is **48213**.",
         true},
        {digits, "48213", "The 1024 × 768 image might show 48213.", true},
        {digits, "48213", "Possibly blurry (512px wide): 48213", true},
        // A real second reading is still a rival.
        {digits, "48213", "It might be 48213 or 48 213 0", false},
        {digits, "48213", "It could be 48213 or 482", false},
    });
  }

  TEST_CASE("rows - ordinals and box labels are not counts") {
    const auto count = challenge_kind::count;
    check_matches({
        {count,
         "7 3 1 9",
         "Looking at the boxes from left to right:\n"
         "- The first box has 7 dots arranged in two rows.\n"
         "- The second box has 3 dots.\n"
         "- The third one has a single dot.\n"
         "- The fourth box has 9 dots in 3 rows.",
         true},
        {count,
         "7 3 1 9",
         "1st box: 7, 2nd box: 3, 3rd box: 1, 4th box: 9. The image is 512x512.",
         true},
        {count, "7 3 1 9", "**Box 1:** 7\n**Box 2:** 3\n**Box 3:** 1\n**Box 4:** 9", true},
        {count, "7 3 1 9", "(1) 7 (2) 3 (3) 1 (4) 9", true},
        {count, "7 3 1 9", "The first box has 7 dots, the second 3, the third 1", false},
        {count, "7 3 1 9", "Box 1: 7, box 2: 3, box 3: 2, box 4: 9", false},
    });
  }

  TEST_CASE("Arabic-Indic - Persian and Devanagari digits are read") {
    const auto digits = challenge_kind::digits;
    const auto count = challenge_kind::count;
    check_matches({
        {digits, "48213", "الرقم المكتوب في الصورة هو ٤٨٢١٣", true},
        {digits, "48213", "عدد نوشته شده ۴۸۲۱۳ است.", true},
        {digits, "48213", "छवि में लिखी संख्या ४८२१३ है।", true},
        {count, "7 3 1 9", "٧ ٣ ١ ٩", true},
        {count, "7 3 1 9", "बाएँ से दाएँ: ७, ३, १, ९", true},
        {digits, "48213", "الرقم هو ٤٨٢١٢", false},
    });
  }

  TEST_CASE(
      "spelled-out counts are read in English - Spanish - German - French - Chinese and "
      "Japanese") {
    const auto replies = std::to_array({
        "Seven, three, one and nine.",
        "De izquierda a derecha: siete, tres, uno y nueve.",
        "Von links nach rechts: sieben, drei, eins und neun.",
        "De gauche à droite : sept, trois, un et neuf.",
        "从左到右：第一个框有七个点，第二个框有三个点，第三个框有一个点，第四个框有九个点。",
        "左から順に、ななつ、みっつ、ひとつ、ここのつです。",
        "左から七個、三個、一個、九個です。",
    });
    for (const char* reply : replies) {
      CHECK(matches(challenge_kind::count, "7 3 1 9", reply));
      CHECK_FALSE(matches(challenge_kind::count, "7 3 2 9", reply));
    }
    // Articles are not counts: "un carré", "eine Box", "una caja".
    CHECK(matches(
        challenge_kind::count,
        "2 5 4 8",
        "Dans chaque boîte il y a : deux, cinq, quatre et huit points. C'est une image simple."));
    CHECK(matches(challenge_kind::count,
                  "2 5 4 8",
                  "In jeder Box sind zwei, fünf, vier und acht Punkte; eine Box pro Spalte."));
  }

  TEST_CASE("several images are answered in image order and a missing image fails") {
    const auto digits = challenge_kind::digits;
    const auto color = challenge_kind::color;
    check_matches({
        {digits, "4821 90573", "Image 1: 4821\nImage 2: 90573", true},
        {digits, "4821 90573", "The numbers are 4821 and 90,573.", true},
        {digits, "4821 90573", "The number is 4821.", false},
        {digits, "4821 90573", "90573 4821", false},
        {color,
         "red blue green red gray gray black yellow",
         "Image 1: red, blue, green, red.\nImage 2: grey, grey, black, yellow.",
         true},
        {color, "red blue green red gray gray black yellow", "red, blue, green, red", false},
    });
  }
}

}  // namespace verdict_match_test
