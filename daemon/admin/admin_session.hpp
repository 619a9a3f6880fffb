#pragma once
/// One admin connection's life: reads each request under the read deadline and the header and
/// body caps, routes it, checks the bearer token, runs the handler and answers, keep-alive or
/// close. Spawned by the listener (admin_server.cpp) with its arguments by value.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "daemon/admin/admin_connection.hpp"

namespace visionwatch::detail {

/// Serves requests on `conn` until the peer leaves, an error or stop() closes it.
net::awaitable<void> run_connection(admin_state_ptr st, std::shared_ptr<admin_connection> conn);

/// Over the connection limit: a short 503 under a short deadline, then close. The caller bounds
/// how many run at once.
net::awaitable<void> reject_connection(admin_state_ptr st, net::ip::tcp::socket socket);

}  // namespace visionwatch::detail
