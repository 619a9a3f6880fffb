// Matchers for generated challenges: the answers a reply names, read in order, against the
// expected objects in reading order (docs/verdict.md, "Matching"). Declared in verdict_match.hpp.

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "probes/verdict_match.hpp"
#include "probes/verdict_normalise.hpp"

namespace visionwatch::verdict_detail {
namespace {

bool word_in(const std::vector<token>& t, std::size_t i, std::span<const std::string_view> words) {
  return i < t.size() && t[i].k == token::kind::word &&
         std::find(words.begin(), words.end(), t[i].text) != words.end();
}

bool word_in(const std::vector<token>& t,
             std::size_t i,
             std::initializer_list<std::string_view> words) {
  return word_in(t, i, std::span<const std::string_view>(words.begin(), words.size()));
}

/// The text between tokens i and i + 1 with spaces trimmed ("" at the end of the text).
std::string_view gap_after(std::string_view hay, const std::vector<token>& t, std::size_t i) {
  const std::size_t from = t[i].end;
  const std::size_t to = i + 1 < t.size() ? t[i + 1].begin : hay.size();
  std::string_view g = hay.substr(from, to - from);
  while (!g.empty() && g.front() == ' ') {
    g.remove_prefix(1);
  }
  while (!g.empty() && g.back() == ' ') {
    g.remove_suffix(1);
  }
  return g;
}

bool is_number(const std::vector<token>& t, std::size_t i) {
  return i < t.size() && t[i].k == token::kind::number;
}

// Words after a number that make it something other than an answer: "in 2 rows", "512 pixels",
// "the 4 boxes", "6 digits".
// Plural (and a few singular) nouns after a number: not an answer. "box 2" style labels are
// below; a singular "image" or "box" after a number is usually the next label ("9 image 2: ...").
constexpr std::array<std::string_view, 32> unit_words = {
    "row",      "rows",    "column",  "columns", "line",     "lines",    "boxes",    "images",
    "pictures", "groups",  "squares", "pixel",   "pixels",   "px",       "dpi",      "digits",
    "shapes",   "objects", "times",   "filas",   "columnas", "cajas",    "imágenes", "reihen",
    "spalten",  "kästen",  "bilder",  "rangées", "lignes",   "colonnes", "boîtes",   "行"};

// Words before a number that make it a label: "box 2", "image 1", "#3", "nr. 4".
constexpr std::array<std::string_view, 26> label_words = {
    "box",   "image", "picture", "group", "frame",  "panel", "number", "no",    "nr",
    "num",   "bild",  "kasten",  "feld",  "gruppe", "caja",  "imagen", "grupo", "cuadro",
    "boîte", "case",  "groupe",  "cadre", "第",     "图",    "框",     "盒"};

// Letters glued to a number that make it an ordinal: 1st, 2nd, 3e, 2ème, 1er, 1o, 3つ目.
constexpr std::array<std::string_view, 15> ordinal_suffixes = {
    "st", "nd", "rd", "th", "er", "re", "e", "ème", "eme", "o", "a", "te", "ter", "目", "番"};

/// Marks the numbers that are clearly not answers: image sizes ("512x512", "512 × 512", "1024 by
/// 768", "512px"), ordinals ("2nd", "第一"), labels ("box 2", "#3", "image 1:"), counts of
/// other things ("in 2 rows") and list numbering ("1. red 2. blue": numbers followed by '.',
/// ')' or ':' that run 1, 2, 3...).
std::vector<bool> not_answers(std::string_view hay, const std::vector<token>& t) {
  std::vector<bool> out(t.size(), false);
  std::vector<std::size_t> numbering;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (word_in(t, i + 1, unit_words)) {
      out[i] = true;  // "four boxes", "in two rows"
    }
    if (!is_number(t, i)) {
      continue;
    }
    const std::string_view after = gap_after(hay, t, i);
    // Sizes: number × number, number x number, number by number.
    if (is_number(t, i + 1) && (after == "×" || after == "*")) {
      out[i] = out[i + 1] = true;
    }
    if (word_in(t, i + 1, {"x", "by"}) && is_number(t, i + 2) && gap_after(hay, t, i + 1).empty()) {
      out[i] = out[i + 2] = true;
    }
    if (i + 1 < t.size() && t[i + 1].begin == t[i].end && word_in(t, i + 1, ordinal_suffixes)) {
      out[i] = true;
    }
    if (t[i].text.size() <= 2 && i > 0 &&
        ((word_in(t, i - 1, label_words) &&
          (gap_after(hay, t, i - 1).empty() || gap_after(hay, t, i - 1) == "#" ||
           gap_after(hay, t, i - 1) == ".")) ||
         (gap_after(hay, t, i - 1).ends_with('#') && !is_number(t, i - 1)))) {
      out[i] = true;
    }
    if (t[i].text.size() <= 2 && i == 0 && hay.substr(0, t[i].begin).ends_with('#')) {
      out[i] = true;
    }
    if (i + 1 < t.size() && !after.empty() &&
        (after.front() == '.' || after.front() == ')' || after.front() == ':') &&
        t[i].text.size() <= 2) {
      numbering.push_back(i);
    }
  }
  // List numbering runs 1, 2, 3... (starting again at 1 for each image is fine).
  bool runs = !numbering.empty();
  int previous = 0;
  for (const std::size_t i : numbering) {
    const int value = std::stoi(t[i].text);
    runs = runs && (value == previous + 1 || value == 1);
    previous = value;
  }
  if (runs) {
    for (const std::size_t i : numbering) {
      out[i] = true;
    }
  }
  return out;
}

/// found == expected, or expected said again ("red blue green red. So: red blue green red"):
/// match; expected among other candidates: several; otherwise missing.
match_status compare(const std::vector<std::string>& found, const std::vector<std::string>& want) {
  if (want.empty()) {
    return match_status::match;
  }
  if (found.empty()) {
    return match_status::missing;
  }
  if (found.size() % want.size() == 0) {
    bool same = true;
    for (std::size_t i = 0; i < found.size() && same; ++i) {
      same = found[i] == want[i % want.size()];
    }
    if (same) {
      return match_status::match;
    }
  }
  if (std::search(found.begin(), found.end(), want.begin(), want.end()) != found.end()) {
    return match_status::several;
  }
  return match_status::missing;
}

// ---- spelled-out numbers in the six languages of the phrase lists

struct number_word {
  std::string_view word;
  int value;
};

constexpr std::array<number_word, 72> number_words = {{
    // English
    {"zero", 0},
    {"one", 1},
    {"two", 2},
    {"three", 3},
    {"four", 4},
    {"five", 5},
    {"six", 6},
    {"seven", 7},
    {"eight", 8},
    {"nine", 9},
    {"ten", 10},
    {"eleven", 11},
    {"twelve", 12},
    {"thirteen", 13},
    {"fourteen", 14},
    {"fifteen", 15},
    {"sixteen", 16},
    {"seventeen", 17},
    {"eighteen", 18},
    {"nineteen", 19},
    {"twenty", 20},
    {"single", 1},
    // Spanish
    {"cero", 0},
    {"uno", 1},
    {"una", 1},
    {"un", 1},
    {"dos", 2},
    {"tres", 3},
    {"cuatro", 4},
    {"cinco", 5},
    {"seis", 6},
    {"siete", 7},
    {"ocho", 8},
    {"nueve", 9},
    {"diez", 10},
    // German
    {"null", 0},
    {"eins", 1},
    {"ein", 1},
    {"eine", 1},
    {"einen", 1},
    {"zwei", 2},
    {"drei", 3},
    {"vier", 4},
    {"fünf", 5},
    {"sechs", 6},
    {"sieben", 7},
    {"acht", 8},
    {"neun", 9},
    {"zehn", 10},
    // French ("un" is above)
    {"zéro", 0},
    {"une", 1},
    {"deux", 2},
    {"trois", 3},
    {"quatre", 4},
    {"cinq", 5},
    {"sept", 7},
    {"huit", 8},
    {"neuf", 9},
    {"dix", 10},
    // Chinese and Japanese numerals
    {"零", 0},
    {"一", 1},
    {"二", 2},
    {"两", 2},
    {"兩", 2},
    {"三", 3},
    {"四", 4},
    {"五", 5},
    {"六", 6},
    {"七", 7},
    {"八", 8},
    {"九", 9},
    {"十", 10},
}};

// Japanese native numbers (kana), matched across their characters.
constexpr std::array<number_word, 10> kana_words = {{
    {"ひとつ", 1},
    {"ふたつ", 2},
    {"みっつ", 3},
    {"よっつ", 4},
    {"いつつ", 5},
    {"むっつ", 6},
    {"ななつ", 7},
    {"やっつ", 8},
    {"ここのつ", 9},
    {"とお", 10},
}};

/// Words that are also articles or pronouns ("one of them", "un carré", "eine Box"): they count
/// only next to a dot word, another count or a list joiner.
constexpr std::array<std::string_view, 9> article_like = {
    "one", "un", "une", "uno", "una", "ein", "eine", "einen", "single"};
constexpr std::array<std::string_view, 12> dot_words = {
    "dot", "dots", "point", "points", "punto", "puntos", "punkt", "punkte", "个", "つ", "点", "個"};
constexpr std::array<std::string_view, 8> joiners = {
    "and", "et", "y", "und", "e", "then", "puis", "dann"};

struct count_value {
  int value;
  std::size_t last_token;  ///< the value's last token (kana words span several)
};

/// The count a token (or a run of kana tokens from it) spells, if any.
std::optional<count_value> count_at(std::string_view hay,
                                    const std::vector<token>& t,
                                    std::size_t i) {
  const token& x = t[i];
  if (x.k == token::kind::number) {
    if (x.text.size() <= 2) {
      return count_value{std::stoi(x.text), i};
    }
    return std::nullopt;
  }
  if (x.k != token::kind::word) {
    return std::nullopt;
  }
  const auto kana = [&](std::span<const number_word> words) -> std::optional<count_value> {
    for (const auto& w : words) {
      if (hay.substr(x.begin).starts_with(w.word)) {
        std::size_t j = i;
        while (j + 1 < t.size() && t[j].end < x.begin + w.word.size()) {
          ++j;
        }
        return count_value{w.value, j};
      }
    }
    return std::nullopt;
  };
  if (auto v = kana(kana_words)) {
    return v;
  }
  for (const auto& w : number_words) {
    if (w.word == x.text) {
      return count_value{w.value, i};
    }
  }
  return std::nullopt;
}

}  // namespace

