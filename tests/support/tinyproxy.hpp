#pragma once
/// A real tinyproxy for proxy tests: config written to a temp dir, started in the foreground on
/// a loopback port it is told (retried on a fresh one when taken), stopped (SIGTERM, then SIGKILL)
/// on destruction.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace visionwatch::test {

class tinyproxy {
 public:
  struct options {
    std::vector<std::uint16_t> connect_ports;  ///< CONNECT allowed only to these; empty: any
    std::string user;                          ///< with password: require basic auth
    std::string password;
  };

  /// Starts tinyproxy and waits until it accepts connections; throws std::runtime_error with
  /// the log tail when it does not come up within 10 s.
  explicit tinyproxy(options opts);
  tinyproxy() : tinyproxy(options{}) {}

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// "http://127.0.0.1:PORT" (no credentials).
  [[nodiscard]] std::string url() const;
  /// "http://user:password@127.0.0.1:PORT".
  [[nodiscard]] std::string url_with_credentials(const std::string& user,
                                                 const std::string& password) const;
  [[nodiscard]] std::string log_tail() const { return process_->log_tail(); }

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace visionwatch::test
