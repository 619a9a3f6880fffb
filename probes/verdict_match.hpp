#pragma once
/// Answer matching, one matcher per challenge kind (digits, count, colour, shape) plus custom
/// patterns and accepted words. Internal to probes/: callers go through verdict.hpp
/// (answer_matches, validate_answer_pattern). Pure.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "probes/verdict.hpp"

namespace visionwatch::verdict_detail {

/// Bytes of an upstream or regex message quoted in a reason.
inline constexpr std::size_t message_bytes = 200;

enum class match_status : std::uint8_t {
  match,        ///< the expected answer, and no rival
  missing,      ///< the expected answer is not there
  several,      ///< the expected answer and a rival ("either 4821 or 1234")
  bad_pattern,  ///< the custom pattern does not compile; accepted words did not match either
};

/// A word of a closed vocabulary and the canonical value it names ("grey" -> "gray").
struct synonym {
  std::string_view word;
  std::string_view canonical;
};

/// Generated challenges (verdict_sequence.cpp). Each reads the answers a normalised reply names,
/// in order, and compares them with `want` (every image's objects in reading order): the same
/// sequence, or the same sequence said again, matches; `want` among other candidates is
/// `several`; anything else `missing`. Numbers that are clearly not answers (image sizes,
/// ordinals, labels such as "box 2", list numbering, "in 2 rows") are skipped.
/// digits: numbers of 4+ digits (thousands grouping and spelled-out digits joined); a shorter
/// number beside a hedge word ("or", "maybe") makes a match `several`.
match_status match_digits(std::string_view normalized, const std::vector<std::string>& want);
/// count: numbers up to 20 in digits or words of English, Spanish, German, French, Chinese
/// and Japanese ("three", "drei", "trois", "三", "みっつ"); article-like words ("one", "un",
/// "eine") count only next to a dot word, another count or a list joiner.
match_status match_counts(std::string_view normalized, const std::vector<std::string>& want);
/// color and shape: words of `vocabulary` (and '+' for a cross); a colour naming the background
/// is skipped; a count before a plural shape word repeats it ("two stars").
match_status match_names(std::string_view normalized,
                         const std::vector<std::string>& want,
                         std::span<const synonym> vocabulary,
                         bool colours);

/// True when `e` asks for anything at all.
bool has_expectation(const answer_expectation& e);

/// How `text` matches `expect`: kind-aware tolerant matching for generated challenges, the
/// regex or accepted words for custom probes, a phrase search otherwise. May throw
/// std::bad_alloc (and std::regex errors are caught).
match_status match_answer(const answer_expectation& expect, std::string_view text);
/// As above with `normalized` = normalize(text), computed once by the caller (the judge).
match_status match_answer(const answer_expectation& expect,
                          std::string_view text,
                          std::string_view normalized);

}  // namespace visionwatch::verdict_detail
