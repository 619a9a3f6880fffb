#include "probes/verdict_normalise.hpp"

#include <algorithm>
#include <array>

#include "probes/reply.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::verdict_detail {
namespace {

constexpr char32_t drop = 0xFFFFFFFF;

/// Runs of characters read as another run: first..last become to, to + 1, ...
struct shifted_range {
  char32_t first;
  char32_t last;
  char32_t to;
};

constexpr std::array<shifted_range, 7> shifted_ranges = {{
    {0x400, 0x40F, 0x450},  // Cyrillic capitals with a mark (Ѐ..Џ) to small (ѐ..џ)
    {0xFF21, 0xFF3A, 'a'},  // fullwidth A..Z
    {0xFF41, 0xFF5A, 'a'},  // fullwidth a..z
    {0xFF10, 0xFF19, '0'},  // fullwidth digits
    // Arabic-Indic, Eastern Arabic-Indic (Persian, Urdu) and Devanagari digits read as 0-9.
    {0x660, 0x669, '0'},
    {0x6F0, 0x6F9, '0'},
    {0x966, 0x96F, '0'},
}};

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
  for (const shifted_range& r : shifted_ranges) {
    if (cp >= r.first && cp <= r.last) {
      return cp - r.first + r.to;
    }
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
    case 0x060C:  // Arabic comma
    case 0x066C:  // Arabic thousands separator
    case 0x3001:  // ideographic comma
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

bool is_word_byte(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Letters of the alphabetic scripts normalize() folds (Latin, Greek, Cyrillic): "fünf",
/// "zéro" and "три" are one word each.
bool is_letter(char32_t cp) noexcept {
  return (cp >= 'a' && cp <= 'z') || (cp >= 0xDF && cp <= 0x24F && cp != 0xF7) ||
         (cp >= 0x370 && cp <= 0x52F);
}

/// Han, kana and Hangul: each character is a token of its own (they have no spaces to split on).
bool is_cjk(char32_t cp) noexcept {
  return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x9FFF) ||
         (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF);
}

bool is_number_separator(char c) noexcept {
  return c == ' ' || c == ',' || c == '.' || c == '-' || c == '\'';
}

/// Appends the number (or numbers) of the digit chain at `i` and moves `i` past it; the rules
/// are tokenize()'s.
void add_number_chain(std::string_view s, std::size_t& i, std::vector<token>& out, bool join) {
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
  const std::size_t begin = i;
  i = j;
  if (!join) {
    std::size_t at = begin;
    for (auto r : runs) {
      at = s.find(r, at);
      out.push_back({token::kind::number, std::string(r), at, at + r.size()});
      at += r.size();
    }
    return;
  }
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
    out.push_back({token::kind::number, std::move(joined), begin, j});
    return;
  }
  std::size_t at = begin;
  for (auto r : runs) {
    at = s.find(r, at);
    out.push_back({token::kind::number, std::string(r), at, at + r.size()});
    at += r.size();
  }
}

}  // namespace

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

std::vector<token> tokenize(std::string_view normalized, bool join_digit_chains) {
  std::vector<token> out;
  std::size_t i = 0;
  while (i < normalized.size()) {
    const char c = normalized[i];
    if (is_digit(c)) {
      add_number_chain(normalized, i, out, join_digit_chains);
      continue;
    }
    if (c == '+') {
      out.push_back({token::kind::plus, "+", i, i + 1});
      ++i;
      continue;
    }
    const auto d = decode_utf8(normalized, i);
    if (is_cjk(d.cp)) {
      out.push_back(
          {token::kind::word, std::string(normalized.substr(i, d.length)), i, i + d.length});
      i += d.length;
      continue;
    }
    if (!is_letter(d.cp)) {
      i += d.length;
      continue;
    }
    const std::size_t start = i;
    while (i < normalized.size()) {
      const auto l = decode_utf8(normalized, i);
      if (!is_letter(l.cp)) {
        break;
      }
      i += l.length;
    }
    out.push_back({token::kind::word, std::string(normalized.substr(start, i - start)), start, i});
  }
  return out;
}

}  // namespace visionwatch::verdict_detail
