#pragma once
/// The value one probe produces. It feeds metrics, route state, alerts and the probe's log line.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "probes/challenge.hpp"
#include "probes/http_types.hpp"
#include "probes/outcome.hpp"
#include "probes/probe_shape.hpp"
#include "probes/reply.hpp"

namespace visionwatch {

inline constexpr std::size_t reply_excerpt_limit = 200;  ///< bytes of the answer kept per probe

/// A remark on a probe's outcome that the outcome label does not carry (shown by the API, the
/// status page, `check` and the probe log line).
enum class probe_note : std::uint8_t {
  none,
  hedged,  ///< ok: the exactly right answer came wrapped in a no-image hedge (docs/verdict.md)
};

/// "" or "hedged".
constexpr std::string_view to_string(probe_note n) noexcept {
  return n == probe_note::hedged ? std::string_view("hedged") : std::string_view();
}

struct probe_result {
  std::string route;
  std::uint64_t sequence = 0;  ///< per route, from 1
  std::uint64_t seed = 0;      ///< reproduces the image: `visionwatch challenge --seed`
  challenge_kind kind = challenge_kind::digits;
  bool custom = false;   ///< user-supplied image + expectation instead of a generated challenge
  bool control = false;  ///< the text-only request that measures the usage baseline
  /// The request form and image of this probe (config `shapes:`); a control request carries
  /// the shape of the request form it measures (plain, system, tools or history).
  probe_shape shape = probe_shape::plain;
  outcome result = outcome::ok;
  std::string reason;  ///< empty for ok; one line otherwise
  probe_note note = probe_note::none;
  unsigned http_status = 0;
  phase_timings phases;
  double latency_seconds = 0;  ///< == phases.total
  usage tokens;
  bool usage_missing = false;
  std::optional<long long> baseline_prompt_tokens;  ///< the baseline the verdict used
  double cost_usd = 0;         ///< from usage and the route's prices (failed probes too)
  std::string expected;        ///< canonical expected answer (or the pattern)
  std::string answer_excerpt;  ///< first reply_excerpt_limit bytes of the answer, valid UTF-8
  std::optional<std::chrono::seconds> retry_after;
  std::chrono::system_clock::time_point started_at{};

  [[nodiscard]] bool success() const noexcept { return result == outcome::ok; }
  [[nodiscard]] bool silent() const noexcept { return is_silent_failure(result); }
};

}  // namespace visionwatch
