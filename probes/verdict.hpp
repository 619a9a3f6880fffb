#pragma once
/// The verdict: exactly one outcome per probe, with a one-line reason a human can act on.
/// Pure: fed the HTTP result, the parsed reply, the expectation and the route's baseline.

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/answer_pattern.hpp"
#include "probes/challenge.hpp"
#include "probes/http_types.hpp"
#include "probes/outcome.hpp"
#include "probes/probe_result.hpp"
#include "probes/reply.hpp"
#include "probes/served_model.hpp"

namespace visionwatch {

/// Built-in phrase lists (see docs/verdict.md). Matching is case-insensitive, on word
/// boundaries, with white space and typographic apostrophes normalised.
const std::vector<std::string>& default_no_image_phrases();
const std::vector<std::string>& default_refusal_phrases();

/// An immutable list of phrases, shared by every copy: 10,000 routes on the built-in lists hold
/// one copy of them, not 10,000 (measured: 11 KB per route before).
class phrase_list {
 public:
  phrase_list() : phrase_list(std::vector<std::string>{}) {}
  phrase_list(std::vector<std::string> items);  // implicit on purpose: a vector is a list
  phrase_list(std::initializer_list<std::string> items)
      : phrase_list(std::vector<std::string>(items)) {}

  [[nodiscard]] const std::vector<std::string>& items() const noexcept { return data_->items; }
  /// The items normalised once (case, white space, apostrophes), as the judge matches them.
  [[nodiscard]] const std::vector<std::string>& normalized() const noexcept {
    return data_->normalized;
  }
  [[nodiscard]] std::size_t size() const noexcept { return data_->items.size(); }
  [[nodiscard]] bool empty() const noexcept { return data_->items.empty(); }
  [[nodiscard]] const std::string& back() const { return data_->items.back(); }
  [[nodiscard]] auto begin() const noexcept { return data_->items.begin(); }
  [[nodiscard]] auto end() const noexcept { return data_->items.end(); }
  /// True when both share one list (no copy was made).
  [[nodiscard]] bool shares_with(const phrase_list& other) const noexcept {
    return data_ == other.data_;
  }

  friend bool operator==(const phrase_list& a, const phrase_list& b) {
    return a.data_ == b.data_ || a.data_->items == b.data_->items;
  }
  friend bool operator==(const phrase_list& a, const std::vector<std::string>& b) {
    return a.data_->items == b;
  }

 private:
  struct data {
    std::vector<std::string> items;
    std::vector<std::string> normalized;
  };
  std::shared_ptr<const data> data_;
};

/// The built-in lists as shared phrase_lists.
const phrase_list& default_no_image_phrase_list();
const phrase_list& default_refusal_phrase_list();

/// What counts as a right answer.
struct answer_expectation {
  /// Generated challenge: kind-aware tolerant matching against the canonical answer.
  std::optional<challenge_kind> kind;
  std::string answer;
  /// User-supplied probe: an ECMAScript regex (case-insensitive) and/or accepted words.
  std::string pattern;
  /// `pattern` compiled once at config load (answer_pattern::compile); when null, a non-empty
  /// `pattern` is compiled per judge call.
  std::shared_ptr<const answer_pattern> compiled_pattern;
  std::vector<std::string> accepted;
  /// The route's model: the model the reply names must fit it (see verdict_checks::expect_model).
  std::string model;
};

struct verdict_checks {
  /// Phrases that mean "I got no image" (normalised, case-insensitive, on word boundaries).
  /// Defaults in English, Chinese, Spanish, German, French, Japanese, Portuguese, Russian and
  /// Korean from default_no_image_phrases(); a configured list replaces them.
  phrase_list no_image_phrases = default_no_image_phrase_list();
  /// Phrases that mean "I won't answer"; they count only when the answer is not right.
  phrase_list refusal_phrases = default_refusal_phrase_list();
  /// An image probe must show prompt_tokens >= baseline + min_image_tokens. A reported
  /// image_tokens > 0 is a claim, checked too: the prompt must have grown over the baseline by
  /// at least min(image_tokens, min_image_tokens).
  long long min_image_tokens = 50;
  /// Missing usage fails the probe (image_tokens_missing) only when set.
  bool require_usage = false;
  /// Which served model (reply::model) fits the route: by default the route's model, tolerantly
  /// (same_model()); a prefix, a regex, or off.
  model_expectation expect_model;
};

struct verdict {
  outcome result = outcome::ok;
  std::string reason;          ///< empty for ok; one line otherwise
  bool usage_missing = false;  ///< the reply had no usage (recorded, fails only with require_usage)
  /// For ok: probe_note::hedged when no-image phrases surrounded an exactly right answer to a
  /// generated challenge; none otherwise.
  probe_note note = probe_note::none;
};

/// Order: transport error, HTTP status (429 → rate_limited), malformed body, model mismatch,
/// empty answer, no-image claim, refusal, wrong answer, image tokens missing. Only the final
/// answer is judged: thinking blocks in the text (and reply::reasoning) are never claims. A
/// no-image claim around an exactly right answer to a generated challenge is ok with the note
/// "hedged". See docs/verdict.md.
verdict judge(const http_result& http,
              const reply& r,
              const answer_expectation& expect,
              std::optional<long long> baseline_prompt_tokens,
              const verdict_checks& checks);

/// The text-only control request that measures the usage baseline: only transport, HTTP status
/// and malformed body can fail it (its answer is meaningless without an image, and a model
/// saying "there is no image" is the expected behaviour). `usage_missing` tells the caller the
/// baseline cannot be learned from this reply.
verdict judge_control(const http_result& http, const reply& r);

/// Checks a custom `pattern` the way the verdict compiles it (ECMAScript, case-insensitive,
/// polynomial-time matching: no back-references). nullopt when usable, else why not. For config
/// validation, so a bad pattern is a load error instead of a wrong_answer on every probe.
std::optional<std::string> validate_answer_pattern(const std::string& pattern);

/// Tolerant answer matching ("4,821", "4 8 2 1", "The number shown is 4821", "seven", "grey");
/// rejects replies naming several candidates. Exposed for tests and the fake upstream.
bool answer_matches(const answer_expectation& expect, std::string_view text);

}  // namespace visionwatch
