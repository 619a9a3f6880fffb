#pragma once
/// Running external programs (tinyproxy, prometheus, the visionwatch binary, openssl) from
/// tests, and small loopback helpers for waiting on them. Never a fixed port, never a bare
/// sleep: poll a readiness condition until a deadline.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace visionwatch::test {

/// One child started with posix_spawn; stdin is /dev/null, stdout and stderr go to `log_file`
/// (truncated). The destructor sends SIGTERM, waits up to 5 s, then SIGKILLs and reaps.
class child_process {
 public:
  /// `argv[0]` is looked up in PATH. `env` entries ("NAME=value") are added to (and override)
  /// this process's environment. Throws std::runtime_error when the program cannot be started.
  child_process(std::vector<std::string> argv,
                std::filesystem::path log_file,
                std::vector<std::string> env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// True while the child has not exited (reaps it when it has).
  bool running();
  /// The exit code (or 128 + signal) once the child exited; nullopt while it runs.
  std::optional<int> exit_code();
  /// Waits for the child to exit on its own until `deadline`; nullopt if it is still running.
  std::optional<int> wait(std::chrono::steady_clock::time_point deadline);
  /// SIGTERM, up to `grace` to exit, then SIGKILL. Returns the exit code. Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  /// The last `max_bytes` of the log, for failure messages.
  std::string log_tail(std::size_t max_bytes = 4096) const;
  const std::filesystem::path& log_file() const noexcept { return log_file_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path log_file_;
};

/// Runs a program to completion (bounded by `timeout`, then killed); returns its exit code.
/// Output goes to `log_file`.
int run_program(std::vector<std::string> argv,
                const std::filesystem::path& log_file,
                std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// Polls `predicate` (every 10 ms) until it returns true or `deadline` passes.
bool wait_until(const std::function<bool()>& predicate,
                std::chrono::steady_clock::time_point deadline);

/// A TCP port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close). For
/// programs that must be told their port; a small race remains, so prefer port 0 where possible.
std::uint16_t free_loopback_port();

/// Waits until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_tcp(std::uint16_t port, std::chrono::steady_clock::time_point deadline);

/// True when this machine can bind [::1].
bool has_ipv6_loopback();

/// A tiny synchronous GET through visionwatch's own client on a private io_context.
struct get_result {
  unsigned status = 0;  ///< 0 on a transport failure
  std::string body;
  std::string error;  ///< transport failure reason
};
get_result http_get(const std::string& url,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Deadline helper: now + d.
inline std::chrono::steady_clock::time_point after(std::chrono::milliseconds d) {
  return std::chrono::steady_clock::now() + d;
}

}  // namespace visionwatch::test
