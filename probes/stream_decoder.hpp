#pragma once
/// The incremental parser of one flavour's streamed reply. The http client feeds it the body as
/// it arrives (it is a body_sink) and marks the first text it reports; after the exchange,
/// finish() gives the same neutral `reply` a whole-body parse would, plus `stream_error` when
/// the stream carried an error event after HTTP 200 or ended before its final event.
///
/// ## The stream contract (one decoder per flavour that can stream)
/// A flavour's decoder lives in `probes/<flavour>_stream.{hpp,cpp}` and is made by the
/// `make_stream` column of the flavour table (adapter.cpp); a row without one cannot stream.
/// - on_headers(): takes the body as a stream for a 2xx status whose Content-Type is not plain
///   JSON; otherwise (an error status, a gateway that ignored `stream`) the client reads the
///   body whole and finish() parses it with the flavour's parse_reply.
/// - on_body(): frames the bytes (probes/sse.hpp, probes/aws_event_stream.hpp; bounded memory,
///   any split), reports the first non-empty text delta (not a role chunk, `ping` or
///   `message_start`) and asks to stop after an error event or broken framing. Never throws.
/// - finish(): usage from the stream as the flavour sends it (the last value of a cumulative
///   count, never a sum); `well_formed` false with `parse_error` for broken framing or JSON;
///   `stream_error` for an error event or a missing final event.

#include <chrono>

#include "probes/http_types.hpp"
#include "probes/reply.hpp"

namespace visionwatch {

class stream_decoder : public body_sink {
 public:
  /// The reply of the whole exchange: from the stream when the body was streamed, else the
  /// flavour's parse_reply of http_result::body (and of a transport failure). Never throws.
  virtual reply finish(const http_result& result, std::chrono::system_clock::time_point now) = 0;
};

/// The answer of on_headers() for the SSE flavours: stream a 2xx body unless it is declared
/// JSON (`application/json`), which is one whole reply.
bool streams_body(unsigned status, const header_list& headers);

}  // namespace visionwatch
