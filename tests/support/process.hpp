#pragma once
/// Child processes for tests (tinyproxy, prometheus, alertmanager, openssl, tesseract, promtool,
/// the visionwatch binary): started from argv and an environment, stdout and stderr captured in
/// memory (and mirrored to a log file when given), waited for on events with a deadline.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/wait_until.hpp"

namespace visionwatch::test {

/// One child started with posix_spawn; stdin is /dev/null; stdout and stderr are read by a
/// thread of its own into memory, and appended to `log_file` when one is given (kept for CI
/// logs). Waits are on events: a pidfd for the exit, a condition variable for the output. The
/// destructor sends SIGTERM, waits up to 5 s, then SIGKILLs and reaps. Driven by one test thread.
class child_process {
 public:
  /// `argv[0]` is looked up in PATH. `env` entries ("NAME=value") are added to (and override)
  /// this process's environment. Throws std::runtime_error when the program cannot be started.
  explicit child_process(std::vector<std::string> argv,
                         std::filesystem::path log_file = {},
                         std::vector<std::string> env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// True while the child has not exited (reaps it when it has).
  bool running();
  /// The exit code (or 128 + signal) once the child exited; nullopt while it runs.
  std::optional<int> exit_code();
  /// True when the child was ended by a signal (its exit code is then 128 + signal).
  bool signalled() const noexcept { return signalled_; }
  /// Waits for the child to exit on its own until `deadline`, and then for the rest of its output
  /// (so output() is complete); nullopt if it is still running.
  std::optional<int> wait(deadline_type deadline);
  /// Sends `signo`; throws std::runtime_error when the child is gone.
  void signal(int signo);
  /// SIGTERM, up to `grace` to exit, then SIGKILL. Returns the exit code. Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  /// Waits until `predicate(output())` holds (true), or `deadline` passes or the child closed its
  /// output without it holding (false). Woken by every read, never by a timer.
  bool wait_for_output(deadline_type deadline,
                       const std::function<bool(const std::string&)>& predicate) const;
  /// Waits for the port of the first "<marker>HOST:PORT" the child printed with a non-zero port
  /// (see port_after); 0 when the deadline passes or the child closed its output first.
  std::uint16_t wait_for_port(std::string_view marker, deadline_type deadline) const;
  /// Waits until the child closed stdout and stderr (it exited, usually); false at the deadline.
  bool wait_for_eof(deadline_type deadline) const;

  /// Everything written to stdout so far.
  std::string out() const;
  /// Everything written to stderr so far.
  std::string err() const;
  /// stdout and stderr interleaved in arrival order.
  std::string output() const;
  /// The last `max_bytes` of output(), for failure messages.
  std::string log_tail(std::size_t max_bytes = 4096) const;
  const std::filesystem::path& log_file() const noexcept { return log_file_; }

 private:
  void read_output(int out_fd, int err_fd);

  pid_t pid_ = -1;
  int pidfd_ = -1;  ///< -1 where pidfd_open is unavailable: wait() then polls waitpid
  std::optional<int> status_;
  bool signalled_ = false;
  std::filesystem::path log_file_;
  std::ofstream log_;  ///< reader thread only

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string out_;
  std::string err_;
  std::string all_;
  bool eof_ = false;
  std::thread reader_;
};

/// The port in the first "<marker>HOST:PORT" of `text` whose port is not 0 (HOST may be a name,
/// an IPv4 literal or a bracketed IPv6 literal; the port ends at any non-digit); 0 when none.
std::uint16_t port_after(std::string_view text, std::string_view marker);

struct process_result {
  int exit_code = -1;  ///< the exit status, or -1 when killed by a signal or the deadline
  bool timed_out = false;
  std::string out;  ///< everything written to stdout
  std::string err;  ///< everything written to stderr
};

/// Runs argv to completion with the test's environment plus `extra_env` ("NAME=value",
/// overriding same-named variables); kills it when `timeout` passes. Throws std::runtime_error
/// when it cannot be started at all.
process_result run_process(const std::vector<std::string>& argv,
                           const std::vector<std::string>& extra_env = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(120));

/// Runs the visionwatch binary under test (test_paths.hpp) with `args` to completion, as
/// run_process does.
process_result run_visionwatch(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// The first executable `name` in PATH, or nullopt.
std::optional<std::filesystem::path> find_in_path(std::string_view name);

}  // namespace visionwatch::test
