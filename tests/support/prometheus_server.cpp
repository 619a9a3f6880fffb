#include "tests/support/prometheus_server.hpp"

#include <cctype>
#include <fstream>
#include <stdexcept>

#include "tests/support/http_get.hpp"
#include "tests/support/wait_until.hpp"

namespace visionwatch::test {
namespace {

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

prometheus_server::prometheus_server(const std::filesystem::path& dir,
                                     const std::vector<std::uint16_t>& targets) {
  if (!find_in_path("prometheus")) {
    throw std::runtime_error("prometheus is not installed (scripts/install-deps installs it)");
  }
  std::string list;
  for (const auto port : targets) {
    list += (list.empty() ? "'127.0.0.1:" : ", '127.0.0.1:") + std::to_string(port) + "'";
  }
  std::ofstream(dir / "prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
         "scrape_configs:\n  - job_name: visionwatch\n    static_configs:\n      - targets: ["
      << list << "]\n";
  std::filesystem::create_directories(dir / "tsdb");
  process_ = std::make_unique<child_process>(
      std::vector<std::string>{"prometheus",
                               "--config.file=" + (dir / "prometheus.yml").string(),
                               "--storage.tsdb.path=" + (dir / "tsdb").string(),
                               "--web.listen-address=127.0.0.1:0"},
      dir / "prometheus.log");
  // Prometheus binds port 0 and logs the address it got (after a first line with port 0).
  port_ = process_->wait_for_port("msg=\"Listening on\" address=", after(std::chrono::seconds(30)));
  const auto ready = port_ != 0 && wait_until(after(std::chrono::seconds(30)), [&] {
                       return http_get("http://127.0.0.1:" + std::to_string(port_) + "/-/ready",
                                       std::chrono::seconds(2))
                                  .status == 200;
                     });
  if (!ready) {
    throw std::runtime_error("prometheus did not start: " + process_->log_tail());
  }
}

nlohmann::json prometheus_server::query(const std::string& promql) const {
  const auto r = http_get("http://127.0.0.1:" + std::to_string(port_) +
                          "/api/v1/query?query=" + url_encode(promql));
  if (r.status != 200) {
    return nlohmann::json::array();
  }
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object() || j.value("status", "") != "success") {
    return nlohmann::json::array();
  }
  return j["data"]["result"];
}

}  // namespace visionwatch::test
