#include "tests/support/daemon_process.hpp"

#include <signal.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/test_paths.hpp"

namespace visionwatch::test {
namespace {

std::vector<std::string> with_binary(std::vector<std::string> args) {
  args.insert(args.begin(), visionwatch_binary().string());
  return args;
}

/// The port of the first "listening on http://HOST:PORT/" in `log`, or 0.
std::uint16_t port_from_log(const std::string& log) {
  const std::string marker = "listening on http://";
  const auto at = log.find(marker);
  if (at == std::string::npos) {
    return 0;
  }
  const auto end = log.find('/', at + marker.size());
  const auto colon = log.rfind(':', end);
  if (end == std::string::npos || colon == std::string::npos || colon < at) {
    return 0;
  }
  unsigned value = 0;
  const char* first = log.data() + colon + 1;
  const char* last = log.data() + end;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || ptr != last || value == 0 || value > 65535) {
    return 0;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

daemon_process::daemon_process(std::vector<std::string> args,
                               std::filesystem::path log_file,
                               std::vector<std::string> env)
    : child_(with_binary(std::move(args)), std::move(log_file), std::move(env)) {}

daemon_process::~daemon_process() = default;

bool daemon_process::wait_ready(std::chrono::steady_clock::time_point deadline) {
  return wait_until(
             [&] {
               if (!child_.running()) {
                 return true;  // stop polling; reported below
               }
               if (port_ == 0) {
                 port_ = port_from_log(log());
                 if (port_ == 0) {
                   return false;
                 }
               }
               return request("GET", "/-/ready", {}, {}, std::chrono::seconds(2)).status == 200;
             },
             deadline) &&
         child_.running();
}

raw_response daemon_process::request(const std::string& method,
                                     const std::string& target,
                                     const std::string& body,
                                     const std::map<std::string, std::string>& headers,
                                     std::chrono::milliseconds timeout) {
  try {
    raw_connection c("127.0.0.1", port_);
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    req += "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    for (const auto& [name, value] : headers) {
      req += name + ": " + value + "\r\n";
    }
    req += "\r\n" + body;
    if (!c.send(req)) {
      return {};
    }
    auto r = c.read_response(timeout, method == "HEAD");
    return r ? std::move(*r) : raw_response{};
  } catch (const std::exception&) {
    return {};  // not listening (yet, or any more)
  }
}

void daemon_process::signal(int signo) {
  if (::kill(child_.pid(), signo) != 0) {
    throw std::runtime_error("cannot signal the daemon");
  }
}

std::string daemon_process::log() const {
  std::ifstream in(child_.log_file(), std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<double> sample_value(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series) && !line.starts_with("#")) {
      const auto space = line.rfind(' ');
      if (space == std::string::npos) {
        continue;
      }
      try {
        return std::stod(line.substr(space + 1));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

std::optional<double> metric_value(const std::string& exposition,
                                   const std::string& name,
                                   const std::map<std::string, std::string>& labels) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(name) || line.size() <= name.size()) {
      continue;
    }
    const char next = line[name.size()];
    if (next != '{' && next != ' ') {
      continue;  // a longer name with this prefix
    }
    bool all = true;
    for (const auto& [k, v] : labels) {
      const std::string pair = k + "=\"" + v + "\"";
      const auto at = line.find(pair);
      if (at == std::string::npos || (line[at - 1] != '{' && line[at - 1] != ',')) {
        all = false;
        break;
      }
    }
    if (!all) {
      continue;
    }
    const auto space = line.rfind(' ');
    try {
      return std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace visionwatch::test
