#pragma once
/// A deliberately dumb blocking HTTP/1.1 client over a raw socket, for driving servers from a
/// test thread: it sends exactly the bytes it is given (garbage included) and reads responses
/// with a deadline, so tests can assert on malformed input, pipelining and closes. The one HTTP
/// client of the tests' loopback servers (the daemon's admin API, Alertmanager, the demo
/// gateway's /control).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch::test {

struct raw_response {
  unsigned status = 0;
  std::string status_line;
  std::map<std::string, std::string> headers;  ///< names lower-cased; last value wins
  std::string body;
  std::size_t chunks = 0;  ///< data chunks of a chunked body (0: not chunked)

  /// Header value by lower-case name, or empty.
  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

class raw_connection {
 public:
  /// Connects to an IPv4 or IPv6 literal; throws std::runtime_error when that fails.
  raw_connection(const std::string& host, unsigned short port);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Sends all bytes; false when the peer has closed or reset the connection.
  bool send(std::string_view bytes);
  void shutdown_write();
  /// Reads one response (Content-Length or chunked framing, or until close for an HTTP/1.0
  /// response without a length; `head`: no body) within `timeout`. nullopt when the connection
  /// closes or the timeout passes first (a chunked body without its last chunk included), or
  /// the bytes are not an HTTP response.
  std::optional<raw_response> read_response(std::chrono::milliseconds timeout, bool head = false);
  /// Reads until the peer closes (EOF or reset). True when that happened within `timeout`.
  /// Every byte read is appended to `received` when given.
  bool wait_closed(std::chrono::milliseconds timeout, std::string* received = nullptr);
  /// True when the peer has closed (EOF/reset) by now, without waiting.
  bool closed_now();
  /// Bytes read but not yet consumed by read_response.
  [[nodiscard]] const std::string& pending() const noexcept { return buffer_; }

 private:
  /// One recv with a deadline: >0 bytes, 0 on EOF/reset, -1 on timeout.
  long read_some(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
};

/// One request with "Connection: close" to 127.0.0.1:port on a fresh connection. A non-empty
/// body, and any method other than GET and HEAD (the admin API requires it of mutations), goes
/// with "Content-Type: application/json" unless `headers` names another type. Status 0
/// when the server could not be reached (not listening yet, or any more) or did not answer
/// within `timeout`.
raw_response loopback_request(std::uint16_t port,
                              const std::string& method,
                              const std::string& target,
                              const std::string& body = {},
                              const std::map<std::string, std::string>& headers = {},
                              std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// The port of an "http://127.0.0.1:PORT/..." URL (a fake's base_url); throws
/// std::invalid_argument otherwise.
std::uint16_t port_of_url(const std::string& url);

}  // namespace visionwatch::test
