#pragma once
/// The runtime tests' service in this process: a configuration parsed or the test failed, and a
/// service running its io_context on a thread of its own (stopped in the destructor), read
/// through its admin API like a user would.

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <map>
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

/// A started service whose io_context runs on a thread of its own; the destructor asks the
/// service to stop on that thread and joins it (a service that does not stop fails the test).
/// Whatever touches the service's state goes through io() (boost::asio::post).
class service_thread {
 public:
  service_thread(config cfg, service_options opts) : svc_(io_, std::move(cfg), std::move(opts)) {
    svc_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~service_thread() {
    try {
      boost::asio::post(io_, [this] { svc_.request_stop(); });
      thread_.join();
    } catch (...) {  // a destructor must not throw: the test fails instead
      FAIL_CHECK("the service did not stop cleanly");
    }
  }
  service_thread(const service_thread&) = delete;
  service_thread& operator=(const service_thread&) = delete;

  [[nodiscard]] boost::asio::io_context& io() { return io_; }
  [[nodiscard]] service& svc() { return svc_; }
  [[nodiscard]] const service& svc() const { return svc_; }

 private:
  boost::asio::io_context io_;
  service svc_;
  std::thread thread_;
};

class running_service {
 public:
  explicit running_service(config cfg, bool gzip_loopback = false)
      : svc_(std::move(cfg), options(gzip_loopback)), url_(svc_.svc().admin_url()) {}

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
  static service_options options(bool gzip_loopback) {
    service_options o;
    o.handle_signals = false;
    o.gzip_loopback = gzip_loopback;
    return o;
  }
  service_thread svc_;
  std::string url_;
};

}  // namespace visionwatch::test
