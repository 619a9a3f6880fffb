#pragma once
/// A real Alertmanager for end-to-end tests: one route to a webhook receiver (a webhook_sink,
/// resolved notifications included), grouped by route and rule with 1 s group_wait and
/// group_interval and a 1 h repeat_interval, so each notification the sink gets is a page;
/// listens on 127.0.0.1:0 (the port it logs), no cluster. Stopped on destruction.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/webhook_sink.hpp"

namespace visionwatch::test {

class alertmanager_server {
 public:
  /// Writes `dir`/am.yml, starts prometheus-alertmanager and waits until /-/ready answers 200.
  /// Throws std::runtime_error with the log tail when it does not come up within 15 s.
  alertmanager_server(const std::filesystem::path& dir, const std::string& webhook_url);

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// "http://127.0.0.1:PORT": what an `alertmanager` receiver's url is set to.
  [[nodiscard]] std::string url() const;
  /// Its active alerts (GET /api/v2/alerts: those not resolved) whose `route` label is
  /// `route`; empty when the request fails.
  [[nodiscard]] std::vector<nlohmann::json> alerts(const std::string& route) const;
  [[nodiscard]] std::string log_tail() const { return process_->log_tail(); }

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

/// The webhook notifications (pages) Alertmanager sent to `sink` whose body "status" is
/// `status` (firing or resolved).
std::size_t alertmanager_notifications(const webhook_sink& sink, const std::string& status);

}  // namespace visionwatch::test
