#include "probes/verdict_match.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <regex>
#include <set>
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

bool is_word(const std::vector<token>& t, std::size_t i, std::string_view w) {
  return i < t.size() && t[i].k == token::kind::word && t[i].text == w;
}

bool any_word(const std::vector<token>& t, std::initializer_list<std::string_view> words) {
  return std::any_of(t.begin(), t.end(), [&](const token& x) {
    return x.k == token::kind::word && std::find(words.begin(), words.end(), x.text) != words.end();
  });
}

/// Words that present alternatives: with a second number around, the reply is hedging.
bool hedges(const std::vector<token>& t) {
  return any_word(t,
                  {"or",
                   "either",
                   "maybe",
                   "possibly",
                   "perhaps",
                   "alternatively",
                   "might",
                   "could",
                   "unsure",
                   "unclear"});
}

// ---- digits: exact whole numbers; other plausible readings (4+ digits) or hedging reject.

match_status match_digits(const std::vector<token>& tokens, std::string_view expected) {
  bool found = false;
  std::set<std::string> others;
  for (const auto& t : tokens) {
    if (t.k != token::kind::number) {
      continue;
    }
    if (t.text == expected) {
      found = true;
    } else {
      others.insert(t.text);
    }
  }
  if (!found) {
    return match_status::missing;
  }
  const bool rival =
      std::any_of(others.begin(), others.end(), [](const std::string& n) { return n.size() >= 4; });
  if (rival || (!others.empty() && hedges(tokens))) {
    return match_status::several;
  }
  return match_status::match;
}

// ---- counts: digits or number words; another count (0..20) anywhere rejects.

constexpr std::array<std::string_view, 21> number_words = {
    "zero",     "one",     "two",     "three",     "four",     "five",     "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};

std::optional<int> word_value(std::string_view w) {
  for (std::size_t n = 0; n < number_words.size(); ++n) {
    if (number_words[n] == w) {
      return static_cast<int>(n);
    }
  }
  return std::nullopt;
}

match_status match_count(const std::vector<token>& tokens, int expected) {
  bool found = false;
  std::set<int> others;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    std::optional<int> value;
    bool can_rival = true;
    if (t.k == token::kind::number) {
      if (t.text.size() <= 2) {
        value = std::stoi(t.text);
      }
    } else if (t.k == token::kind::word) {
      if (t.text == "single") {
        value = 1;
        can_rival = false;
      } else {
        value = word_value(t.text);
        // "one" is also a pronoun ("each one is black"): it rivals only as a count
        // ("one dot", "one or two").
        if (value == 1) {
          can_rival = is_word(tokens, i + 1, "dot") || is_word(tokens, i + 1, "dots") ||
                      is_word(tokens, i + 1, "or") || is_word(tokens, i + 1, "to") ||
                      (i > 0 && (is_word(tokens, i - 1, "or") || is_word(tokens, i - 1, "either")));
        }
      }
    }
    if (!value || *value > 20) {
      continue;
    }
    if (*value == expected) {
      found = true;
    } else if (can_rival) {
      others.insert(*value);
    }
  }
  if (!found) {
    return match_status::missing;
  }
  return others.empty() ? match_status::match : match_status::several;
}

// ---- colours and shapes: a closed vocabulary; any second canonical value named rejects.

struct synonym {
  std::string_view word;
  std::string_view canonical;
};

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

/// A colour naming the background ("on a gray background", "the background is black") is not
/// an answer about the shape.
bool names_background(const std::vector<token>& t, std::size_t i) {
  return is_word(t, i + 1, "background") ||
         (i >= 2 && (is_word(t, i - 1, "is") || is_word(t, i - 1, "was")) &&
          is_word(t, i - 2, "background"));
}

match_status match_vocabulary(const std::vector<token>& tokens,
                              std::string_view expected,
                              bool colours) {
  std::set<std::string_view> named;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    std::optional<std::string_view> value;
    if (t.k == token::kind::plus) {
      value = colours ? std::nullopt : std::optional<std::string_view>{"cross"};
    } else if (t.k == token::kind::word) {
      value = colours ? colour_of(t.text) : shape_of(t.text);
      if (!value && t.text == expected) {
        value = t.text;  // a canonical value this build does not know yet
      }
      if (value && colours && names_background(tokens, i)) {
        continue;
      }
    }
    if (value) {
      named.insert(*value);
    }
  }
  if (named.count(expected) == 0) {
    return match_status::missing;
  }
  return named.size() == 1 ? match_status::match : match_status::several;
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
    const auto tokens = tokenize(hay);
    switch (*expect.kind) {
      case challenge_kind::digits:
        if (all_digits(want)) {
          return match_digits(tokens, want);
        }
        break;
      case challenge_kind::count:
        if (all_digits(want) && want.size() <= 2) {
          return match_count(tokens, std::stoi(want));
        }
        break;
      case challenge_kind::color:
        if (const auto c = colour_of(want)) {
          return match_vocabulary(tokens, *c, true);
        }
        return match_vocabulary(tokens, want, true);
      case challenge_kind::shape:
        if (const auto s = shape_of(want)) {
          return match_vocabulary(tokens, *s, false);
        }
        return match_vocabulary(tokens, want, false);
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
