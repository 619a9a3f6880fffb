#pragma once
/// A real admin_server on 127.0.0.1:0 (or another listen address) running on its own
/// io_context thread, so a test thread can drive it with blocking raw sockets. Everything that
/// touches the server is marshalled onto that thread.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "daemon/admin/admin_server.hpp"
#include "tests/support/wait_until.hpp"

namespace visionwatch::test {

class admin_server_runner {
 public:
  /// Starts the server (exceptions from start() propagate) and then the io thread.
  admin_server_runner(admin_server_options options, admin_router router);
  /// Stops (1 s grace) unless stop() was called, then joins the thread.
  ~admin_server_runner();
  admin_server_runner(const admin_server_runner&) = delete;
  admin_server_runner& operator=(const admin_server_runner&) = delete;

  [[nodiscard]] unsigned short port() const noexcept { return port_; }
  /// A snapshot taken on the io thread.
  admin_server_stats stats();
  /// Runs admin_server::stop(grace) on the io thread and blocks until it returns.
  void stop(std::chrono::milliseconds grace);
  /// Checks `stats()` until `pred` holds or `timeout` passes (wait_until: the server has no
  /// event for its counters); returns the last value of `pred`.
  template <class Pred>
  bool wait_for_stats(Pred pred, std::chrono::milliseconds timeout) {
    return wait_until(after(timeout), [&] { return pred(stats()); });
  }

  net::io_context& io() noexcept { return io_; }

 private:
  net::io_context io_;
  // Keeps run() going after stop() so stats() still works; the destructor ends it.
  net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
  std::optional<admin_server> server_;
  unsigned short port_ = 0;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace visionwatch::test
