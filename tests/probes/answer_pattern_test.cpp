// The custom `expect.pattern` guard: validate refuses patterns that can blow up (nested
// quantifiers, back-references, huge counted repeats) and the judge only ever matches a capped
// prefix of the answer, so neither a hostile pattern nor a long upstream answer can hang it.
#include <doctest/doctest.h>

#include <string>

#include "probes/reply.hpp"
#include "probes/verdict.hpp"

namespace answer_pattern_test {

using namespace visionwatch;

TEST_SUITE("unit") {
  TEST_CASE("the classic catastrophic pattern is refused at validate") {
    const auto why = validate_answer_pattern("(a+)+$");
    REQUIRE(why.has_value());
    CHECK(why->find("nested quantifier") != std::string::npos);
    // And the answer it would have been run against is judged quickly either way.
    answer_expectation e;
    e.pattern = "(a+)+$";
    CHECK_FALSE(answer_matches(e, std::string(30, 'a') + "b"));
  }

  TEST_CASE("every shape of a repeated group that itself repeats is refused") {
    for (const char* p : {"(a*)*",
                          "(a+)*b",
                          "(?:x+y?)+",
                          "((ab)+c)*",
                          "(\\w+\\s?)+$",
                          "([a-z]+){2,}",
                          "(a+){10}",
                          "(x(y+)z)+"}) {
      CAPTURE(p);
      const auto why = validate_answer_pattern(p);
      REQUIRE(why.has_value());
      CHECK(why->find("nested quantifier") != std::string::npos);
    }
  }

  TEST_CASE("back-references and huge counted repeats are refused") {
    CHECK(validate_answer_pattern("(a)\\1") == "back-references are not supported");
    CHECK(validate_answer_pattern("(?<w>a)\\k<w>") == "back-references are not supported");
    const auto big = validate_answer_pattern("a{1001}");
    REQUIRE(big.has_value());
    CHECK(big->find("1000") != std::string::npos);
    CHECK(validate_answer_pattern("a{2,5000}").has_value());
  }

  TEST_CASE("ordinary answer patterns stay accepted") {
    for (const char* p : {"python",
                          R"(^(python|py)\b)",
                          "octag(on|onal)",
                          R"(\b4\s*,?\s*821\b)",
                          "(cat|dog)s?",
                          "(ab)+",
                          "(a?b)?",
                          "[(+*]+",
                          R"(\(x+\)+)",
                          R"(colou?r\s+(red|blue))",
                          R"((?:[0-9]{1,3}\.){3}[0-9]{1,3})",
                          "(a{2,3}){5}",
                          "a{1000}"}) {
      CAPTURE(p);
      CHECK_FALSE(validate_answer_pattern(p).has_value());
    }
  }

  TEST_CASE("a long answer is matched on a capped prefix and cannot hang the judge") {
    answer_expectation e;
    e.pattern = "(a|aa)*c";  // accepted (no nested quantifier) but ambiguous for a backtracker
    std::string answer(reply_text_limit, 'a');
    CHECK_FALSE(answer_matches(e, answer));
    // What lies past the cap is never looked at: the match costs the same for any answer size.
    answer.back() = 'c';
    CHECK_FALSE(answer_matches(e, answer));
    e.pattern = "^a+c";
    CHECK_FALSE(answer_matches(e, answer));
    CHECK(answer_matches(e, std::string(100, 'a') + "c"));
  }
}

}  // namespace answer_pattern_test
