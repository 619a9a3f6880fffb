#include "daemon/admin/admin_writer.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>

#include "daemon/admin/gzip_stream.hpp"
#include "probes/logging.hpp"

namespace visionwatch::detail {
namespace {

void count_response(admin_server_state& st, unsigned status) {
  const unsigned cls = status / 100;
  if (cls >= 2 && cls <= 5) {
    ++st.stats.responses[cls - 1];
  }
}

/// What every response carries.
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

}  // namespace

// NOLINTBEGIN(cppcoreguidelines-avoid-reference-coroutine-parameters): awaited directly
// by run_connection's helpers, which own the state and message they reference (STYLE.md rule 9).
net::awaitable<bool> write_response(admin_server_state& st,
                                    admin_connection& conn,
                                    admin_response res,
                                    unsigned version,
                                    bool head,
                                    bool keep_alive) {
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

net::awaitable<bool> write_streamed(admin_server_state& st,
                                    admin_connection& conn,
                                    streamed_response res,
                                    stream_framing framing) {
  const auto [version, head, keep_alive, gzip] = framing;
  std::string piece;
  std::string compressed;  // one piece's gzip output, reused for every piece
  std::optional<gzip_stream> zip;
  bool more = false;
  bool failed = false;
  try {
    if (!res.next) {
      throw std::runtime_error("no body producer");
    }
    more = res.next(piece);
    if (gzip) {
      zip.emplace();
      if (!more || !head) {  // a HEAD of a chunked body needs none of it
        zip->write(piece, !more, compressed);
      }
    }
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
  // The same URL answers in two encodings: a cache must key on Accept-Encoding.
  res.head.set(http::field::vary, "Accept-Encoding");
  if (zip) {
    res.head.set(http::field::content_encoding, "gzip");
  }
  // From here on, the bytes to send of the current piece.
  std::string& body = zip ? compressed : piece;
  if (!more) {  // it all fit in one piece: an ordinary response with Content-Length
    res.head.body() = std::move(body);
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
    // Never an empty chunk: that would be the last one. (deflate may emit nothing for a piece.)
    if (!body.empty()) {
      conn.stream.expires_after(st.options.write_timeout);
      boost::system::error_code ec;
      if (chunked) {
        std::tie(ec, std::ignore) = co_await net::async_write(
            conn.stream, http::make_chunk(net::buffer(body)), use_nothrow);
      } else {
        std::tie(ec, std::ignore) =
            co_await net::async_write(conn.stream, net::buffer(body), use_nothrow);
      }
      if (ec) {
        co_return false;
      }
    }
    if (!more) {
      break;
    }
    piece.clear();
    compressed.clear();
    try {
      more = res.next(piece);
      if (zip) {
        zip->write(piece, !more, compressed);
      }
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

// NOLINTEND(cppcoreguidelines-avoid-reference-coroutine-parameters)
}  // namespace visionwatch::detail
