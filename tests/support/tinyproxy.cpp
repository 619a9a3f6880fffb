#include "tests/support/tinyproxy.hpp"

#include <fstream>
#include <stdexcept>

#include "tests/support/loopback.hpp"
#include "tests/support/test_paths.hpp"

namespace visionwatch::test {

tinyproxy::tinyproxy(options opts) {
  const auto dir = make_temp_dir("visionwatch-tinyproxy");
  const auto conf = dir / "tinyproxy.conf";
  // tinyproxy cannot bind port 0, so it is told a port that was free a moment ago; when another
  // process took it meanwhile, tinyproxy exits and a fresh port is tried.
  const auto start = [&](std::uint16_t port) {
    {
      std::ofstream out(conf);
      out << "Port " << port << "\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\n"
          << "Allow 127.0.0.1\nLogLevel Info\nDisableViaHeader Yes\n";
      for (auto p : opts.connect_ports) {
        out << "ConnectPort " << p << "\n";
      }
      if (!opts.user.empty()) {
        out << "BasicAuth " << opts.user << " " << opts.password << "\n";
      }
    }
    process_ = std::make_unique<child_process>(
        std::vector<std::string>{"tinyproxy", "-d", "-c", conf.string()}, dir / "tinyproxy.log");
    // Logged once the listening sockets exist; a bind failure ends the process (and its output).
    return process_->wait_for_output(after(std::chrono::seconds(10)), [](const std::string& log) {
      return log.find("Accepting connections") != std::string::npos;
    });
  };
  try {
    port_ = start_on_free_port(start);
    return;
  } catch (const std::runtime_error&) {
    // Reported below with the last attempt's log.
  }
  throw std::runtime_error("tinyproxy did not start: " + process_->log_tail());
}

std::string tinyproxy::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string tinyproxy::url_with_credentials(const std::string& user,
                                            const std::string& password) const {
  return "http://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port_);
}

}  // namespace visionwatch::test
