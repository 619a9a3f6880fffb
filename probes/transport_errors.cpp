#include "probes/transport_errors.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include "probes/net.hpp"

namespace visionwatch {

using error_code = boost::system::error_code;

void set_failure(http_result& r, outcome o, std::string reason) {
  r.transport_error = o;
  r.reason = std::move(reason);
}

std::string deadline_reason(std::chrono::milliseconds budget, phase p, const std::string& where) {
  return "deadline of " + std::to_string(budget.count()) + " ms passed during " +
         std::string(phase_name(p)) + " (" + where + ")";
}

bool is_reset(const error_code& ec) {
  return ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted;
}

bool is_closed(const error_code& ec) {
  return ec == net::error::eof || ec == http::error::end_of_stream ||
         ec == ssl::error::stream_truncated;
}

void map_exchange_error(const error_code& ec, const exchange_failure& failure, http_result& r) {
  const phase p = failure.at;
  const std::string& hp = failure.host_port;
  if (ec == beast::error::timeout) {
    set_failure(r, outcome::timeout, deadline_reason(failure.budget, p, hp));
  } else if (ec == http::error::body_limit) {
    set_failure(
        r,
        outcome::body_too_large,
        "response body exceeds " + std::to_string(failure.body_limit) + " bytes (" + hp + ")");
  } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    set_failure(
        r,
        outcome::body_too_large,
        "response header exceeds " + std::to_string(failure.header_limit) + " bytes (" + hp + ")");
  } else if (is_closed(ec) || ec == http::error::partial_message) {
    set_failure(r,
                outcome::connection_reset,
                std::string(p == phase::send    ? "connection closed while sending the request"
                            : failure.got_bytes ? "connection closed mid-response"
                                                : "connection closed before the response") +
                    " (" + hp + ")");
  } else if (is_reset(ec)) {
    set_failure(r,
                outcome::connection_reset,
                std::string("connection reset by peer during ") + std::string(phase_name(p)) +
                    " (" + hp + ")");
  } else if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    set_failure(
        r, outcome::protocol_error, "invalid HTTP response: " + ec.message() + " (" + hp + ")");
  } else if (ec.category() == net::error::get_ssl_category()) {
    set_failure(
        r,
        outcome::tls_error,
        "TLS error during " + std::string(phase_name(p)) + ": " + ec.message() + " (" + hp + ")");
  } else {
    set_failure(r,
                outcome::connection_reset,
                std::string(phase_name(p)) + " failed: " + ec.message() + " (" + hp + ")");
  }
}

}  // namespace visionwatch
