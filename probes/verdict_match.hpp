#pragma once
/// Answer matching, one matcher per challenge kind (digits, count, colour, shape) plus custom
/// patterns and accepted words. Internal to probes/: callers go through verdict.hpp
/// (answer_matches, validate_answer_pattern). Pure.

#include <cstddef>
#include <cstdint>
#include <string_view>

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

/// True when `e` asks for anything at all.
bool has_expectation(const answer_expectation& e);

/// How `text` matches `expect`: kind-aware tolerant matching for generated challenges, the
/// regex or accepted words for custom probes, a phrase search otherwise. May throw
/// std::bad_alloc (and std::regex errors are caught).
match_status match_answer(const answer_expectation& expect, std::string_view text);

}  // namespace visionwatch::verdict_detail
