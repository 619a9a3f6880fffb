#pragma once
/// A real Prometheus for end-to-end tests: scrapes the given loopback targets every second,
/// listens on 127.0.0.1:0 (the port it logs), keeps its TSDB in a directory of the test, and
/// answers PromQL through its HTTP API. Stopped (SIGTERM, then SIGKILL) on destruction.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace visionwatch::test {

class prometheus_server {
 public:
  /// Writes `dir`/prometheus.yml (job `visionwatch`, scrape and evaluation interval 1 s, one
  /// static target per port), starts `prometheus` from PATH and waits until /-/ready answers
  /// 200. Throws std::runtime_error with the log tail when it is not installed or does not come
  /// up within 30 s.
  prometheus_server(const std::filesystem::path& dir, const std::vector<std::uint16_t>& targets);

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// The result of an instant query (`data.result`: an array of {metric, value}); an empty
  /// array when the query fails.
  [[nodiscard]] nlohmann::json query(const std::string& promql) const;
  [[nodiscard]] std::string log_tail() const { return process_->log_tail(); }
  void stop() { process_->stop(); }

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace visionwatch::test
