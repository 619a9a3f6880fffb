#include "probes/verdict.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <limits>
#include <regex>
#include <set>

#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

constexpr std::size_t excerpt_bytes = 120;
constexpr std::size_t message_bytes = 200;
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

// ---------------------------------------------------------------------------------------------
// Normalisation: lower case (ASCII, Latin-1, Greek, Cyrillic, full-width forms), one apostrophe,
// one hyphen, one space; zero-width characters dropped. Applied to replies and phrases alike.

constexpr char32_t drop = 0xFFFFFFFF;

char32_t fold(char32_t cp) noexcept {
  if (cp >= 'A' && cp <= 'Z') {
    return cp + 32;
  }
  if (cp < 0x80) {
    if (cp < 0x20 || cp == 0x7F) {
      return ' ';
    }
    return cp == '`' ? U'\'' : cp;
  }
  if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) ||
      (cp >= 0x410 && cp <= 0x42F)) {
    return cp + 0x20;
  }
  if (cp >= 0x400 && cp <= 0x40F) {
    return cp + 0x50;
  }
  if (cp >= 0xFF21 && cp <= 0xFF3A) {
    return cp - 0xFF21 + 'a';
  }
  if (cp >= 0xFF41 && cp <= 0xFF5A) {
    return cp - 0xFF41 + 'a';
  }
  if (cp >= 0xFF10 && cp <= 0xFF19) {
    return cp - 0xFF10 + '0';
  }
  switch (cp) {
    case 0x2018:
    case 0x2019:
    case 0x02BC:
    case 0x00B4:
    case 0x2032:
    case 0xFF07:
      return '\'';
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2212:
      return '-';
    case 0xFF0C:
      return ',';
    case 0xFF0E:
      return '.';
    case 0xFF0B:
      return '+';
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x2060:
    case 0xFEFF:
    case 0x00AD:
      return drop;
    default:
      break;
  }
  if ((cp >= 0x80 && cp <= 0xA0) || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
      cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000) {
    return ' ';
  }
  return cp;
}

std::string normalize(std::string_view text) {
  text = text.substr(0, std::min(text.size(), reply_text_limit));
  std::string out;
  out.reserve(text.size());
  bool space = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto d = decode_utf8(text, i);
    i += d.length;
    const char32_t cp = fold(d.cp);
    if (cp == drop) {
      continue;
    }
    if (cp == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out.push_back(' ');
      space = false;
    }
    append_utf8(out, cp);
  }
  return out;
}

