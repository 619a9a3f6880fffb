#include "daemon/admin/admin_session.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <variant>

#include "daemon/admin/admin_origin.hpp"
#include "daemon/admin/admin_writer.hpp"
#include "daemon/admin/gzip_stream.hpp"
#include "probes/logging.hpp"

namespace visionwatch {

using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

// A connection that is closed after an error may still have request bytes in flight; closing
// with unread data makes the kernel send RST, which can destroy our error response before the
// client reads it. So we half-close and drain for a short, bounded while first.
constexpr auto linger_time = 1000ms;
constexpr std::size_t linger_bytes = std::size_t{256} * 1024;
// Room for the header plus one read's worth of pipelined bytes; bodies stream into the parser.
constexpr std::size_t buffer_slack = std::size_t{16} * 1024;
constexpr std::size_t read_chunk = 4096;

bool is_safe_method(http::verb v) noexcept { return v == http::verb::get || v == http::verb::head; }

/// Whether the request's Accept-Encoding fields (all of them) accept gzip.
bool accepts_gzip(const http::request<http::string_body>& request) {
  std::string joined;
  const auto [first, last] = request.equal_range(http::field::accept_encoding);
  for (auto it = first; it != last; ++it) {
    joined.append(it->value().data(), it->value().size()).push_back(',');
  }
  return visionwatch::accepts_gzip(joined);
}

std::array<unsigned char, EVP_MAX_MD_SIZE> sha256(std::string_view data, unsigned& size) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 digest failed");
  }
  return out;
}

}  // namespace

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

namespace detail {
namespace {
// NOLINTBEGIN(cppcoreguidelines-avoid-reference-coroutine-parameters): helpers awaited
// directly by run_connection, which owns the state they reference (STYLE.md rule 9).

void close_now(admin_connection& conn) {
  boost::system::error_code ec;
  conn.stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  conn.stream.close();
}

net::awaitable<void> linger_close(const admin_server_options& options, admin_connection& conn) {
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
net::awaitable<void> fail_read(admin_server_state& st,
                               admin_connection& conn,
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
    if (const auto* sync = std::get_if<sync_admin_handler>(&route.handler)) {
      co_return (*sync)(request);
    }
    co_return co_await std::get<async_admin_handler>(route.handler)(std::move(request));
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
net::awaitable<bool> answer_early(admin_server_state& st,
                                  admin_connection& conn,
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
    admin_connection& conn,
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
net::awaitable<bool> serve_request(admin_server_state& st,
                                   admin_connection& conn,
                                   beast::flat_buffer& buffer) {
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
  // Before the token: a browser page on another origin is refused whatever it carries.
  if (auto refusal = st.host_policy.check(header, conn.local)) {
    log_event(spdlog::level::warn,
              "admin request refused",
              {{"rule", std::string(refusal->rule)},
               {"method", std::string(header.method_string())},
               {"path", request.path},
               {"status", std::to_string(static_cast<unsigned>(refusal->status))}});
    co_return co_await answer_early(
        st, conn, parser, head, error_response(refusal->status, refusal->message));
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
  // gzip does not pay on loopback (admin_server_options::gzip_loopback).
  const bool gzip = accepts_gzip(request.message) &&
                    (st.options.gzip_loopback || !is_loopback_client(conn.remote.address()));
  const std::string method(request.message.method_string());
  const std::string path = request.path;
  unsigned status = 0;
  bool stay_open = false;
  if (const auto* stream = std::get_if<stream_admin_handler>(&match.handler->handler)) {
    streamed_response streamed;  // no producer if the handler throws: write_streamed sends a 500
    try {
      streamed = (*stream)(request);
    } catch (const std::exception& e) {
      log_event(spdlog::level::err,
                "admin handler failed",
                {{"method", method}, {"route", match.handler->pattern}, {"error", e.what()}});
    }
    const bool keep = client_keep_alive && !st.stopping;
    status = streamed.next ? streamed.head.result_int() : 500;
    stay_open =
        co_await write_streamed(st, conn, std::move(streamed), {version, head, keep, gzip});
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

// NOLINTEND(cppcoreguidelines-avoid-reference-coroutine-parameters)
}  // namespace

net::awaitable<void> run_connection(admin_state_ptr st, std::shared_ptr<admin_connection> conn) {
  // Cancellation after the grace period shows up as operation_aborted error codes (and as
  // exceptions inside handlers), not as an exception at every later co_await here.
  co_await net::this_coro::throw_if_cancelled(false);
  // Responses go out in whole writes (a header, a body, a streamed piece): Nagle's algorithm
  // would hold a short write behind the peer's delayed ACK (40 ms) instead, and a gzip-encoded
  // /metrics is many short writes.
  boost::system::error_code nodelay_ec;
  conn->stream.socket().set_option(tcp::no_delay(true), nodelay_ec);
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

net::awaitable<void> reject_connection(admin_state_ptr st, net::ip::tcp::socket socket) {
  admin_connection conn(std::move(socket));
  auto res = error_response(http::status::service_unavailable, "too many connections");
  res.set(http::field::retry_after, "1");
  if (co_await write_response(*st, conn, std::move(res), 11, false, false)) {
    co_await linger_close(st->options, conn);
  } else {
    close_now(conn);
  }
}

}  // namespace detail
}  // namespace visionwatch
