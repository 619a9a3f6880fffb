#pragma once
/// The real `visionwatch` binary as a child process, for end-to-end tests: any subcommand
/// (`run --config X`, `demo --listen ...`) with its admin server on 127.0.0.1:0; ready once it
/// logged the address it bound and `/-/ready` answers 200; driven over HTTP and signals;
/// restartable (a state directory survives a restart, the admin port does not).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/raw_http_client.hpp"
#include "tests/support/wait_until.hpp"

namespace visionwatch::test {

/// Throws std::invalid_argument for `run` whose --config sets no `state_dir` (and no
/// STATE_DIRECTORY in `env`): such a daemon would write ./state into the working directory.
void refuse_default_state_dir(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env);

/// Owns one daemon child at a time; the test thread drives it. Refuses (throws) to start `run`
/// without a state_dir (refuse_default_state_dir).
class daemon_process {
 public:
  /// Starts `visionwatch <args...>` (launch()); the output is kept in memory and mirrored to
  /// `log_file` (a restart's to "<stem>-N<ext>"). `env` entries ("NAME=value") are added to the
  /// environment. The admin listen address must have port 0 (`--listen 127.0.0.1:0` or
  /// `global.listen` in the config). Does not wait; see wait_ready().
  daemon_process(std::vector<std::string> args,
                 std::filesystem::path log_file,
                 std::vector<std::string> env = {});
  ~daemon_process();
  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  /// Starts the binary again (after stop() or an exit) with the same arguments.
  void launch();
  /// Waits for the admin URL in the log ("listening on http://HOST:PORT/", read as it is
  /// written) and then for GET /-/ready to answer 200. False when the deadline passes or the
  /// process exits first; log_tail() says why.
  bool wait_ready(deadline_type deadline);
  /// launch() (when not running) + wait_ready().
  bool start(std::chrono::milliseconds ready_within = std::chrono::seconds(20));
  /// SIGTERM and the exit code (see child_process::stop).
  int stop();

  /// The admin port read from the log (0 before wait_ready() succeeded).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  /// One request on a fresh connection (loopback_request); status 0 when the daemon did not
  /// answer within `timeout`.
  [[nodiscard]] raw_response request(
      const std::string& method,
      const std::string& target,
      const std::string& body = {},
      const std::map<std::string, std::string>& headers = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  [[nodiscard]] raw_response get(const std::string& target) const {
    return request("GET", target);
  }
  [[nodiscard]] raw_response post(const std::string& target, const std::string& body = {}) const {
    return request("POST", target, body);
  }
  [[nodiscard]] raw_response del(const std::string& target) const {
    return request("DELETE", target);
  }

  /// The sum of the /metrics samples named `name` whose labels include all of `labels`
  /// (metric_value); nullopt when /metrics fails or no sample matches.
  [[nodiscard]] std::optional<double> metric(
      const std::string& name, const std::map<std::string, std::string>& labels = {}) const;

  /// Sends `signo` (SIGHUP, SIGTERM...) to the daemon.
  void signal(int signo) { child_->signal(signo); }
  bool running() { return child_ && child_->running(); }
  /// Waits for the daemon to exit until `deadline`: its exit code, nullopt if it still runs.
  std::optional<int> wait_exit(deadline_type deadline) { return child_->wait(deadline); }
  /// Waits until the current run's output contains `text` (woken by each write); false when
  /// the deadline passes or the daemon closed its output first.
  [[nodiscard]] bool wait_for_log(std::string_view text, deadline_type deadline) const {
    return child_ && child_->wait_for_output(deadline, [text](const std::string& out) {
      return out.find(text) != std::string::npos;
    });
  }
  /// Everything the current run wrote to stdout and stderr so far.
  [[nodiscard]] std::string log() const { return child_ ? child_->output() : std::string(); }
  /// Its last `max_bytes`, for failure messages.
  [[nodiscard]] std::string log_tail(std::size_t max_bytes = 6000) const {
    return child_ ? child_->log_tail(max_bytes) : std::string();
  }

 private:
  std::vector<std::string> argv_;
  std::filesystem::path log_file_;
  std::vector<std::string> env_;
  std::unique_ptr<child_process> child_;
  std::uint16_t port_ = 0;
  int launches_ = 0;
};

}  // namespace visionwatch::test
