#include "tests/support/daemon_process.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "tests/support/exported_metrics.hpp"
#include "tests/support/test_paths.hpp"

namespace visionwatch::test {

void refuse_default_state_dir(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env) {
  if (argv.size() < 2 || argv[1] != "run") {
    return;  // demo keeps its state in a temporary directory; other commands keep none
  }
  for (const auto& e : env) {
    if (e.starts_with("STATE_DIRECTORY=")) {
      return;
    }
  }
  for (std::size_t i = 2; i + 1 < argv.size(); ++i) {
    if (argv[i] != "--config") {
      continue;
    }
    std::ifstream in(argv[i + 1], std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    if (text.find("state_dir:") != std::string::npos) {
      return;
    }
  }
  throw std::invalid_argument(
      "daemon_process: `run` without global.state_dir would write ./state in the test's working "
      "directory; give the daemon a state_dir in a temporary directory");
}

daemon_process::daemon_process(std::vector<std::string> args,
                               std::filesystem::path log_file,
                               std::vector<std::string> env)
    : argv_(std::move(args)), log_file_(std::move(log_file)), env_(std::move(env)) {
  argv_.insert(argv_.begin(), visionwatch_binary().string());
  launch();
}

daemon_process::~daemon_process() = default;

void daemon_process::launch() {
  refuse_default_state_dir(argv_, env_);
  child_.reset();
  port_ = 0;
  auto log = log_file_;
  if (launches_++ > 0) {
    log.replace_filename(log_file_.stem().string() + "-" + std::to_string(launches_) +
                         log_file_.extension().string());
  }
  child_ = std::make_unique<child_process>(argv_, log, env_);
}

bool daemon_process::wait_ready(deadline_type deadline) {
  if (port_ == 0) {
    port_ = child_->wait_for_port("listening on http://", deadline);
    if (port_ == 0) {
      return false;
    }
  }
  // Listening is logged once the admin server accepts; /-/ready is a state behind the API with
  // no event to wait on.
  return wait_until(deadline,
                    [&] {
                      return !child_->running() ||
                             request("GET", "/-/ready", {}, {}, std::chrono::seconds(2)).status ==
                                 200;
                    }) &&
         child_->running();
}

bool daemon_process::start(std::chrono::milliseconds ready_within) {
  if (!running()) {
    launch();
  }
  return wait_ready(after(ready_within));
}

int daemon_process::stop() { return child_ ? child_->stop() : -1; }

raw_response daemon_process::request(const std::string& method,
                                     const std::string& target,
                                     const std::string& body,
                                     const std::map<std::string, std::string>& headers,
                                     std::chrono::milliseconds timeout) const {
  if (port_ == 0) {
    return {};
  }
  return loopback_request(port_, method, target, body, headers, timeout);
}

std::optional<double> daemon_process::metric(
    const std::string& name, const std::map<std::string, std::string>& labels) const {
  const auto r = get("/metrics");
  if (r.status != 200) {
    return std::nullopt;
  }
  return metric_value(r.body, name, labels);
}

}  // namespace visionwatch::test
