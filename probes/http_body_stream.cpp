#include "probes/http_body_stream.hpp"

#include <boost/beast/http.hpp>
#include <limits>
#include <string>

#include "probes/text_util.hpp"
#include "probes/transport_errors.hpp"

namespace visionwatch {
namespace {

/// One read's worth of body: small enough that an event is handed on as soon as it arrives,
/// big enough that a fast stream costs few calls.
constexpr std::size_t stream_chunk = std::size_t{16} * 1024;

}  // namespace

// NOLINTBEGIN(cppcoreguidelines-avoid-reference-coroutine-parameters): awaited directly by
// impl::send, which owns them.
net::awaitable<streamed_read> read_streamed_response(any_http_stream& stream,
                                                     beast::flat_buffer& buffer,
                                                     const client_options& options,
                                                     bool head,
                                                     streamed_read_target to) {
  body_sink& sink = to.sink;
  phase_clock& clock = to.clock;
  http_result& result = to.result;
  streamed_read out;
  for (;;) {
    http::response_parser<http::buffer_body> parser;
    limit_response_parser(parser, options, head);
    auto [hec, hn] = co_await std::visit(
        [&](auto& s) { return http::async_read_header(s, buffer, parser, use_nothrow); }, stream);
    if (hec) {
      out.ec = hec;
      co_return out;
    }
    auto& msg = parser.get();
    if (!take_final_head(msg, result)) {
      continue;  // an interim answer has no body
    }
    const unsigned status = result.status;
    const bool to_sink = sink.on_headers(status, result.headers) && !parser.is_done();
    result.streamed = to_sink;
    std::string chunk(stream_chunk, '\0');
    while (!parser.is_done()) {
      msg.body().data = chunk.data();
      msg.body().size = chunk.size();
      auto [ec, n] = co_await std::visit(
          [&](auto& s) { return http::async_read_some(s, buffer, parser, use_nothrow); }, stream);
      if (ec == http::error::need_buffer) {
        ec = {};  // the chunk is full: hand it on and read on
      }
      const std::size_t got = chunk.size() - msg.body().size;
      if (got > 0 && to_sink) {
        const body_progress p = sink.on_body(std::string_view(chunk.data(), got));
        if (p.text_seen) {
          clock.mark_first_token();
        }
        if (p.stop) {
          out.done = true;  // the sink has what it needs; the connection is not reused
          co_return out;
        }
      } else if (got > 0) {
        result.body.append(chunk.data(), got);
      }
      if (ec) {
        if (to_sink && (is_closed(ec) || is_reset(ec) || ec == http::error::partial_message)) {
          result.stream_interrupted = "the connection closed mid-stream (" + ec.message() + ")";
          out.done = true;
          co_return out;
        }
        out.ec = ec;
        co_return out;
      }
    }
    out.done = true;
    out.keep_alive = msg.keep_alive() && status != 101;
    co_return out;
  }
}
net::awaitable<streamed_read> read_whole_response(any_http_stream& stream,
                                                  beast::flat_buffer& buffer,
                                                  const client_options& options,
                                                  bool head,
                                                  http_result& result) {
  streamed_read out;
  for (;;) {
    http::response_parser<http::string_body> parser;
    limit_response_parser(parser, options, head);
    auto [ec, n] = co_await std::visit(
        [&](auto& s) { return http::async_read(s, buffer, parser, use_nothrow); }, stream);
    if (ec) {
      out.ec = ec;
      co_return out;
    }
    auto& msg = parser.get();
    if (!take_final_head(msg, result)) {
      continue;
    }
    result.body = std::move(msg.body());
    out.keep_alive = msg.keep_alive() && result.status != 101;
    out.done = true;
    co_return out;
  }
}
// NOLINTEND(cppcoreguidelines-avoid-reference-coroutine-parameters)

}  // namespace visionwatch