match_status match_digits(std::string_view hay, const std::vector<std::string>& want) {
  const auto t = tokenize(hay, true);
  const auto excluded = not_answers(hay, t);
  std::vector<std::string> found;
  bool short_numbers = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!is_number(t, i) || excluded[i]) {
      continue;
    }
    // Readings of the image are 4+ digits; shorter numbers only matter in a hedge.
    if (t[i].text.size() >= 4) {
      found.push_back(t[i].text);
    } else {
      short_numbers = true;
    }
  }
  const match_status m = compare(found, want);
  static constexpr std::array<std::string_view, 10> hedge_words = {"or",
                                                                   "either",
                                                                   "maybe",
                                                                   "possibly",
                                                                   "perhaps",
                                                                   "alternatively",
                                                                   "might",
                                                                   "could",
                                                                   "unsure",
                                                                   "unclear"};
  if (m == match_status::match && short_numbers) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (word_in(t, i, hedge_words)) {
        return match_status::several;
      }
    }
  }
  return m;
}

match_status match_counts(std::string_view hay, const std::vector<std::string>& want) {
  const auto t = tokenize(hay, false);
  const auto excluded = not_answers(hay, t);
  std::vector<std::string> found;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (excluded[i]) {
      continue;
    }
    const auto v = count_at(hay, t, i);
    if (!v || v->value > 20) {
      continue;
    }
    const std::size_t last = v->last_token;
    // "第一" is "first"; "一つ目", "1つ目" and "1番" too.
    if ((i > 0 && t[i - 1].text == "第") || word_in(t, last + 1, {"目", "番"}) ||
        (word_in(t, last + 1, {"つ", "个", "個"}) && word_in(t, last + 2, {"目"}))) {
      continue;
    }
    if (t[i].k == token::kind::word) {
      if (word_in(t, i, article_like)) {
        const bool beside_count = (last + 1 < t.size() && count_at(hay, t, last + 1)) ||
                                  (i > 0 && count_at(hay, t, i - 1));
        const bool listed = word_in(t, last + 1, joiners) || (i > 0 && word_in(t, i - 1, joiners));
        const bool ends = last + 1 == t.size();
        if (!word_in(t, last + 1, dot_words) && !beside_count && !listed && !ends) {
          continue;
        }
      }
    }
    found.push_back(std::to_string(v->value));
    i = last;
  }
  return compare(found, want);
}

