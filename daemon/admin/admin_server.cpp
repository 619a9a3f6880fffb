#include "daemon/admin/admin_server.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <list>
#include <stdexcept>

#include "probes/logging.hpp"

namespace visionwatch {

using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace detail {

/// One accepted connection. The registry in `state` and the serving coroutine share it, so
/// stop() can close idle sockets and cancel handlers that outlive the grace period.
struct admin_connection {
  explicit admin_connection(tcp::socket socket) : stream(std::move(socket)) {
    boost::system::error_code ec;
    remote = stream.socket().remote_endpoint(ec);
  }
  beast::tcp_stream stream;
  tcp::endpoint remote;
  /// Between requests (nothing of the next one received): stop() may close it right away.
  bool busy = false;
  net::cancellation_signal cancel;  ///< terminal cancellation after the grace period
  std::list<std::shared_ptr<admin_connection>>::iterator self;
};

}  // namespace detail

namespace {

using connection = detail::admin_connection;

// A connection that is closed after an error may still have request bytes in flight; closing
// with unread data makes the kernel send RST, which can destroy our error response before the
// client reads it. So we half-close and drain for a short, bounded while first.
constexpr auto linger_time = 1000ms;
constexpr std::size_t linger_bytes = std::size_t{256} * 1024;
// Room for the header plus one read's worth of pipelined bytes; bodies stream into the parser.
constexpr std::size_t buffer_slack = std::size_t{16} * 1024;
constexpr std::size_t read_chunk = 4096;
constexpr auto accept_backoff = 100ms;  // after EMFILE and friends, instead of a hot loop

std::string endpoint_string(const tcp::endpoint& ep) {
  const auto addr = ep.address().to_string();
  const auto port = std::to_string(ep.port());
  return ep.address().is_v6() ? "[" + addr + "]:" + port : addr + ":" + port;
}

bool is_safe_method(http::verb v) noexcept { return v == http::verb::get || v == http::verb::head; }

std::array<unsigned char, EVP_MAX_MD_SIZE> sha256(std::string_view data, unsigned& size) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 digest failed");
  }
  return out;
}

}  // namespace

struct detail::admin_server_state {
  admin_server_state(net::any_io_executor ex,
                     admin_server_options o,
                     admin_router r,
                     tcp::endpoint ep)
      : executor(std::move(ex)),
        options(std::move(o)),
        router(std::move(r)),
        endpoint(ep),
        acceptor(executor),
        drained(executor) {}

  net::any_io_executor executor;
  admin_server_options options;
  admin_router router;
  tcp::endpoint endpoint;  ///< configured, then the bound one after start()
  tcp::acceptor acceptor;
  std::list<std::shared_ptr<connection>> connections;
  std::size_t rejecting = 0;  ///< over-limit connections being answered 503
  net::steady_timer drained;  ///< cancelled when the last connection goes during stop()
  bool started = false;
  bool stopping = false;
  admin_server_stats stats;
};

