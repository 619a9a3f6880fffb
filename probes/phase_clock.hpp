#pragma once
/// The stopwatch of one request: attributes every elapsed interval to exactly one phase, so the
/// phases of `phase_timings` sum to its total. Time before the first phase is entered counts in
/// that first phase. Used by the http client; one per request, on one thread.

#include <array>
#include <chrono>
#include <optional>

#include "probes/http_types.hpp"

namespace visionwatch {

class phase_clock {
 public:
  using clock_type = std::chrono::steady_clock;

  phase_clock() : start_(clock_type::now()), mark_(start_) {}

  /// Ends the current phase (if any) now and starts `p`.
  void enter(phase p);
  /// The phase being timed; dns before any was entered.
  [[nodiscard]] phase current() const noexcept { return current_.value_or(phase::dns); }
  /// Marks the first text of a streamed reply now (only the first call counts): written as
  /// phase_timings::first_token, the time since the clock started. Slices are not affected.
  void mark_first_token();
  /// Ends the current phase now and writes every phase and the total into `t`. A request
  /// rejected before any phase has total 0.
  void finish(phase_timings& t);

 private:
  clock_type::time_point start_;
  clock_type::time_point mark_;
  std::optional<clock_type::duration> first_token_;
  std::optional<phase> current_;
  std::array<clock_type::duration, phase_count> spent_{};
};

}  // namespace visionwatch
