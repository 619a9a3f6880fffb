#pragma once
/// The real `visionwatch` binary as a child process, for end-to-end tests: started with any
/// subcommand (`run --config X --listen 127.0.0.1:0`, `demo --listen ...`), ready once
/// `/-/ready` answers 200, driven over HTTP and signals, and waited for with a deadline.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/raw_http_client.hpp"

namespace visionwatch::test {

class daemon_process {
 public:
  /// Starts `visionwatch <args...>` with stdout and stderr going to `log_file`. `env` entries
  /// ("NAME=value") are added to the environment. Does not wait; see wait_ready().
  daemon_process(std::vector<std::string> args,
                 std::filesystem::path log_file,
                 std::vector<std::string> env = {});
  ~daemon_process();
  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  /// Waits until the daemon logged its admin URL ("listening on http://HOST:PORT/") and
  /// GET /-/ready answers 200. False when the deadline passes or the process exits first.
  bool wait_ready(std::chrono::steady_clock::time_point deadline);
  /// The admin port read from the log (0 before wait_ready() succeeded).
  std::uint16_t port() const noexcept { return port_; }

  /// One request on a fresh connection (`Connection: close`); status 0 when the daemon did not
  /// answer within `timeout`.
  raw_response request(const std::string& method,
                       const std::string& target,
                       const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));
  raw_response get(const std::string& target) { return request("GET", target); }
  raw_response post(const std::string& target, const std::string& body = {}) {
    return request("POST", target, body);
  }

  /// Sends `signo` (SIGHUP, SIGTERM...) to the daemon.
  void signal(int signo);
  bool running() { return child_.running(); }
  /// Waits for the daemon to exit until `deadline`: its exit code, nullopt if it still runs.
  std::optional<int> wait_exit(std::chrono::steady_clock::time_point deadline) {
    return child_.wait(deadline);
  }
  /// Everything the daemon wrote to stdout and stderr so far.
  std::string log() const;

 private:
  child_process child_;
  std::uint16_t port_ = 0;
};

/// A sample's value from a Prometheus text exposition: the first line starting with
/// `series` (a metric name plus, optionally, the start of its label set), parsed as a double.
/// nullopt when no line matches.
std::optional<double> sample_value(const std::string& exposition, const std::string& series);

/// Value of the sample whose name is `name` and whose labels include every `labels` pair.
std::optional<double> metric_value(const std::string& exposition,
                                   const std::string& name,
                                   const std::map<std::string, std::string>& labels);

}  // namespace visionwatch::test
