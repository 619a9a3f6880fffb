#include "tests/support/tinyproxy.hpp"

#include <fstream>
#include <stdexcept>

#include "tests/support/test_paths.hpp"

namespace visionwatch::test {

tinyproxy::tinyproxy(options opts) {
  const auto dir = make_temp_dir("visionwatch-tinyproxy");
  const auto conf = dir / "tinyproxy.conf";
  // free_loopback_port leaves a small race with other processes; retry start-up a few times.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_loopback_port();
    {
      std::ofstream out(conf);
      out << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\n"
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
    if (wait_until([this] { return !process_->running() || wait_for_tcp(port_, after({})); },
                   after(std::chrono::seconds(10))) &&
        process_->running()) {
      return;
    }
  }
  throw std::runtime_error("tinyproxy did not start: " + process_->log_tail());
}

std::string tinyproxy::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string tinyproxy::url_with_credentials(const std::string& user,
                                            const std::string& password) const {
  return "http://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port_);
}

}  // namespace visionwatch::test
