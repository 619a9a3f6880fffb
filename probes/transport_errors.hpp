#pragma once
/// How a failed transport operation of the http client becomes an outcome and a one-line
/// reason. Reasons name the peer ("host:port") and the phase, never a header value.

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <string>

#include "probes/http_types.hpp"

namespace visionwatch {

/// Records a transport failure: `r.transport_error = o`, `r.reason = reason`.
void set_failure(http_result& r, outcome o, std::string reason);

/// "deadline of 60000 ms passed during ttfb (host:443)".
std::string deadline_reason(std::chrono::milliseconds budget, phase p, const std::string& where);

/// The peer reset or aborted the connection (ECONNRESET, EPIPE, ECONNABORTED).
bool is_reset(const boost::system::error_code& ec);
/// The peer closed the connection (EOF, HTTP end of stream, TLS close without close_notify).
bool is_closed(const boost::system::error_code& ec);

/// Where and under which limits an exchange failed: what map_exchange_error's reason names.
struct exchange_failure {
  phase at = phase::send;  ///< the phase the operation failed in
  bool got_bytes = false;  ///< some response bytes had arrived
  const std::string& host_port;
  std::chrono::milliseconds budget{};  ///< the probe's deadline, named by a timeout
  std::size_t body_limit = 0;
  std::size_t header_limit = 0;
};

/// Maps a failed send/ttfb/transfer operation (not a cancellation) to an outcome and reason:
/// timeout, body_too_large (body or header over its cap), connection_reset, protocol_error
/// (an invalid HTTP response) or tls_error.
void map_exchange_error(const boost::system::error_code& ec,
                        const exchange_failure& failure,
                        http_result& r);

}  // namespace visionwatch
