#pragma once
/// The real `visionwatch run` binary as a child process for end-to-end tests: writes the given
/// configuration to a file, starts the daemon on a free loopback admin port and waits until
/// /-/ready answers. Also small blocking HTTP helpers for the admin API and other loopback
/// servers (the demo gateway's /control, Alertmanager's API).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/raw_http_client.hpp"

namespace visionwatch::test {

/// One blocking request with "Connection: close" to 127.0.0.1:port; status 0 when the server
/// could not be reached or did not answer within `timeout`.
raw_response loopback_request(std::uint16_t port,
                              const std::string& method,
                              const std::string& target,
                              const std::string& body = {},
                              std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// The port of an "http://127.0.0.1:PORT/..." URL; throws std::invalid_argument otherwise.
std::uint16_t port_of_url(const std::string& url);

/// Polls `pred` every 100 ms until it holds or `deadline` passes (one last check after it).
bool poll_until(const std::function<bool()>& pred, std::chrono::steady_clock::time_point deadline);

class vw_child {
 public:
  /// `config_yaml` may contain "{PORT}", replaced by the admin port (the `global.listen`
  /// port). `dir` holds the config and the log; `env` is added to the child's environment.
  vw_child(std::string config_yaml,
           std::filesystem::path dir,
           std::string name,
           std::vector<std::string> env = {},
           std::optional<std::uint16_t> port = std::nullopt);

  /// Starts the daemon; waits up to `ready_within` for /-/ready. False (daemon left stopped or
  /// exited) when it never got ready; log_tail() says why.
  bool start(std::chrono::milliseconds ready_within = std::chrono::seconds(15));
  /// SIGTERM, returns the exit code.
  int stop();
  bool running();

  std::uint16_t port() const noexcept { return port_; }
  std::string log_tail(std::size_t max_bytes = 6000) const;
  std::string log() const;

  raw_response get(const std::string& target) const;
  raw_response post(const std::string& target, const std::string& body) const;
  raw_response del(const std::string& target) const;

  /// The sum of the /metrics samples of family `name` whose labels include all of `labels`;
  /// nullopt when /metrics fails or no sample matches.
  std::optional<double> metric(const std::string& name,
                               const std::map<std::string, std::string>& labels) const;

 private:
  std::string config_;
  std::filesystem::path dir_;
  std::string name_;
  std::vector<std::string> env_;
  std::uint16_t port_;
  std::unique_ptr<child_process> child_;
  int starts_ = 0;
};

}  // namespace visionwatch::test
