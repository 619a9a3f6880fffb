#include "tests/support/wait_until.hpp"

#include <algorithm>
#include <thread>

namespace visionwatch::test {

bool wait_until(deadline_type deadline, const std::function<bool()>& predicate) {
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    const bool past = std::chrono::steady_clock::now() >= deadline;
    if (predicate()) {
      return true;
    }
    if (past) {
      return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::this_thread::sleep_for(std::clamp(left, std::chrono::milliseconds(0), pause));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

}  // namespace visionwatch::test
