#pragma once
/// Writes admin responses on a connection: the headers every response carries (version,
/// Connection, Content-Type, Cache-Control, nosniff), the response-class counters, and the write
/// deadline. Called only by the connection coroutines (admin_session.cpp), on their thread.

#include <boost/asio/awaitable.hpp>

#include "daemon/admin/admin_connection.hpp"
#include "daemon/admin/admin_router.hpp"

namespace visionwatch::detail {

/// Writes a whole response (no body for HEAD, 1xx, 204 and 304) under the write deadline.
/// Returns false when the write failed (the connection is then unusable).
net::awaitable<bool> write_response(admin_server_state& st,
                                    admin_connection& conn,
                                    admin_response res,
                                    unsigned version,
                                    bool head,
                                    bool keep_alive);

/// Writes a streamed response (see streamed_response). Each piece is written under its own
/// write deadline, so a reader that stalls is cut off while memory stays at one piece. A body
/// that fits its first piece goes out with Content-Length, a longer one chunked (HTTP/1.1) or
/// until close (HTTP/1.0); a producer that throws before anything is written becomes a 500.
/// With `gzip` (the client accepts it) the body is gzip-compressed piece by piece
/// (Content-Encoding: gzip); either way the response says `Vary: Accept-Encoding`. Returns
/// false when the connection must be closed: a write failed, the producer threw, or the body
/// was delimited by closing.
struct stream_framing {
  unsigned version = 11;  ///< the request's HTTP version (10 or 11)
  bool head = false;      ///< a HEAD request: the headers only
  bool keep_alive = false;
  bool gzip = false;  ///< compress (the client accepts it and it pays: admin_session decides)
};
net::awaitable<bool> write_streamed(admin_server_state& st,
                                    admin_connection& conn,
                                    streamed_response res,
                                    stream_framing framing);

}  // namespace visionwatch::detail