match_status match_names(std::string_view hay,
                         const std::vector<std::string>& want,
                         std::span<const synonym> vocabulary,
                         bool colours) {
  const auto t = tokenize(hay, false);
  const auto name_of = [&](std::string_view w) -> std::optional<std::string_view> {
    for (const auto& s : vocabulary) {
      if (s.word == w) {
        return s.canonical;
      }
    }
    return std::nullopt;
  };
  std::vector<std::string> found;
  for (std::size_t i = 0; i < t.size(); ++i) {
    std::optional<std::string_view> value;
    if (t[i].k == token::kind::plus) {
      value = colours ? std::nullopt : std::optional<std::string_view>{"cross"};
    } else if (t[i].k == token::kind::word) {
      value = name_of(t[i].text);
      // A colour naming the background ("on a gray background", "the background is black") is
      // not an answer about a shape.
      if (value && colours &&
          (word_in(t, i + 1, {"background"}) ||
           (i >= 2 && word_in(t, i - 1, {"is", "was"}) && word_in(t, i - 2, {"background"})))) {
        continue;
      }
    }
    if (!value) {
      continue;
    }
    // "navy blue", "crimson red": two different words for one value, side by side, are one
    // object ("red red" stays two).
    if (i > 0 && !found.empty() && found.back() == *value && t[i - 1].text != t[i].text &&
        t[i - 1].end + 1 >= t[i].begin && name_of(t[i - 1].text) == value) {
      continue;
    }
    // "two stars then a circle": a count right before a plural shape word repeats it.
    int repeat = 1;
    if (!colours && t[i].text.size() > value->size() && i > 0) {
      if (const auto n = count_at(hay, t, i - 1);
          n && n->value >= 1 && n->value <= 9 && gap_after(hay, t, i - 1).empty()) {
        repeat = n->value;
      }
    }
    for (int k = 0; k < repeat; ++k) {
      found.emplace_back(*value);
    }
  }
  return compare(found, want);
}

}  // namespace visionwatch::verdict_detail
