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
  return match_answer(expect, text, normalize(text));
}

match_status match_answer(const answer_expectation& expect,
                          std::string_view text,
                          std::string_view normalized) {
  if (!expect.pattern.empty() || !expect.accepted.empty()) {
    return match_custom(expect, text);
  }
  if (expect.answer.empty()) {
    return match_status::match;  // nothing to check
  }
  const std::string_view hay = normalized;
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

/// The accepted subset of ECMAScript (docs/configuration.md): no back-references (`\1`,
/// `\k<name>`), no repeated group that itself contains a repeat where either repeat is
/// unbounded (`(a+)+`, `(\w+\s?)*`, `(a+){10}`: the shapes that backtrack exponentially or
/// nearly so; fully counted nests such as `([0-9]{1,3}\.){3}` are fine), counted repeats at
/// most 1000 (`a{1001}` builds a huge automaton). Checked on the pattern's structure before
/// it is compiled.
std::optional<std::string> validate_answer_pattern(const std::string& pattern) {
  constexpr long max_count = 1000;
  struct group {
    bool repeats_inside = false;    ///< some atom inside is quantified with a maximum above 1
    bool unbounded_inside = false;  ///< ... with no maximum (`*`, `+`, `{n,}`)
  };
  std::vector<group> open{group{}};  // open.front() is the whole pattern
  // The atom a quantifier would apply to: none, a plain one, or a group just closed.
  enum class atom : std::uint8_t { none, plain, group };
  atom last = atom::none;
  group last_group{};
  const std::size_t n = pattern.size();
  for (std::size_t i = 0; i < n;) {
    const char c = pattern[i];
    // A quantifier: `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, optionally lazy (`?`).
    std::optional<long> max;  // nullopt: unbounded
    bool quantifier = true;
    std::size_t next = i + 1;
    if (c == '*' || c == '+') {
      max = std::nullopt;
    } else if (c == '?') {
      max = 1;
    } else if (c == '{') {
      std::size_t j = i + 1;
      auto number = [&](long& v) {
        const std::size_t from = j;
        v = 0;
        while (j < n && pattern[j] >= '0' && pattern[j] <= '9') {
          v = std::min(v * 10 + (pattern[j] - '0'), max_count + 1);
          ++j;
        }
        return j > from;
      };
      long lo = 0;
      long hi = 0;
      if (number(lo)) {
        max = lo;
        if (j < n && pattern[j] == ',') {
          ++j;
          max = number(hi) ? std::optional<long>(hi) : std::nullopt;
        }
      }
      if (j < n && pattern[j] == '}' && j > i + 1) {
        if (lo > max_count || (max && *max > max_count)) {
          return "a counted repeat above " + std::to_string(max_count) + " is not supported";
        }
        next = j + 1;
      } else {
        quantifier = false;  // a literal '{'
      }
    } else {
      quantifier = false;
    }
    if (quantifier && last != atom::none) {
      const bool repeats = !max || *max > 1;
      if (repeats && last == atom::group && last_group.repeats_inside &&
          (!max || last_group.unbounded_inside)) {
        return std::string(
            "a nested quantifier (a repeated group that itself contains a repeat, as in "
            "(a+)+) can backtrack exponentially; write it without the outer repeat");
      }
      if (repeats) {
        open.back().repeats_inside = true;
        open.back().unbounded_inside = open.back().unbounded_inside || !max;
      }
      if (next < n && pattern[next] == '?') {
        ++next;  // lazy
      }
      last = atom::none;
      i = next;
      continue;
    }
    switch (c) {
      case '\\':
        if (i + 1 < n) {
          const char e = pattern[i + 1];
          if ((e >= '1' && e <= '9') || (e == 'k' && i + 2 < n && pattern[i + 2] == '<')) {
            return std::string("back-references are not supported");
          }
        }
        i += 2;
        last = atom::plain;
        continue;
      case '[':
        // A class is one atom; `]` right after `[` or `[^` is a literal in ECMAScript only
        // as an empty class, which std::regex reports below if it matters.
        ++i;
        while (i < n && pattern[i] != ']') {
          i += pattern[i] == '\\' ? 2 : 1;
        }
        ++i;
        last = atom::plain;
        continue;
      case '(':
        open.push_back(group{});
        ++i;
        last = atom::none;
        continue;
      case ')':
        if (open.size() > 1) {
          last_group = open.back();
          open.pop_back();
          open.back().repeats_inside = open.back().repeats_inside || last_group.repeats_inside;
          open.back().unbounded_inside =
              open.back().unbounded_inside || last_group.unbounded_inside;
          last = atom::group;
        } else {
          last = atom::plain;  // unbalanced: std::regex says so below
        }
        ++i;
        continue;
      case '|':
      case '^':
      case '$':
        last = atom::none;
        ++i;
        continue;
      default:
        last = atom::plain;
        ++i;
        continue;
    }
  }
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
