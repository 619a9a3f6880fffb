#pragma once
/// The runtime tests' service in this process: a configuration parsed or the test failed, and a
/// service running its io_context on a thread of its own (stopped in the destructor), read
/// through its admin API like a user would.

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "daemon/config/config.hpp"
#include "daemon/runtime/service.hpp"
#include "tests/support/exported_metrics.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/raw_http_client.hpp"

namespace visionwatch::test {

/// `yaml` as a configuration; every error fails the test.
inline config parse_config_or_fail(const std::string& yaml) {
  auto r = parse_config(yaml, "test.yaml");
  for (const auto& e : r.errors) {
    FAIL_CHECK(e.to_string());
  }
  REQUIRE(r.value);
  return std::move(*r.value);
}

class running_service {
 public:
  explicit running_service(config cfg, bool gzip_loopback = false) {
    service_options opts;
    opts.handle_signals = false;
    opts.gzip_loopback = gzip_loopback;
    svc_ = std::make_unique<service>(io_, std::move(cfg), opts);
    svc_->start();
    url_ = svc_->admin_url();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~running_service() {
    try {
      boost::asio::post(io_, [this] { svc_->request_stop(); });
      thread_.join();
    } catch (...) {  // a destructor must not throw: the test fails instead
      FAIL_CHECK("the service did not stop cleanly");
    }
  }
  running_service(const running_service&) = delete;
  running_service& operator=(const running_service&) = delete;

  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] std::string metrics() const { return http_get(url_ + "metrics").body; }
  [[nodiscard]] std::optional<double> metric(const std::string& name,
                                             const std::map<std::string, std::string>& l) const {
    return metric_value(metrics(), name, l);
  }
  /// GET /api/v1/routes/{route}.
  [[nodiscard]] nlohmann::json route(const std::string& name) const {
    return nlohmann::json::parse(http_get(url_ + "api/v1/routes/" + name).body, nullptr, false);
  }
  /// POST /api/v1/routes/{route}/probe (`query`: e.g. "?shape=tools"): the status and the body.
  [[nodiscard]] std::pair<unsigned, nlohmann::json> probe_now(const std::string& route,
                                                              const std::string& query = {}) const {
    const auto r = loopback_request(port_of_url(url_),
                                    "POST",
                                    "/api/v1/routes/" + route + "/probe" + query,
                                    {},
                                    {},
                                    std::chrono::seconds(20));
    return {r.status, nlohmann::json::parse(r.body, nullptr, false)};
  }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<service> svc_;
  std::string url_;
  std::thread thread_;
};

}  // namespace visionwatch::test
