#pragma once
/// Driving a test's own io_context until an event: run its handlers one at a time until the
/// predicate holds or the deadline passes. No sleeps: each wait ends when a handler runs.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace visionwatch::test {

/// Runs `io`'s handlers until `done` holds (true) or `within` passes (false).
inline bool run_until(boost::asio::io_context& io,
                      const std::function<bool()>& done,
                      std::chrono::milliseconds within = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace visionwatch::test
