#pragma once
/// Waiting for a condition that has no event to wait on (a counter behind an HTTP API, a query
/// result), with a deadline. Where an event exists, wait on it instead: child_process's output
/// and exit, webhook_sink's requests.

#include <chrono>
#include <functional>

namespace visionwatch::test {

using deadline_type = std::chrono::steady_clock::time_point;

/// Deadline helper: now + d.
inline deadline_type after(std::chrono::milliseconds d) {
  return std::chrono::steady_clock::now() + d;
}

/// Checks `predicate` until it holds or `deadline` passes, backing off from 1 ms to 50 ms between
/// checks; one last check runs after the deadline so a late success still counts.
bool wait_until(deadline_type deadline, const std::function<bool()>& predicate);

}  // namespace visionwatch::test
