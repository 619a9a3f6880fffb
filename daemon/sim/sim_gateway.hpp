#pragma once
/// A scriptable HTTP/1.1 (optionally TLS) server on loopback: the simulated gateway that tests and
/// `visionwatch demo` talk to. A handler decides, per request, what the server does — a normal
/// response, or one of the failures real gateways show (delay, trickle, hang, reset, close,
/// garbage, oversized header, huge body). It runs on its own thread and io_context; every public
/// member is safe to call from any thread. The handler runs on the server thread.

#include <boost/core/noncopyable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "probes/http_types.hpp"

namespace visionwatch {

/// One request as the server read it.
struct received_request {
  std::string method;
  std::string target;   ///< as sent: origin-form ("/v1/x") or absolute-form via a proxy
  header_list headers;  ///< names lower-cased
  std::string body;
  std::size_t connection_index = 0;  ///< 0-based, in accept order
  std::size_t request_index = 0;     ///< 0-based, over the server's life

  /// First header value with this (lower-case) name, or empty.
  [[nodiscard]] std::string_view header(std::string_view lower_name) const noexcept;
};

/// What the server does with one request. The defaults send "200 OK" with an empty body.
struct response_plan {
  enum class action : std::uint8_t {
    respond,  ///< send the response described below
    hang,     ///< never answer; hold the connection open until stop()
    reset,    ///< abort the connection with a TCP RST (SO_LINGER 0, close)
    close,    ///< close the connection (FIN) without answering
    raw,      ///< send `body` verbatim (no status line, no headers), then close
  };
  action kind = action::respond;
  unsigned status = 200;
  header_list headers;  ///< sent as given; Content-Length/Transfer-Encoding are added
  std::string body;
  bool chunked = false;           ///< Transfer-Encoding: chunked instead of Content-Length
  std::size_t chunk_size = 1024;  ///< bytes per chunk when chunked
  /// Non-zero: the body is this many 'x' bytes, streamed with Content-Length and never held in
  /// memory at once (`body` and `chunked` are ignored).
  std::uint64_t generated_body_bytes = 0;
  std::chrono::milliseconds delay{0};  ///< wait this long before doing anything
  /// Non-zero: write the response this many bytes at a time, `trickle_interval` apart.
  std::size_t trickle_bytes = 0;
  std::chrono::milliseconds trickle_interval{0};
  bool close_after = false;  ///< send "Connection: close" and close after the response
  /// One piece of a body written over time (daemon/sim/sim_stream.hpp builds SSE streams).
  struct timed_piece {
    std::chrono::milliseconds after{0};  ///< wait this long after the previous write
    std::string bytes;
  };
  /// Non-empty: the body is these pieces, each one HTTP chunk written after its wait (`body`,
  /// `chunked` and trickling are ignored).
  std::vector<timed_piece> pieces;
  /// With `pieces`: close the connection after the last piece, without the final empty chunk
  /// (a stream cut off mid-body).
  bool cut_after_pieces = false;

  /// 200 (or `status`) with a JSON body.
  static response_plan json(std::string body, unsigned status = 200);
  /// `status` with a text/plain body.
  static response_plan text(unsigned status, std::string body);
  static response_plan with_action(action a);
  /// A garbage status line ("NOT-HTTP garbage"), then close.
  static response_plan malformed();
  /// 200 with one header whose value is `bytes` long.
  static response_plan oversized_header(std::size_t bytes);
  /// 200 with a generated body of `bytes` bytes.
  static response_plan huge_body(std::uint64_t bytes);
};

class sim_gateway : boost::noncopyable {
 public:
  using handler = std::function<response_plan(const received_request&)>;

  struct options {
    std::string address = "127.0.0.1";                ///< "::1" for IPv6
    std::string cert_file;                            ///< PEM chain; with key_file: serve TLS
    std::string key_file;                             ///< PEM private key
    std::string base_path = "/v1";                    ///< appended by base_url()
    std::size_t max_request_body = std::size_t{32} * 1024 * 1024;  ///< larger: 413 and close
    std::size_t max_request_header = std::size_t{64} * 1024;       ///< larger: 431 and close
  };

  /// Without a handler every request gets 404.
  explicit sim_gateway(handler h = {});
  sim_gateway(handler h, options opts);
  ~sim_gateway();

  /// Binds address:0, listens and starts the server thread; returns once connections are
  /// accepted. Throws std::runtime_error for a bind failure or an unreadable cert/key (naming
  /// the file). Call once.
  void start();
  /// Stops serving, joins the thread and closes every open connection (hanging ones too).
  /// Idempotent; port() and the URLs stay readable.
  void stop();
  void set_handler(handler h);

  [[nodiscard]] std::uint16_t port() const;
  /// "http://127.0.0.1:PORT" ("https://", "[::1]" as configured).
  [[nodiscard]] std::string origin() const;
  /// origin() + base_path, e.g. "http://127.0.0.1:PORT/v1".
  [[nodiscard]] std::string base_url() const;
  [[nodiscard]] std::size_t request_count() const;
  [[nodiscard]] std::size_t connection_count() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace visionwatch
