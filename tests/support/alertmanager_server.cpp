#include "tests/support/alertmanager_server.hpp"

#include <fstream>
#include <stdexcept>

#include "tests/support/raw_http_client.hpp"
#include "tests/support/wait_until.hpp"

namespace visionwatch::test {

alertmanager_server::alertmanager_server(const std::filesystem::path& dir,
                                         const std::string& webhook_url) {
  const std::filesystem::path binary = std::filesystem::exists("/usr/bin/prometheus-alertmanager")
                                           ? "/usr/bin/prometheus-alertmanager"
                                           : "prometheus-alertmanager";
  std::ofstream(dir / "am.yml") << "route:\n"
                                   "  receiver: sink\n"
                                   "  group_by: [route, rule]\n"
                                   "  group_wait: 1s\n"
                                   "  group_interval: 1s\n"
                                   "  repeat_interval: 1h\n"
                                   "receivers:\n"
                                   "  - name: sink\n"
                                   "    webhook_configs:\n"
                                   "      - url: \""
                                << webhook_url << "\"\n        send_resolved: true\n";
  std::filesystem::create_directories(dir / "am-data");
  process_ = std::make_unique<child_process>(
      std::vector<std::string>{binary.string(),
                               "--config.file=" + (dir / "am.yml").string(),
                               "--storage.path=" + (dir / "am-data").string(),
                               "--web.listen-address=127.0.0.1:0",
                               "--cluster.listen-address="},
      dir / "alertmanager.log");
  // Alertmanager binds port 0 and logs the address it got.
  port_ = process_->wait_for_port("msg=\"Listening on\" address=", after(std::chrono::seconds(15)));
  const bool ready = port_ != 0 && wait_until(after(std::chrono::seconds(15)), [&] {
                       return loopback_request(port_, "GET", "/-/ready").status == 200;
                     });
  if (!ready) {
    throw std::runtime_error("alertmanager did not start: " + process_->log_tail());
  }
}

std::string alertmanager_server::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<nlohmann::json> alertmanager_server::alerts(const std::string& route) const {
  std::vector<nlohmann::json> out;
  const auto r = loopback_request(port_, "GET", "/api/v2/alerts");
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.is_array()) {
    return out;
  }
  for (const auto& a : j) {
    if (a.contains("labels") && a["labels"].value("route", "") == route) {
      out.push_back(a);
    }
  }
  return out;
}

std::size_t alertmanager_notifications(const webhook_sink& sink, const std::string& status) {
  std::size_t n = 0;
  for (const auto& r : sink.requests()) {
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    n += j.is_object() && j.value("status", "") == status ? 1 : 0;
  }
  return n;
}

}  // namespace visionwatch::test