namespace {

using state = detail::admin_server_state;
using state_ptr = std::shared_ptr<state>;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pure helpers

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

std::optional<http::status> status_for_read_error(const boost::system::error_code& ec,
                                                  bool header_done) {
  if (ec == http::error::header_limit) {
    return http::status::request_header_fields_too_large;
  }
  if (ec == http::error::body_limit) {
    return http::status::payload_too_large;
  }
  if (ec == http::error::buffer_overflow) {
    // The header did not fit the read buffer (it is only slightly larger than header_limit);
    // in the body, a chunk-size line that long is simply malformed.
    return header_done ? http::status::bad_request : http::status::request_header_fields_too_large;
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return std::nullopt;  // the peer went away mid-request: nobody to answer
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
    return http::status::bad_request;  // every other parse error: bad method, version, chunk...
  }
  return std::nullopt;  // timeout, reset, stop: the socket is gone or going
}

bool bearer_token_matches(std::string_view authorization, std::string_view token) {
  if (token.empty() || authorization.size() < 7 ||
      !beast::iequals(authorization.substr(0, 7), "Bearer ")) {
    return false;
  }
  std::string_view presented = authorization.substr(7);
  // Digests have a fixed length, so CRYPTO_memcmp's time depends on neither the content nor
  // the length of the secret.
  unsigned a_size = 0;
  unsigned b_size = 0;
  const auto a = sha256(presented, a_size);
  const auto b = sha256(token, b_size);
  return a_size == b_size && CRYPTO_memcmp(a.data(), b.data(), a_size) == 0;
}

// ---------------------------------------------------------------------------------------------
// Connection handling

namespace {

void count_response(state& st, unsigned status) {
  const unsigned cls = status / 100;
  if (cls >= 2 && cls <= 5) {
    ++st.stats.responses[cls - 1];
  }
}

/// Fills in what every response carries, then writes it under the write deadline.
/// Returns false when the write failed (the connection is then unusable).
void common_headers(admin_response& res, unsigned version, bool keep_alive) {
  res.version(version == 10 ? 10 : 11);
  res.keep_alive(keep_alive);
  if (res.find(http::field::content_type) == res.end()) {
    res.set(http::field::content_type, "text/plain; charset=utf-8");
  }
  if (res.find(http::field::cache_control) == res.end()) {
    res.set(http::field::cache_control, "no-store");
  }
  res.set("X-Content-Type-Options", "nosniff");
}

net::awaitable<bool> write_response(
    state& st, connection& conn, admin_response res, unsigned version, bool head, bool keep_alive) {
  common_headers(res, version, keep_alive);
  const unsigned code = res.result_int();
  if (code < 200 || code == 204 || code == 304) {
    // These never carry a body (and Beast's prepare_payload throws if one is set).
    res.body().clear();
  }
  res.prepare_payload();
  count_response(st, res.result_int());
  conn.stream.expires_after(st.options.write_timeout);
  boost::system::error_code ec;
  if (head) {
    // Same headers (Content-Length included) as for GET, no body.
    http::response<http::empty_body> header_only{std::move(res.base())};
    std::tie(ec, std::ignore) = co_await http::async_write(conn.stream, header_only, use_nothrow);
  } else {
    std::tie(ec, std::ignore) = co_await http::async_write(conn.stream, res, use_nothrow);
  }
  co_return !ec;
}

/// Writes a streamed response (see streamed_response). Each piece is written under its own
/// write deadline, so a reader that stalls is cut off while memory stays at one piece. Returns
/// false when the connection must be closed: a write failed, the producer threw, or the body
/// was delimited by closing (HTTP/1.0).
net::awaitable<bool> write_streamed(state& st,
                                    connection& conn,
                                    streamed_response res,
                                    unsigned version,
                                    bool head,
                                    bool keep_alive) {
  std::string piece;
  bool more = false;
  bool failed = false;
  try {
    if (!res.next) {
      throw std::runtime_error("no body producer");
    }
    more = res.next(piece);
  } catch (const std::exception& e) {
    log_event(spdlog::level::err, "admin stream failed", {{"error", e.what()}});
    failed = true;
  }
  if (failed) {  // nothing is written yet: an ordinary error response (no co_await in a handler)
    co_await write_response(st,
                            conn,
                            error_response(http::status::internal_server_error, "internal error"),
                            version,
                            head,
                            false);
    co_return false;
  }
  if (!more) {  // it all fit in one piece: an ordinary response with Content-Length
    res.head.body() = std::move(piece);
    const bool written =
        co_await write_response(st, conn, std::move(res.head), version, head, keep_alive);
    co_return written&& keep_alive;
  }
  const bool chunked = version == 11;
  common_headers(res.head, version, keep_alive && chunked);
  count_response(st, res.head.result_int());
  http::response<http::empty_body> header{std::move(res.head.base())};
  header.chunked(chunked);
  http::response_serializer<http::empty_body> serializer{header};
  conn.stream.expires_after(st.options.write_timeout);
  auto [hec, hn] = co_await http::async_write_header(conn.stream, serializer, use_nothrow);
  if (hec) {
    co_return false;
  }
  if (head) {
    co_return chunked&& keep_alive;
  }
  for (;;) {
    if (!piece.empty()) {
      conn.stream.expires_after(st.options.write_timeout);
      boost::system::error_code ec;
      if (chunked) {
        std::tie(ec, std::ignore) = co_await net::async_write(
            conn.stream, http::make_chunk(net::buffer(piece)), use_nothrow);
      } else {
        std::tie(ec, std::ignore) =
            co_await net::async_write(conn.stream, net::buffer(piece), use_nothrow);
      }
      if (ec) {
        co_return false;
      }
    }
    if (!more) {
      break;
    }
    piece.clear();
    try {
      more = res.next(piece);
    } catch (const std::exception& e) {
      // Headers are out: all that can be done is to cut the body short, which the client sees
      // as a truncated response (no last chunk), never as a complete one.
      log_event(spdlog::level::err, "admin stream failed", {{"error", e.what()}});
      co_return false;
    }
  }
  if (!chunked) {
    co_return false;
  }
  conn.stream.expires_after(st.options.write_timeout);
  auto [lec, ln] = co_await net::async_write(conn.stream, http::make_chunk_last(), use_nothrow);
  co_return !lec && keep_alive;
}

void close_now(connection& conn) {
  boost::system::error_code ec;
  conn.stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  conn.stream.close();
}

net::awaitable<void> linger_close(const admin_server_options& options, connection& conn) {
  boost::system::error_code ec;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  conn.stream.expires_after(std::min<std::chrono::milliseconds>(options.read_timeout, linger_time));
  std::array<char, 4096> sink;
  std::size_t total = 0;
  while (total < linger_bytes) {
    auto [rec, n] = co_await conn.stream.async_read_some(net::buffer(sink), use_nothrow);
    if (rec) {
      break;
    }
    total += n;
  }
  conn.stream.close();
}

/// Answers a request that cannot be read to the end, then closes.
net::awaitable<void> fail_read(state& st,
                               connection& conn,
                               const boost::system::error_code& ec,
                               bool header_done) {
  if (ec == beast::error::timeout) {
    ++st.stats.read_timeouts;
  }
  const auto status = status_for_read_error(ec, header_done);
  if (!status) {
    close_now(conn);
    co_return;
  }
  std::string_view message = "malformed request";
  if (*status == http::status::request_header_fields_too_large) {
    message = "request header too large";
  } else if (*status == http::status::payload_too_large) {
    message = "request body too large";
  }
  if (co_await write_response(st, conn, error_response(*status, message), 11, false, false)) {
    co_await linger_close(st.options, conn);
  } else {
    close_now(conn);
  }
}

net::awaitable<admin_response> call_handler(const admin_router::route& route,
                                            admin_request request) {
  try {
    if (route.sync_handler) {
      co_return route.sync_handler(request);
    }
    co_return co_await route.async_handler(std::move(request));
  } catch (const boost::system::system_error& e) {
    // Cancelled by stop() after the grace period: expected at shutdown, not a handler bug.
    const bool cancelled = e.code() == net::error::operation_aborted;
    log_event(cancelled ? spdlog::level::warn : spdlog::level::err,
              cancelled ? "admin handler cancelled" : "admin handler failed",
              {{"method", std::string(http::to_string(route.method))},
               {"route", route.pattern},
               {"error", e.what()}});
  } catch (const std::exception& e) {
    // The one boundary where a handler's failure becomes a response; the daemon keeps serving.
    log_event(spdlog::level::err,
              "admin handler failed",
              {{"method", std::string(http::to_string(route.method))},
               {"route", route.pattern},
               {"error", e.what()}});
  }
  co_return error_response(http::status::internal_server_error, "internal error");
}

/// Answers a request from its header alone (error, 401). If a body is still unread the
/// connection cannot be reused (its framing would have to be skipped), so it is closed after the
/// response. Returns true when the connection stays open.
net::awaitable<bool> answer_early(state& st,
                                  connection& conn,
                                  const http::request_parser<http::string_body>& parser,
                                  bool head,
                                  admin_response res) {
  const auto& header = parser.get();
  const bool keep = parser.is_done() && header.keep_alive() && !st.stopping;
  const bool written =
      co_await write_response(st, conn, std::move(res), header.version(), head, keep);
  if (written && keep) {
    co_return true;
  }
  if (written && !parser.is_done()) {
    co_await linger_close(st.options, conn);
  } else {
    close_now(conn);
  }
  co_return false;
}

/// Reads the request header into `parser`, at most `limit` bytes in all. Not
/// http::async_read_header: Beast 1.81's header_limit only bounds the bytes not yet consumed,
/// and complete fields are consumed as they arrive, so a header trickled in over several reads
/// passes at any total size (measured: 700 fields, 10 KiB, pass an 8 KiB limit). Counting the
/// consumed bytes here closes that.
net::awaitable<boost::system::error_code> read_header(
    connection& conn,
    beast::flat_buffer& buffer,
    http::request_parser<http::string_body>& parser,
    std::size_t limit) {
  std::size_t consumed = 0;
  for (;;) {
    if (buffer.size() > 0) {
      boost::system::error_code ec;
      const auto n = parser.put(buffer.data(), ec);
      buffer.consume(n);
      consumed += n;
      if (ec && ec != http::error::need_more) {
        co_return ec;
      }
      if (parser.is_header_done()) {
        co_return boost::system::error_code{};
      }
      // Not done: what is left in the buffer is an incomplete line of this same header.
      if (consumed + buffer.size() >= limit) {
        co_return http::error::header_limit;
      }
    }
    const auto room = buffer.max_size() - buffer.size();
    if (room == 0) {
      co_return http::error::buffer_overflow;
    }
    auto [ec, n] = co_await conn.stream.async_read_some(buffer.prepare(std::min(read_chunk, room)),
                                                        use_nothrow);
    if (ec == net::error::eof) {
      if (!parser.got_some()) {
        co_return http::error::end_of_stream;
      }
      boost::system::error_code eof_ec;
      parser.put_eof(eof_ec);
      co_return eof_ec ? eof_ec : http::error::partial_message;
    }
    if (ec) {
      co_return ec;
    }
    buffer.commit(n);
  }
}

/// Reads, routes, answers one request. Returns true when the connection stays open for the
/// next one; otherwise the connection has been closed.
net::awaitable<bool> serve_request(state& st, connection& conn, beast::flat_buffer& buffer) {
  const auto& o = st.options;
  http::request_parser<http::string_body> parser;  // a fresh parser per message
  parser.header_limit(static_cast<std::uint32_t>(o.header_limit));
  parser.body_limit(o.body_limit);

  const auto hec = co_await read_header(conn, buffer, parser, o.header_limit);
  if (hec) {
    co_await fail_read(st, conn, hec, false);
    co_return false;
  }
  const auto& header = parser.get();
  const unsigned version = header.version();
  const bool head = header.method() == http::verb::head;
  const auto started = std::chrono::steady_clock::now();

  // Beast 1.81 already rejects other versions as bad_version (400); this guards the day it
  // parses them.
  if (version != 10 && version != 11) {
    co_return co_await answer_early(
        st,
        conn,
        parser,
        head,
        error_response(http::status::http_version_not_supported, "only HTTP/1.0 and 1.1"));
  }
  if (version == 11 && header.find(http::field::host) == header.end()) {
    co_return co_await answer_early(
        st, conn, parser, head, error_response(http::status::bad_request, "missing Host header"));
  }

  admin_request request;
  request.remote = conn.remote;
  request.message.method_string(header.method_string());
  request.message.target(header.target());
  const auto match = st.router.match(request);
  switch (match.kind) {
    case admin_router::match_kind::bad_request:
      co_return co_await answer_early(
          st, conn, parser, head, error_response(http::status::bad_request, match.error));
    case admin_router::match_kind::not_found:
      co_return co_await answer_early(
          st, conn, parser, head, error_response(http::status::not_found, "not found"));
    case admin_router::match_kind::method_not_allowed: {
      auto res = error_response(http::status::method_not_allowed, "method not allowed");
      res.set(http::field::allow, match.allow);
      co_return co_await answer_early(st, conn, parser, head, std::move(res));
    }
    case admin_router::match_kind::matched:
      break;
  }
  if (!is_safe_method(header.method()) && !o.token.empty()) {
    const auto auth = header.find(http::field::authorization);
    if (auth == header.end() || !bearer_token_matches(auth->value(), o.token)) {
      // Never echo or log what was presented.
      auto res = error_response(http::status::unauthorized, "missing or invalid bearer token");
      res.set(http::field::www_authenticate, "Bearer realm=\"visionwatch\"");
      co_return co_await answer_early(st, conn, parser, head, std::move(res));
    }
  }

  if (!parser.is_done()) {
    const auto expect = header.find(http::field::expect);
    if (version == 11 && expect != header.end() &&
        beast::iequals(expect->value(), "100-continue")) {
      static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [cec, cn] = co_await net::async_write(
          conn.stream, net::buffer(continue_line.data(), continue_line.size()), use_nothrow);
      if (cec) {
        close_now(conn);
        co_return false;
      }
    }
    auto [bec, bn] = co_await http::async_read(conn.stream, buffer, parser, use_nothrow);
    if (bec) {
      co_await fail_read(st, conn, bec, true);
      co_return false;
    }
  }

  const bool client_keep_alive = parser.get().keep_alive();
  request.message = parser.release();
  const std::string method(request.message.method_string());
  const std::string path = request.path;
  unsigned status = 0;
  bool stay_open = false;
  if (match.handler->stream_handler) {
    streamed_response streamed;  // no producer if the handler throws: write_streamed sends a 500
    try {
      streamed = match.handler->stream_handler(request);
    } catch (const std::exception& e) {
      log_event(spdlog::level::err,
                "admin handler failed",
                {{"method", method}, {"route", match.handler->pattern}, {"error", e.what()}});
    }
    const bool keep = client_keep_alive && !st.stopping;
    status = streamed.next ? streamed.head.result_int() : 500;
    stay_open = co_await write_streamed(st, conn, std::move(streamed), version, head, keep);
  } else {
    auto res = co_await call_handler(*match.handler, std::move(request));
    const bool keep = client_keep_alive && !st.stopping;  // stop() may have come meanwhile
    status = res.result_int();
    const bool written = co_await write_response(st, conn, std::move(res), version, head, keep);
    stay_open = written && keep;
  }
  if (spdlog::should_log(spdlog::level::debug)) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    log_event(spdlog::level::debug,
              "admin request",
              {{"method", method},
               {"path", path},
               {"status", std::to_string(status)},
               {"duration_ms", std::to_string(ms.count())}});
  }
  if (stay_open) {
    co_return true;
  }
  close_now(conn);
  co_return false;
}

net::awaitable<void> run_connection(state_ptr st, std::shared_ptr<connection> conn) {
  // Cancellation after the grace period shows up as operation_aborted error codes (and as
  // exceptions inside handlers), not as an exception at every later co_await here.
  co_await net::this_coro::throw_if_cancelled(false);
  const auto& o = st->options;
  beast::flat_buffer buffer(o.header_limit + buffer_slack);
  bool first = true;
  for (;;) {
    if (buffer.size() == 0) {
      conn->busy = false;
      if (st->stopping) {
        break;
      }
      // The first request's deadline runs from accept (one timer for the whole request,
      // waiting included); a kept-alive connection waits idle_timeout for the next first byte.
      conn->stream.expires_after(first ? o.read_timeout : o.idle_timeout);
      auto [ec, n] = co_await conn->stream.async_read_some(buffer.prepare(read_chunk), use_nothrow);
      if (ec) {
        if (ec == beast::error::timeout && first) {
          ++st->stats.read_timeouts;
        }
        break;
      }
      buffer.commit(n);
    }
    conn->busy = true;
    if (!first) {
      conn->stream.expires_after(o.read_timeout);
    }
    first = false;
    if (!co_await serve_request(*st, *conn, buffer)) {
      co_return;
    }
  }
  close_now(*conn);
}

/// Over the connection limit: a short 503 under a short deadline, then close. Bounded by
/// max_connections concurrent rejections; beyond that the socket is closed at once.
net::awaitable<void> reject_connection(state_ptr st, tcp::socket socket) {
  connection conn(std::move(socket));
  auto res = error_response(http::status::service_unavailable, "too many connections");
  res.set(http::field::retry_after, "1");
  if (co_await write_response(*st, conn, std::move(res), 11, false, false)) {
    co_await linger_close(st->options, conn);
  } else {
    close_now(conn);
  }
}

void spawn_connection(const state_ptr& st, tcp::socket socket) {
  auto conn = std::make_shared<connection>(std::move(socket));
  st->connections.push_front(conn);
  conn->self = st->connections.begin();
  net::co_spawn(
      st->executor,
      run_connection(st, conn),
      net::bind_cancellation_slot(conn->cancel.slot(), [st, conn](std::exception_ptr e) {
        st->connections.erase(conn->self);
        if (st->stopping && st->connections.empty()) {
          st->drained.cancel();
        }
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            // A bug in one connection must not take the daemon down.
            log_event(spdlog::level::err, "admin connection failed", {{"error", ex.what()}});
          }
        }
      }));
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
      ++st->rejecting;
      net::co_spawn(
          st->executor, reject_connection(st, std::move(socket)), [st](std::exception_ptr e) {
            --st->rejecting;
            if (e) {
              std::rethrow_exception(e);
            }
          });
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
  state_ = std::make_shared<detail::admin_server_state>(
      std::move(executor), std::move(options), std::move(router), *parsed.endpoint);
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
  net::co_spawn(st.executor, accept_loop(state_), [](std::exception_ptr e) {
    if (e) {
      std::rethrow_exception(e);
    }
  });
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

admin_server_stats admin_server::stats() const {
  auto s = state_->stats;
  s.connections_open = state_->connections.size();
  return s;
}

}  // namespace visionwatch
