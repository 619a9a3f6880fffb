#include "tests/support/vw_child.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/test_paths.hpp"

namespace visionwatch::test {

raw_response loopback_request(std::uint16_t port,
                              const std::string& method,
                              const std::string& target,
                              const std::string& body,
                              std::chrono::milliseconds timeout) {
  try {
    raw_connection c("127.0.0.1", port);
    std::string req = method + " " + target +
                      " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nConnection: close\r\n";
    if (!body.empty() || method == "POST" || method == "PUT") {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    if (!c.send(req)) {
      return {};
    }
    if (auto r = c.read_response(timeout, method == "HEAD")) {
      return *r;
    }
  } catch (const std::exception&) {
    // Not reachable (yet): status 0 tells the caller.
  }
  return {};
}

std::uint16_t port_of_url(const std::string& url) {
  const std::string prefix = "http://127.0.0.1:";
  if (!url.starts_with(prefix)) {
    throw std::invalid_argument("not a loopback http URL: " + url);
  }
  unsigned value = 0;
  const char* first = url.data() + prefix.size();
  const auto [end, ec] = std::from_chars(first, url.data() + url.size(), value);
  if (ec != std::errc{} || end == first || value == 0 || value > 65535) {
    throw std::invalid_argument("no port in " + url);
  }
  return static_cast<std::uint16_t>(value);
}

bool poll_until(const std::function<bool()>& pred, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const bool past = std::chrono::steady_clock::now() >= deadline;
    if (pred()) {
      return true;
    }
    if (past) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

vw_child::vw_child(std::string config_yaml,
                   std::filesystem::path dir,
                   std::string name,
                   std::vector<std::string> env,
                   std::optional<std::uint16_t> port)
    : config_(std::move(config_yaml)),
      dir_(std::move(dir)),
      name_(std::move(name)),
      env_(std::move(env)),
      port_(port ? *port : free_loopback_port()) {
  for (auto at = config_.find("{PORT}"); at != std::string::npos; at = config_.find("{PORT}")) {
    config_.replace(at, 6, std::to_string(port_));
  }
  std::ofstream(dir_ / (name_ + ".yaml")) << config_;
}

bool vw_child::start(std::chrono::milliseconds ready_within) {
  child_.reset();
  ++starts_;
  const auto log = dir_ / (name_ + "-" + std::to_string(starts_) + ".log");
  child_ = std::make_unique<child_process>(
      std::vector<std::string>{
          visionwatch_binary().string(), "run", "--config", (dir_ / (name_ + ".yaml")).string()},
      log,
      env_);
  return poll_until(
             [&] {
               if (!child_->running()) {
                 return true;  // exited: stop polling, report below
               }
               return get("/-/ready").status == 200;
             },
             after(ready_within)) &&
         child_->running();
}

int vw_child::stop() { return child_ ? child_->stop() : -1; }

bool vw_child::running() { return child_ && child_->running(); }

std::string vw_child::log_tail(std::size_t max_bytes) const {
  return child_ ? child_->log_tail(max_bytes) : std::string();
}

std::string vw_child::log() const {
  if (!child_) {
    return {};
  }
  std::ifstream in(child_->log_file());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

raw_response vw_child::get(const std::string& target) const {
  return loopback_request(port_, "GET", target);
}

raw_response vw_child::post(const std::string& target, const std::string& body) const {
  return loopback_request(port_, "POST", target, body);
}

raw_response vw_child::del(const std::string& target) const {
  return loopback_request(port_, "DELETE", target);
}

namespace {

/// Label pairs of one exposition line's `{...}`; false when the line is not of that family.
bool sample_labels(std::string_view line,
                   std::string_view name,
                   std::map<std::string, std::string>& labels,
                   double& value) {
  if (!line.starts_with(name) || line.size() <= name.size()) {
    return false;
  }
  auto rest = line.substr(name.size());
  if (rest.front() == '{') {
    const auto close = rest.find('}');
    if (close == std::string_view::npos) {
      return false;
    }
    auto body = rest.substr(1, close - 1);
    while (!body.empty()) {
      const auto eq = body.find("=\"");
      if (eq == std::string_view::npos) {
        return false;
      }
      const auto end = body.find('"', eq + 2);
      if (end == std::string_view::npos) {
        return false;
      }
      labels.emplace(std::string(body.substr(0, eq)),
                     std::string(body.substr(eq + 2, end - eq - 2)));
      body = body.substr(end + 1);
      if (!body.empty() && body.front() == ',') {
        body.remove_prefix(1);
      }
    }
    rest = rest.substr(close + 1);
  }
  if (rest.empty() || rest.front() != ' ') {
    return false;
  }
  try {
    value = std::stod(std::string(rest.substr(1)));
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

std::optional<double> vw_child::metric(const std::string& name,
                                       const std::map<std::string, std::string>& labels) const {
  const auto r = get("/metrics");
  if (r.status != 200) {
    return std::nullopt;
  }
  std::optional<double> sum;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    std::map<std::string, std::string> got;
    double value = 0;
    if (!sample_labels(line, name, got, value)) {
      continue;
    }
    bool all = true;
    for (const auto& [k, v] : labels) {
      const auto it = got.find(k);
      all = all && it != got.end() && it->second == v;
    }
    if (all) {
      sum = sum.value_or(0) + value;
    }
  }
  return sum;
}

}  // namespace visionwatch::test
