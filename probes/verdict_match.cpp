#include "probes/verdict_match.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <regex>
#include <span>

#include "probes/text_util.hpp"
#include "probes/verdict_normalise.hpp"

namespace visionwatch::verdict_detail {
namespace {

/// std::regex has no time limit. Custom patterns run in libstdc++'s polynomial (Thompson NFA)
/// mode, which refuses back-references, and only see the first 512 bytes of the answer (answers to
/// "reply with one word" are short): worst case tens of milliseconds, never exponential, and no
/// recursion per input character.
constexpr std::size_t regex_input_bytes = 512;

std::regex compile_pattern(const std::string& pattern) {
  auto flags = std::regex::ECMAScript | std::regex::icase;
#if defined(__GLIBCXX__)
  flags |= std::regex_constants::__polynomial;
#endif
  return std::regex(pattern, flags);
}

// Synonyms never join two canonical values: pink, magenta, cyan, teal, gold, lime, brown and
// beige are left out because each sits between two of the eight colours.
constexpr std::array<synonym, 13> colour_words = {{
    {"red", "red"},
    {"crimson", "red"},
    {"scarlet", "red"},
    {"orange", "orange"},
    {"yellow", "yellow"},
    {"green", "green"},
    {"blue", "blue"},
    {"navy", "blue"},
    {"purple", "purple"},
    {"violet", "purple"},
    {"gray", "gray"},
    {"grey", "gray"},
    {"black", "black"},
}};

constexpr std::array<synonym, 18> shape_words = {{
    {"circle", "circle"},
    {"circles", "circle"},
    {"circular", "circle"},
    {"round", "circle"},
    {"disc", "circle"},
    {"disk", "circle"},
    {"square", "square"},
    {"squares", "square"},
    {"triangle", "triangle"},
    {"triangles", "triangle"},
    {"triangular", "triangle"},
    {"star", "star"},
    {"stars", "star"},
    {"pentagram", "star"},
    {"cross", "cross"},
    {"crosses", "cross"},
    {"plus", "cross"},
    {"cruciform", "cross"},
}};

/// The canonical value `w` names in a vocabulary, if any.
std::optional<std::string_view> canonical_of(std::span<const synonym> vocabulary,
                                             std::string_view w) {
  for (const auto& s : vocabulary) {
    if (s.word == w) {
      return s.canonical;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> colour_of(std::string_view w) {
  return canonical_of(colour_words, w);
}

std::optional<std::string_view> shape_of(std::string_view w) {
  return canonical_of(shape_words, w);
}

// ---- custom probes

match_status match_custom(const answer_expectation& expect, std::string_view text) {
  bool invalid = false;
  if (!expect.pattern.empty()) {
    try {
      const std::regex re = compile_pattern(expect.pattern);
      const std::string input = sanitize_utf8(text, regex_input_bytes);
      if (std::regex_search(input, re)) {
        return match_status::match;
      }
    } catch (const std::exception&) {
      // regex_error (bad pattern, or error_complexity/error_stack while matching).
      invalid = true;
    }
  }
  const std::string hay = normalize(text);
  for (const auto& w : expect.accepted) {
    if (contains_phrase(hay, normalize(w))) {
      return match_status::match;
    }
  }
  return invalid ? match_status::bad_pattern : match_status::missing;
}

}  // namespace

bool has_expectation(const answer_expectation& e) {
  return e.kind.has_value() || !e.answer.empty() || !e.pattern.empty() || !e.accepted.empty();
}

match_status match_answer(const answer_expectation& expect, std::string_view text) {
  if (!expect.pattern.empty() || !expect.accepted.empty()) {
    return match_custom(expect, text);
  }
  if (expect.answer.empty()) {
    return match_status::match;  // nothing to check
  }
  const std::string hay = normalize(text);
  const std::string want = normalize(expect.answer);
  if (expect.kind) {
    // The canonical answer: objects in reading order, one space apart ("red blue green red").
    std::vector<std::string> parts;
    bool canonical = true;
    for (const auto& t : tokenize(want, false)) {
      parts.push_back(t.text);
      canonical =
          canonical && (t.k == token::kind::number) == (*expect.kind == challenge_kind::digits ||
                                                        *expect.kind == challenge_kind::count);
    }
    if (canonical && !parts.empty()) {
      switch (*expect.kind) {
        case challenge_kind::digits:
          return match_digits(hay, parts);
        case challenge_kind::count:
          return match_counts(hay, parts);
        case challenge_kind::color:
          for (auto& p : parts) {
            p = std::string(colour_of(p).value_or(p));
          }
          return match_names(hay, parts, colour_words, true);
        case challenge_kind::shape:
          for (auto& p : parts) {
            p = std::string(shape_of(p).value_or(p));
          }
          return match_names(hay, parts, shape_words, false);
      }
    }
  }
  return contains_phrase(hay, want) ? match_status::match : match_status::missing;
}

}  // namespace visionwatch::verdict_detail

namespace visionwatch {

std::optional<std::string> validate_answer_pattern(const std::string& pattern) {
  try {
    (void)verdict_detail::compile_pattern(pattern);
    return std::nullopt;
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (what.find("polynomial") != std::string::npos) {
      return std::string("back-references are not supported");
    }
    return one_line_excerpt(what, verdict_detail::message_bytes);
  }
}

bool answer_matches(const answer_expectation& expect, std::string_view text) {
  try {
    return verdict_detail::match_answer(expect, text) == verdict_detail::match_status::match;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace visionwatch