bool is_word_byte(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

/// `phrase` (normalised) occurs in `hay` (normalised) on word boundaries: an ASCII letter or
/// digit at an end of the phrase must not continue a word ("no image" ≠ "no imagery");
/// phrases ending in CJK characters need no boundary.
bool contains_phrase(std::string_view hay, std::string_view phrase) noexcept {
  if (phrase.empty()) {
    return false;
  }
  const bool check_front = is_word_byte(phrase.front());
  const bool check_back = is_word_byte(phrase.back());
  std::size_t pos = hay.find(phrase);
  while (pos != std::string_view::npos) {
    const std::size_t end = pos + phrase.size();
    const bool front_ok = !check_front || pos == 0 || !is_word_byte(hay[pos - 1]);
    const bool back_ok = !check_back || end == hay.size() || !is_word_byte(hay[end]);
    if (front_ok && back_ok) {
      return true;
    }
    pos = hay.find(phrase, pos + 1);
  }
  return false;
}

/// True when one of the (normalised) phrases occurs in the normalised text.
bool has_phrase(std::string_view normalized_text, const std::vector<std::string>& phrases) {
  return std::any_of(phrases.begin(), phrases.end(), [&](const std::string& p) {
    return contains_phrase(normalized_text, p);
  });
}

bool is_blank(std::string_view text) { return normalize(text).empty(); }

// ---------------------------------------------------------------------------------------------
// Tokens for answer matching: words (ASCII letter runs), numbers, and '+'.

struct token {
  enum class kind : std::uint8_t { word, number, plus };
  kind k = kind::word;
  std::string text;
};

bool is_number_separator(char c) noexcept {
  return c == ' ' || c == ',' || c == '.' || c == '-' || c == '\'';
}

/// A chain of digit runs joined by one separator each ("4,821", "4 8 2 1", "4821 512") becomes
/// one number when it is thousands grouping (1-3 digits, then groups of exactly 3, one separator
/// kind: "48,213", "4.821", "48 213") or spelled-out digits (single digits, one separator kind
/// among space, hyphen, comma: "4 8 2 1", "4-8-2-1"); otherwise each run is its own number.
void add_number_chain(std::string_view s, std::size_t& i, std::vector<token>& out) {
  std::vector<std::string_view> runs;
  std::vector<char> seps;
  std::size_t j = i;
  for (;;) {
    const std::size_t start = j;
    while (j < s.size() && is_digit(s[j])) {
      ++j;
    }
    runs.push_back(s.substr(start, j - start));
    // ", " between single digits ("4, 8, 2, 1") counts as a comma.
    if (j + 2 < s.size() && s[j] == ',' && s[j + 1] == ' ' && is_digit(s[j + 2])) {
      seps.push_back(',');
      j += 2;
      continue;
    }
    if (j + 1 < s.size() && is_number_separator(s[j]) && is_digit(s[j + 1])) {
      seps.push_back(s[j]);
      ++j;
      continue;
    }
    break;
  }
  i = j;
  const bool one_sep_kind =
      !seps.empty() && std::all_of(seps.begin(), seps.end(), [&](char c) { return c == seps[0]; });
  bool thousands = one_sep_kind && seps[0] != '-' && runs.front().size() <= 3 &&
                   std::all_of(runs.begin() + 1, runs.end(), [](auto r) { return r.size() == 3; });
  const bool spelled = one_sep_kind && (seps[0] == ' ' || seps[0] == '-' || seps[0] == ',') &&
                       std::all_of(runs.begin(), runs.end(), [](auto r) { return r.size() == 1; });
  if (thousands || spelled) {
    std::string joined;
    for (auto r : runs) {
      joined += r;
    }
    out.push_back({token::kind::number, std::move(joined)});
    return;
  }
  for (auto r : runs) {
    out.push_back({token::kind::number, std::string(r)});
  }
}

std::vector<token> tokenize(std::string_view normalized) {
  std::vector<token> out;
  std::size_t i = 0;
  while (i < normalized.size()) {
    const char c = normalized[i];
    if (is_digit(c)) {
      add_number_chain(normalized, i, out);
    } else if (c >= 'a' && c <= 'z') {
      const std::size_t start = i;
      while (i < normalized.size() && normalized[i] >= 'a' && normalized[i] <= 'z') {
        ++i;
      }
      out.push_back({token::kind::word, std::string(normalized.substr(start, i - start))});
    } else if (c == '+') {
      out.push_back({token::kind::plus, "+"});
      ++i;
    } else {
      ++i;
    }
  }
  return out;
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

enum class match_status : std::uint8_t { match, missing, several, bad_pattern };

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
constexpr std::array<synonym, 12> colour_words = {{
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
}};
constexpr synonym colour_black = {"black", "black"};

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

std::optional<std::string_view> colour_of(std::string_view w) {
  if (w == colour_black.word) {
    return colour_black.canonical;
  }
  for (const auto& s : colour_words) {
    if (s.word == w) {
      return s.canonical;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> shape_of(std::string_view w) {
  for (const auto& s : shape_words) {
    if (s.word == w) {
      return s.canonical;
    }
  }
  return std::nullopt;
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

// ---------------------------------------------------------------------------------------------
// Reasons

std::string quoted(std::string_view text, std::size_t max_bytes = excerpt_bytes) {
  return "'" + one_line_excerpt(text, max_bytes) + "'";
}

std::string wrong_answer_reason(const answer_expectation& e,
                                std::string_view text,
                                match_status status) {
  const std::string answer = "answer " + quoted(text);
  if (status == match_status::bad_pattern) {
    return "pattern " + quoted(e.pattern) + " is not a valid regular expression; " + answer +
           " not checked";
  }
  if (!e.pattern.empty() || !e.accepted.empty()) {
    std::string want;
    if (!e.pattern.empty()) {
      want = "pattern " + quoted(e.pattern);
    }
    for (std::size_t i = 0; i < e.accepted.size() && i < 5; ++i) {
      want += want.empty() ? "" : (i == 0 ? " or " : ", ");
      want += quoted(e.accepted[i], 40);
    }
    if (e.accepted.size() > 5) {
      want += ", ...";
    }
    return answer + " does not match " + want;
  }
  if (status == match_status::several) {
    return answer + " names several candidates, expected " + quoted(e.answer, 40);
  }
  return answer + " does not contain expected " + quoted(e.answer, 40);
}

std::string http_reason(const http_result& http, const reply& r) {
  std::string s = "HTTP " + std::to_string(http.status);
  if (http.status >= 300 && http.status < 400) {
    s += ": redirect";
    if (const auto loc = http.header("location"); !loc.empty()) {
      s += " to " + one_line_excerpt(loc, message_bytes);
    }
    return s + " (redirects are not followed; check base_url)";
  }
  const std::string message = one_line_excerpt(redact_secrets(r.error_message), message_bytes);
  if (!message.empty()) {
    s += ": " + message;
  }
  const std::string code = one_line_excerpt(r.error_code, 64);
  if (!code.empty() && !all_digits(code) && message.find(code) == std::string::npos) {
    s += " (" + code + ")";
  }
  if (r.retry_after) {
    s += "; retry after " + std::to_string(r.retry_after->count()) + "s";
  }
  return s;
}

/// The checks every reply goes through: transport, HTTP status, body shape.
std::optional<verdict> judge_response(const http_result& http, const reply& r) {
  verdict v;
  if (http.transport_error) {
    v.result = *http.transport_error;
    v.reason = http.reason.empty() ? std::string(to_string(v.result))
                                   : one_line_excerpt(redact_secrets(http.reason), message_bytes);
    return v;
  }
  if (http.status < 200 || http.status >= 300) {
    v.result = http.status == 429                        ? outcome::rate_limited
               : http.status >= 400 && http.status < 500 ? outcome::http_4xx
                                                         : outcome::http_5xx;
    v.reason = http_reason(http, r);
    return v;
  }
  if (!r.well_formed) {
    v.result = outcome::bad_response;
    v.reason = r.parse_error.empty()
                   ? "malformed reply"
                   : "malformed reply: " + one_line_excerpt(r.parse_error, message_bytes);
    return v;
  }
  return std::nullopt;
}

long long saturating_add(long long a, long long b) noexcept {
  long long out = 0;
  if (__builtin_add_overflow(a, b, &out)) {
    return b > 0 ? std::numeric_limits<long long>::max() : std::numeric_limits<long long>::min();
  }
  return out;
}

verdict fail(outcome o, std::string reason, const verdict& base) {
  verdict v = base;
  v.result = o;
  v.reason = std::move(reason);
  return v;
}

verdict judge_unchecked(const http_result& http,
                        const reply& r,
                        const answer_expectation& expect,
                        std::optional<long long> baseline,
                        const verdict_checks& checks) {
  if (auto early = judge_response(http, r)) {
    return *early;
  }
  verdict v;
  v.usage_missing = !r.tokens.present();

  const bool filtered = r.finish_reason == "content_filter";
  if (is_blank(r.text) && is_blank(r.refusal) && !filtered) {
    std::string reason = "empty answer";
    if (r.finish_reason == "length") {
      reason +=
          " (finish_reason length: the token limit was reached before any text; raise "
          "max_tokens)";
    } else if (!r.finish_reason.empty() && r.finish_reason != "stop") {
      reason += " (finish_reason " + one_line_excerpt(r.finish_reason, 64) + ")";
    }
    return fail(outcome::empty_answer, std::move(reason), v);
  }

  const std::string text = normalize(r.text);
  const std::string refusal = normalize(r.refusal);
  const auto& no_image = checks.no_image_phrases.normalized();
  if (has_phrase(text, no_image)) {
    return fail(outcome::no_image_claim, "no-image claim: " + quoted(r.text), v);
  }
  if (has_phrase(refusal, no_image)) {
    return fail(outcome::no_image_claim, "no-image claim: " + quoted(r.refusal), v);
  }
  if (!is_blank(r.refusal)) {
    return fail(outcome::refusal, "refusal: " + quoted(r.refusal), v);
  }
  if (filtered) {
    std::string reason = "refusal: finish_reason content_filter";
    if (!is_blank(r.text)) {
      reason += ", answer " + quoted(r.text);
    }
    return fail(outcome::refusal, std::move(reason), v);
  }

  // Refusal phrases count only when the answer is not right: "I'm sorry, but I can't be sure;
  // it reads 4821" did answer.
  const match_status m =
      has_expectation(expect) ? match_answer(expect, r.text) : match_status::match;
  if (m != match_status::match || !has_expectation(expect)) {
    if (has_phrase(text, checks.refusal_phrases.normalized())) {
      return fail(outcome::refusal, "refusal: " + quoted(r.text), v);
    }
  }
  if (m != match_status::match) {
    return fail(outcome::wrong_answer, wrong_answer_reason(expect, r.text, m), v);
  }

  if (v.usage_missing) {
    if (checks.require_usage) {
      return fail(
          outcome::image_tokens_missing, "no usage in the reply and require_usage is set", v);
    }
    return v;
  }
  if (r.tokens.image_tokens && *r.tokens.image_tokens > 0) {
    return v;
  }
  if (baseline) {
    const long long margin = std::max(0LL, checks.min_image_tokens);
    const long long needed = saturating_add(*baseline, margin);
    const long long prompt = *r.tokens.prompt_tokens;
    if (prompt < needed) {
      std::string reason = "prompt_tokens " + std::to_string(prompt) + " < baseline " +
                           std::to_string(*baseline) + " + " + std::to_string(margin);
      if (r.tokens.image_tokens) {
        reason += " (image_tokens 0)";
      }
      reason += ": the image was probably not processed";
      return fail(outcome::image_tokens_missing, std::move(reason), v);
    }
  }
  return v;
}

}  // namespace

const std::vector<std::string>& default_no_image_phrases() {
  // From real replies (see docs/verdict.md): full phrases, not bare "no image", so a healthy
  // answer that mentions images never matches. Matching normalises case, white space and
  // typographic apostrophes.
  static const std::vector<std::string> phrases = {
      // English
      "no image provided",
      "no image was provided",
      "no image has been provided",
      "no image is provided",
      "no image attached",
      "no image was attached",
      "no image is attached",
      "no image has been attached",
      "no image uploaded",
      "no image was uploaded",
      "no image has been uploaded",
      "no image was shared",
      "no image has been shared",
      "no image was included",
      "no image included",
      "no image found",
      "no image to analyze",
      "no image to analyse",
      "no image to describe",
      "no image in your message",
      "please upload an image",
      "please upload the image",
      "please provide an image",
      "please provide the image",
      "please attach an image",
      "please attach the image",
      "please share an image",
      "please share the image",
      "please send the image",
      "please send an image",
      "i can't see an image",
      "i can't see the image",
      "i can't see any image",
      "i cannot see an image",
      "i cannot see the image",
      "i cannot see any image",
      "i can not see the image",
      "i don't see an image",
      "i don't see the image",
      "i don't see any image",
      "i do not see an image",
      "i do not see the image",
      "i do not see any image",
      "i can't view images",
      "i cannot view images",
      "i can't view the image",
      "i cannot view the image",
      "i'm unable to view images",
      "i am unable to view images",
      "i'm unable to view the image",
      "i am unable to view the image",
      "unable to see the image",
      "unable to analyze the image",
      "unable to analyse the image",
      "unable to view the image",
      "unable to process the image",
      "unable to access the image",
      "can't access the image",
      "cannot access the image",
      "not able to see the image",
      "there is no image",
      "there's no image",
      "there isn't an image",
      "there isn't any image",
      "there are no images",
      "didn't include an image",
      "did not include an image",
      "didn't attach an image",
      "did not attach an image",
      "haven't attached an image",
      "have not attached an image",
      "haven't uploaded an image",
      "have not uploaded an image",
      "haven't provided an image",
      "have not provided an image",
      "image wasn't included",
      "image was not included",
      "image is not attached",
      "image wasn't attached",
      "image was not attached",
      "image didn't come through",
      "image did not come through",
      "image didn't upload",
      "image did not upload",
      "i can't process images",
      "i cannot process images",
      "i can't analyze images",
      "i cannot analyze images",
      "i don't have the ability to see images",
      "i do not have the ability to see images",
      "i don't have the ability to view images",
      "i can only process text",
      "i'm a text-based",
      "i am a text-based",
      "as a text-based ai",
      "i don't have access to the image",
      "i do not have access to the image",
      "couldn't find an image",
      "could not find an image",
      "couldn't find any image",
      "could not find any image",
      "did not receive an image",
      "didn't receive an image",
      "did not receive any image",
      "didn't receive any image",
      "haven't received an image",
      "have not received an image",
      "got no image",
      "received no image",
      "no image was received",
      // Chinese (simplified and traditional)
      "无法识别图片",
      "没有图片",
      "没有看到图片",
      "没有看到任何图片",
      "没有收到图片",
      "没有上传图片",
      "未提供图片",
      "未上传图片",
      "未收到图片",
      "看不到图片",
      "看不到任何图片",
      "无法查看图片",
      "无法看到图片",
      "请上传图片",
      "请提供图片",
      "没有图像",
      "未提供图像",
      "无法查看图像",
      "请上传图像",
      "沒有圖片",
      "未提供圖片",
      "無法查看圖片",
      "請上傳圖片",
      // Spanish
      "no se proporcionó ninguna imagen",
      "no se ha proporcionado ninguna imagen",
      "no se adjuntó ninguna imagen",
      "no se ha adjuntado ninguna imagen",
      "no veo ninguna imagen",
      "no puedo ver la imagen",
      "no puedo ver ninguna imagen",
      "no hay ninguna imagen",
      "no hay imagen",
      "no recibí ninguna imagen",
      "no has adjuntado ninguna imagen",
      "por favor, sube una imagen",
      "por favor sube una imagen",
      "proporciona una imagen",
      // German
      "kein bild",
      "keine bilder",
      "ich kann das bild nicht sehen",
      "ich kann kein bild sehen",
      "ich sehe kein bild",
      "bitte lade ein bild hoch",
      "bitte laden sie ein bild hoch",
      // French
      "aucune image",
      "je ne vois pas d'image",
      "je ne vois pas l'image",
      "je ne peux pas voir l'image",
      "il n'y a pas d'image",
      "pas d'image jointe",
      "veuillez télécharger une image",
      "veuillez fournir une image",
      "veuillez joindre une image",
      // Japanese
      "画像が添付されていません",
      "画像が見つかりません",
      "画像が提供されていません",
      "画像がありません",
      "画像が見えません",
      "画像を確認できません",
      "画像を見ることができません",
      "画像をアップロードしてください",
      "画像を添付してください",
      // Portuguese, Russian, Korean
      "nenhuma imagem",
      "não vejo nenhuma imagem",
      "não consigo ver a imagem",
      "нет изображения",
      "не вижу изображения",
      "изображение не предоставлено",
      "изображение не прикреплено",
      "загрузите изображение",
      "이미지가 없습니다",
      "이미지를 볼 수 없습니다",
      "이미지가 첨부되지 않았습니다",
      "이미지를 업로드해 주세요",
  };
  return phrases;
}

const std::vector<std::string>& default_refusal_phrases() {
  static const std::vector<std::string> phrases = {
      // English
      "i can't help with that",
      "i cannot help with that",
      "i can't assist with that",
      "i cannot assist with that",
      "i can't assist",
      "i cannot assist",
      "i'm sorry, but i can't",
      "i'm sorry, but i cannot",
      "i am sorry, but i cannot",
      "i'm sorry, i can't",
      "i'm sorry, i cannot",
      "sorry, i can't help",
      "sorry, but i can't",
      "i'm not able to help with",
      "i am not able to help with",
      "i'm unable to help with",
      "i am unable to help with",
      "i'm unable to assist",
      "i am unable to assist",
      "i won't be able to help",
      "i can't comply",
      "i cannot comply",
      "i must decline",
      "i can't provide assistance",
      "i cannot provide assistance",
      // Chinese
      "我无法协助",
      "我无法帮助",
      "我不能帮助",
      "我无法满足",
      "抱歉，我不能",
      "抱歉，我无法",
      "很抱歉，我无法",
      // Spanish
      "no puedo ayudar con eso",
      "no puedo ayudarte con eso",
      "lo siento, pero no puedo",
      // German
      "ich kann dabei nicht helfen",
      "ich kann ihnen dabei nicht helfen",
      "es tut mir leid, aber ich kann",
      // French
      "je ne peux pas vous aider",
      "je ne peux pas t'aider",
      "désolé, mais je ne peux pas",
      // Japanese
      "お手伝いできません",
      "お答えできません",
      "申し訳ありませんが、お手伝い",
  };
  return phrases;
}

verdict judge(const http_result& http,
              const reply& r,
              const answer_expectation& expect,
              std::optional<long long> baseline_prompt_tokens,
              const verdict_checks& checks) {
  try {
    return judge_unchecked(http, r, expect, baseline_prompt_tokens, checks);
  } catch (const std::exception& e) {
    // Only allocation failure can land here; a probe must never take the daemon down.
    verdict v;
    v.result = outcome::bad_response;
    v.reason = one_line_excerpt(std::string("verdict failed: ") + e.what(), message_bytes);
    return v;
  }
}

verdict judge_control(const http_result& http, const reply& r) {
  if (auto early = judge_response(http, r)) {
    return *early;
  }
  verdict v;
  v.usage_missing = !r.tokens.present();
  return v;
}

std::optional<std::string> validate_answer_pattern(const std::string& pattern) {
  try {
    (void)compile_pattern(pattern);
    return std::nullopt;
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (what.find("polynomial") != std::string::npos) {
      return std::string("back-references are not supported");
    }
    return one_line_excerpt(what, message_bytes);
  }
}

bool answer_matches(const answer_expectation& expect, std::string_view text) {
  try {
    return match_answer(expect, text) == match_status::match;
  } catch (const std::exception&) {
    return false;
  }
}

phrase_list::phrase_list(std::vector<std::string> items) {
  auto d = std::make_shared<data>();
  d->normalized.reserve(items.size());
  for (const auto& p : items) {
    d->normalized.push_back(normalize(p));
  }
  d->items = std::move(items);
  data_ = std::move(d);
}

const phrase_list& default_no_image_phrase_list() {
  static const phrase_list list(default_no_image_phrases());
  return list;
}

const phrase_list& default_refusal_phrase_list() {
  static const phrase_list list(default_refusal_phrases());
  return list;
}

}  // namespace visionwatch
