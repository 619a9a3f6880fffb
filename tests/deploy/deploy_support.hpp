#pragma once
/// What the deploy tests share: a tool's run told in full for a failure message.

#include <string>

#include "tests/support/process.hpp"

namespace visionwatch::test {

/// `r`'s exit status (and whether it timed out), stdout and stderr.
inline std::string process_report(const process_result& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") +
         "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

}  // namespace visionwatch::test
