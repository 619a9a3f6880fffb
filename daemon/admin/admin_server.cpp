#include "daemon/admin/admin_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <charconv>
#include <exception>
#include <stdexcept>
#include <vector>

#include "daemon/admin/admin_connection.hpp"
#include "daemon/admin/admin_session.hpp"
#include "probes/logging.hpp"

// The listener and the server's lifecycle; one connection's requests are served in
// admin_session.cpp, responses written in admin_writer.cpp.

namespace visionwatch {

using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

using connection = detail::admin_connection;
using state_ptr = detail::admin_state_ptr;
using detail::reject_connection;
using detail::run_connection;

constexpr auto accept_backoff = 100ms;  // after EMFILE and friends, instead of a hot loop

std::string endpoint_string(const tcp::endpoint& ep) {
  const auto addr = ep.address().to_string();
  const auto port = std::to_string(ep.port());
  return ep.address().is_v6() ? "[" + addr + "]:" + port : addr + ":" + port;
}

}  // namespace

listen_address_result parse_listen_endpoint(std::string_view text) {
  listen_address_result r;
  const std::string quoted = "listen address \"" + std::string(text) + "\"";
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      r.error = quoted + ": expected [IPv6]:port, e.g. [::1]:9464";
      return r;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      r.error = quoted + ": expected host:port, e.g. 127.0.0.1:9464";
      return r;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      r.error = quoted + ": put an IPv6 address in brackets, e.g. [::1]:9464";
      return r;
    }
    if (host.empty()) {
      r.error = quoted + ": missing address; use 0.0.0.0:PORT or [::]:PORT for all interfaces";
      return r;
    }
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
    r.error = quoted + ": port must be a number from 0 to 65535";
    return r;
  }
  boost::system::error_code aec;
  const std::string host_text(host);
  net::ip::address address;
  if (text.starts_with('[')) {
    address = net::ip::make_address_v6(host_text, aec);
  } else {
    address = net::ip::make_address_v4(host_text, aec);
  }
  if (aec) {
    r.error = quoted + ": \"" + host_text +
              "\" is not an IP address (use an address literal such as 127.0.0.1 or [::1])";
    return r;
  }
  r.endpoint = tcp::endpoint(address, static_cast<unsigned short>(value));
  return r;
}

namespace {

/// Completion of a connection coroutine: a bug in one connection must not take the daemon down,
/// so it is logged, not rethrown.
void log_connection_failure(std::exception_ptr e) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log_event(spdlog::level::err, "admin connection failed", {{"error", ex.what()}});
  }
}

void spawn_connection(const state_ptr& st, tcp::socket socket) {
  auto conn = std::make_shared<connection>(std::move(socket));
  st->connections.push_front(conn);
  conn->self = st->connections.begin();
  net::co_spawn(st->executor,
                run_connection(st, conn),
                net::bind_cancellation_slot(conn->cancel.slot(), [st, conn](std::exception_ptr e) {
                  st->connections.erase(conn->self);
                  if (st->stopping && st->connections.empty()) {
                    st->drained.cancel();
                  }
                  log_connection_failure(e);
                }));
}

// Outside the coroutine: clang-tidy-16's coroutine check takes the implicit copy constructor of
// a lambda defined in a coroutine for a reference parameter of the coroutine.
void spawn_rejection(const state_ptr& st, tcp::socket socket) {
  ++st->rejecting;
  net::co_spawn(st->executor, reject_connection(st, std::move(socket)), [st](std::exception_ptr e) {
    --st->rejecting;
    rethrow_on_error(e);
  });
}

