#pragma once
/// The verdict's view of text: normalisation, phrase search and the answer tokenizer. Internal
/// to probes/ (the verdict and its phrase lists); callers go through verdict.hpp. Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace visionwatch::verdict_detail {

/// Lower case (ASCII, Latin-1, Greek, Cyrillic, full-width forms), one apostrophe, one hyphen,
/// one space; zero-width characters dropped; ends trimmed; full-width, Arabic-Indic, Eastern
/// Arabic-Indic and Devanagari digits become 0-9. Reads at most reply_text_limit bytes.
/// Applied to replies and phrases alike, so both meet in one form.
std::string normalize(std::string_view text);

/// `phrase` (normalised) occurs in `hay` (normalised) on word boundaries: an ASCII letter or
/// digit at an end of the phrase must not continue a word ("no image" ≠ "no imagery");
/// phrases ending in CJK characters need no boundary.
bool contains_phrase(std::string_view hay, std::string_view phrase) noexcept;

/// True when one of the (normalised) phrases occurs in the normalised text.
bool has_phrase(std::string_view normalized_text, const std::vector<std::string>& phrases);

/// Nothing but white space, control and zero-width characters.
bool is_blank(std::string_view text);

/// One token for answer matching: a word (a run of Latin, Greek or Cyrillic letters, or one
/// Han, kana or Hangul character), a number (ASCII digits), or '+'. [begin, end) is where it
/// stands in the normalised text, so matchers can look at the punctuation around it.
struct token {
  enum class kind : std::uint8_t { word, number, plus };
  kind k = kind::word;
  std::string text;
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// Tokens of normalised text. With `join_digit_chains` false every digit run is its own number
/// ("3 5 1 9" is four numbers); otherwise: A chain of digit runs joined by one separator each
/// ("4,821", "4 8 2 1", "4821 512") becomes one number when it is thousands grouping (1-3 digits,
/// then groups of exactly 3, one separator kind: "48,213", "4.821", "48 213") or spelled-out digits
/// (single digits, one separator kind among space, hyphen, comma: "4 8 2 1", "4-8-2-1");
/// otherwise each run is its own number. Everything else is skipped.
std::vector<token> tokenize(std::string_view normalized, bool join_digit_chains = true);

}  // namespace visionwatch::verdict_detail
