#pragma once
/// The http client's reading of a streamed response (http_request::sink set): the head, then
/// the body piece by piece as it arrives, handed to the sink, with the same header cap, body cap
/// and deadline as a whole-body read; and the whole-body read itself. Internal to probes/
/// (http_client.cpp calls them).

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>

#include "probes/http_types.hpp"
#include "probes/net.hpp"
#include "probes/phase_clock.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {

using any_http_stream = std::variant<beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>>;

struct streamed_read {
  boost::system::error_code ec;  ///< a failure the caller maps to a transport outcome
  bool done = false;             ///< the response is in the result (body in the sink or body)
  bool keep_alive = false;       ///< the connection may serve another request
};

/// Where read_streamed_response delivers (all owned by the request, impl::send).
struct streamed_read_target {
  body_sink& sink;
  phase_clock& clock;
  http_result& result;
};

/// A response parser's header and body caps from `options`; a HEAD's response has no body.
template <class Parser>
void limit_response_parser(Parser& parser, const client_options& options, bool head) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options.header_limit, std::numeric_limits<std::uint32_t>::max())));
  // The parser rejects a Content-Length above the cap before the body reserves any memory, and
  // counts chunked and close-delimited bodies as they arrive.
  parser.body_limit(std::uint64_t{options.body_limit});
  if (head) {
    parser.skip(true);
  }
}

/// A parsed response head: false for an interim answer (100 Continue, 103 Early Hints), which
/// precedes the real one; otherwise its status and headers go into `result`.
template <class Header>
bool take_final_head(const Header& msg, http_result& result) {
  const unsigned status = msg.result_int();
  if (status >= 100 && status < 200 && status != 101) {
    return false;
  }
  result.status = status;
  result.headers.clear();
  for (const auto& f : msg) {
    result.headers.emplace_back(ascii_lower(f.name_string()), std::string(f.value()));
  }
  return true;
}

/// Reads the final response (skipping 1xx interim ones) into `result`: status and headers, then
/// the body either to `sink` (when its on_headers() takes it; result.streamed) or into
/// result.body. Marks the first text on `clock` when the sink first reports it. A streamed body
/// cut by the peer (EOF, reset, partial chunk) is still a response: done, with
/// result.stream_interrupted saying how it ended; a timeout, the caps and protocol errors come
/// back in `ec`. The bytes of one read are at most `chunk_bytes`.
// NOLINTBEGIN(cppcoreguidelines-avoid-reference-coroutine-parameters): awaited directly by
// impl::send, which owns them.
net::awaitable<streamed_read> read_streamed_response(any_http_stream& stream,
                                                     beast::flat_buffer& buffer,
                                                     const client_options& options,
                                                     bool head,
                                                     streamed_read_target to);
/// Reads the final response (skipping 1xx interim ones) whole into `result`: status, headers
/// and body, under the header and body caps; a failure comes back in `ec`.
net::awaitable<streamed_read> read_whole_response(any_http_stream& stream,
                                                  beast::flat_buffer& buffer,
                                                  const client_options& options,
                                                  bool head,
                                                  http_result& result);
// NOLINTEND(cppcoreguidelines-avoid-reference-coroutine-parameters)

}  // namespace visionwatch
