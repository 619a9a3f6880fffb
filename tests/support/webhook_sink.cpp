#include "tests/support/webhook_sink.hpp"

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
  arrived_.notify_all();
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
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto snapshot = requests_;
    // The predicate runs unlocked: it may call back into the sink.
    lock.unlock();
    if (pred(snapshot)) {
      return true;
    }
    lock.lock();
    if (!arrived_.wait_until(lock, deadline, [&] { return requests_.size() != snapshot.size(); })) {
      const auto last = requests_;
      lock.unlock();
      return pred(last);
    }
  }
}

}  // namespace visionwatch::test
