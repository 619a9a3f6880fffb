#include "tests/support/webhook_sink.hpp"

#include <thread>

namespace visionwatch::test {

std::string sink_request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) {
      return value;
    }
  }
  return {};
}

webhook_sink::webhook_sink()
    : server_([this](const received_request& req) { return handle(req); }) {
  server_.start();
}

webhook_sink::~webhook_sink() { server_.stop(); }

std::string webhook_sink::url() const { return server_.origin() + "/hook"; }

response_plan webhook_sink::handle(const received_request& req) {
  const unsigned status = status_.load();
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(
        {req.method, req.target, req.headers, req.body, status, std::chrono::steady_clock::now()});
  }
  return status / 100 == 2 ? response_plan::json(R"({"status":"ok"})", status)
                           : response_plan::text(status, "receiver down\n");
}

std::vector<sink_request> webhook_sink::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<sink_request> webhook_sink::delivered() const {
  std::vector<sink_request> out;
  std::lock_guard lock(mutex_);
  for (const auto& r : requests_) {
    if (r.answered / 100 == 2) {
      out.push_back(r);
    }
  }
  return out;
}

std::size_t webhook_sink::count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

bool webhook_sink::wait_for(const std::function<bool(const std::vector<sink_request>&)>& pred,
                            std::chrono::steady_clock::time_point deadline) const {
  while (true) {
    const bool past = std::chrono::steady_clock::now() >= deadline;
    if (pred(requests())) {
      return true;
    }
    if (past) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace visionwatch::test