net::awaitable<void> accept_loop(state_ptr st) {
  for (;;) {
    auto [ec, socket] = co_await st->acceptor.async_accept(use_nothrow);
    if (st->stopping || ec == net::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      // Out of file descriptors and the like: say so, and retry after a pause.
      log_event(spdlog::level::warn, "admin server accept failed", {{"error", ec.message()}});
      net::steady_timer pause(st->executor, accept_backoff);
      co_await pause.async_wait(use_nothrow);
      if (st->stopping) {
        co_return;
      }
      continue;
    }
    ++st->stats.connections_accepted;
    if (st->connections.size() >= st->options.max_connections) {
      ++st->stats.connections_rejected;
      if (st->rejecting >= st->options.max_connections) {
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      // At most max_connections rejections at once; beyond that the socket is closed at once.
      spawn_rejection(st, std::move(socket));
      continue;
    }
    spawn_connection(st, std::move(socket));
  }
}

net::awaitable<void> wait_drained(state_ptr st, std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!st->connections.empty() && std::chrono::steady_clock::now() < deadline) {
    st->drained.expires_at(deadline);
    co_await st->drained.async_wait(use_nothrow);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// admin_server

admin_server::admin_server(net::any_io_executor executor,
                           admin_server_options options,
                           admin_router router) {
  auto parsed = parse_listen_endpoint(options.listen);
  if (!parsed.endpoint) {
    throw std::invalid_argument("admin server: " + parsed.error);
  }
  if (options.require_token_for_mutations && options.token.empty()) {
    throw std::invalid_argument("admin server: listening on " + options.listen +
                                " requires a bearer token for mutating endpoints (admin_token)");
  }
  if (options.header_limit < 1024 || options.header_limit > (1u << 24)) {
    throw std::invalid_argument("admin server: header_limit must be between 1 KiB and 16 MiB");
  }
  if (options.max_connections == 0) {
    throw std::invalid_argument("admin server: max_connections must be at least 1");
  }
  if (options.read_timeout <= 0ms || options.write_timeout <= 0ms || options.idle_timeout <= 0ms) {
    throw std::invalid_argument("admin server: timeouts must be positive");
  }
  admin_host_policy hosts(options.allowed_hosts);  // throws for an invalid entry
  state_ = std::make_shared<detail::admin_server_state>(std::move(executor),
                                                        std::move(options),
                                                        std::move(router),
                                                        std::move(hosts),
                                                        *parsed.endpoint);
}

admin_server::~admin_server() {
  // Without a completed stop(): close everything now. The coroutines still hold the state and
  // finish with operation_aborted the next time the io_context runs (or are destroyed with it).
  auto& st = *state_;
  st.stopping = true;
  boost::system::error_code ec;
  st.acceptor.close(ec);
  for (const auto& c : st.connections) {
    c->stream.close();
  }
}

void admin_server::start() {
  auto& st = *state_;
  if (st.started) {
    throw std::logic_error("admin server: start() called twice");
  }
  const std::string where = endpoint_string(st.endpoint);
  auto fail = [&](std::string_view step, const boost::system::error_code& ec) {
    boost::system::error_code ignored;
    st.acceptor.close(ignored);
    return std::runtime_error("admin server: cannot " + std::string(step) + " " + where + ": " +
                              ec.message());
  };
  boost::system::error_code ec;
  st.acceptor.open(st.endpoint.protocol(), ec);
  if (ec) {
    throw fail("open a socket for", ec);
  }
  // A restart must not fail while the old process's connections sit in TIME_WAIT.
  st.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) {
    throw fail("set SO_REUSEADDR on", ec);
  }
  if (st.endpoint.address().is_v6() && st.endpoint.address().is_unspecified()) {
    // [::] serves IPv4 too, whatever net.ipv6.bindv6only says.
    st.acceptor.set_option(net::ip::v6_only(false), ec);
  }
  st.acceptor.bind(st.endpoint, ec);
  if (ec) {
    throw fail("listen on", ec);
  }
  st.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    throw fail("listen on", ec);
  }
  st.endpoint = st.acceptor.local_endpoint();
  st.started = true;
  net::co_spawn(st.executor, accept_loop(state_), rethrow_on_error);
  log_event(spdlog::level::info,
            "admin server listening",
            {{"address", endpoint_string(st.endpoint)},
             {"auth", st.options.token.empty() ? "none" : "bearer token for mutations"}});
}

net::awaitable<void> admin_server::stop(std::chrono::milliseconds grace) {
  const auto st = state_;  // keep the state alive even if we are destroyed while waiting
  if (!st->stopping) {
    st->stopping = true;
    boost::system::error_code ec;
    st->acceptor.close(ec);
    for (const auto& c : st->connections) {
      if (!c->busy) {
        c->stream.close();  // its pending read ends with operation_aborted
      }
    }
  }
  co_await wait_drained(st, grace);
  if (!st->connections.empty()) {
    // Copy: a cancellation handler may complete a connection and erase it from the list.
    const std::vector<std::shared_ptr<connection>> left(st->connections.begin(),
                                                        st->connections.end());
    log_event(spdlog::level::warn,
              "admin server grace period over, closing connections",
              {{"connections", std::to_string(left.size())}});
    for (const auto& c : left) {
      c->cancel.emit(net::cancellation_type::terminal);
      c->stream.close();
    }
    co_await wait_drained(st, 1s);
  }
}

net::ip::tcp::endpoint admin_server::local_endpoint() const { return state_->endpoint; }

unsigned short admin_server::port() const { return state_->endpoint.port(); }

void admin_server::set_host_policy(admin_host_policy hosts) noexcept {
  state_->host_policy = std::move(hosts);
}

admin_server_stats admin_server::stats() const {
  auto s = state_->stats;
  s.connections_open = state_->connections.size();
  return s;
}

}  // namespace visionwatch
