#pragma once
/// The http client's reading of a streamed response (http_request::sink set): the head, then
/// the body piece by piece as it arrives, handed to the sink, with the same header cap, body cap
/// and deadline as a whole-body read. Internal to probes/ (http_client.cpp calls it).

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <variant>

#include "probes/http_types.hpp"
#include "probes/net.hpp"
#include "probes/phase_clock.hpp"

namespace visionwatch {

using any_http_stream = std::variant<beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>>;

struct streamed_read {
  boost::system::error_code ec;  ///< a failure the caller maps to a transport outcome
  bool done = false;             ///< the response is in the result (body in the sink or body)
  bool keep_alive = false;       ///< the connection may serve another request
};

/// Reads the final response (skipping 1xx interim ones) into `result`: status and headers, then
/// the body either to `sink` (when its on_headers() takes it; result.streamed) or into
/// result.body. Marks the first text on `clock` when the sink first reports it. A streamed body
/// cut by the peer (EOF, reset, partial chunk) is still a response: done, with
/// result.stream_interrupted saying how it ended; a timeout, the caps and protocol errors come
/// back in `ec`. The bytes of one read are at most `chunk_bytes`.
net::awaitable<streamed_read> read_streamed_response(any_http_stream& stream,
                                                     beast::flat_buffer& buffer,
                                                     const client_options& options,
                                                     bool head,
                                                     body_sink& sink,
                                                     phase_clock& clock,
                                                     http_result& result);

}  // namespace visionwatch
