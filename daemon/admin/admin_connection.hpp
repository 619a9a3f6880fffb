#pragma once
/// Internal to the admin server: one accepted connection, and the state that the listener
/// (admin_server.cpp) shares with the connection coroutines (admin_session.cpp) and the response
/// writer (admin_writer.cpp). Not part of the admin API. One io_context thread.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstddef>
#include <list>
#include <memory>

#include "daemon/admin/admin_origin.hpp"
#include "daemon/admin/admin_router.hpp"
#include "daemon/admin/admin_server.hpp"
#include "probes/net.hpp"

namespace visionwatch::detail {

/// One accepted connection. The registry in `admin_server_state` and the serving coroutine share
/// it, so stop() can close idle sockets and cancel handlers that outlive the grace period.
struct admin_connection {
  explicit admin_connection(net::ip::tcp::socket socket) : stream(std::move(socket)) {
    boost::system::error_code ec;
    remote = stream.socket().remote_endpoint(ec);
    local = stream.socket().local_endpoint(ec);
  }
  beast::tcp_stream stream;
  net::ip::tcp::endpoint remote;
  net::ip::tcp::endpoint local;  ///< the address the client connected to (Host checks)
  /// Between requests (nothing of the next one received): stop() may close it right away.
  bool busy = false;
  net::cancellation_signal cancel;  ///< terminal cancellation after the grace period
  std::list<std::shared_ptr<admin_connection>>::iterator self;
};

/// Everything the server owns; shared with the connection coroutines, which may outlive it.
struct admin_server_state {
  admin_server_state(net::any_io_executor ex,
                     admin_server_options o,
                     admin_router r,
                     admin_host_policy hp,
                     net::ip::tcp::endpoint ep)
      : executor(std::move(ex)),
        options(std::move(o)),
        router(std::move(r)),
        host_policy(std::move(hp)),
        endpoint(std::move(ep)),
        acceptor(executor),
        drained(executor) {}

  net::any_io_executor executor;
  admin_server_options options;
  admin_router router;
  admin_host_policy host_policy;    ///< Host, Origin and Content-Type rules (admin_origin.hpp)
  net::ip::tcp::endpoint endpoint;  ///< configured, then the bound one after start()
  net::ip::tcp::acceptor acceptor;
  std::list<std::shared_ptr<admin_connection>> connections;
  std::size_t rejecting = 0;  ///< over-limit connections being answered 503
  net::steady_timer drained;  ///< cancelled when the last connection goes during stop()
  bool started = false;
  bool stopping = false;
  admin_server_stats stats;
};

using admin_state_ptr = std::shared_ptr<admin_server_state>;

}  // namespace visionwatch::detail
