#pragma once
/// Plain data that crosses the http client boundary: requests in, results out. No I/O here.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "probes/outcome.hpp"

namespace visionwatch {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// What a body sink says after each piece of a streamed body.
struct body_progress {
  bool text_seen = false;  ///< the first non-empty text delta has arrived (now or before)
  bool stop = false;       ///< nothing after this matters (an error event, a broken framing)
};

/// Takes a response body piece by piece as it arrives instead of as one string: the streamed
/// replies of the LLM APIs (probes/stream_decoder.hpp). Called by the http client on its
/// thread; must not throw.
class body_sink {
 public:
  virtual ~body_sink() = default;
  /// The response head (final status, headers with lower-case names). True: stream this body
  /// into on_body(); false: the client reads it into http_result::body as usual (an error
  /// status, a gateway that answered a stream request with one JSON body).
  virtual bool on_headers(unsigned status, const header_list& headers) = 0;
  /// The next body bytes, as they arrive (never empty).
  virtual body_progress on_body(std::string_view bytes) = 0;
};

/// One HTTP request. `url` is absolute (http:// or https://). Header values may hold secrets
/// (Authorization): nothing in the client logs or echoes them.
struct http_request {
  std::string method = "POST";
  std::string url;
  header_list headers;
  std::string body;
  /// Total deadline for this request; unset: client_options::total_timeout.
  std::optional<std::chrono::milliseconds> timeout;
  /// Set for a streamed request (not owned; outlives send()): gets the body as it arrives and
  /// marks the first text (phase_timings::first_token). The body cap and the deadline hold.
  body_sink* sink = nullptr;
};

/// The phases of one request, in order; `phase_name` gives the text used in reasons and in the
/// `phase` label of `visionwatch_probe_phase_seconds`. `first_token` is the one mark that is
/// no slice: the time from the start to the first text of a streamed reply (time to first
/// token), which overlaps ttfb and transfer.
enum class phase : std::uint8_t { dns, connect, tls, send, ttfb, transfer, first_token };
inline constexpr std::size_t phase_count = 7;
/// The slices that sum to the total: every phase before first_token.
inline constexpr std::size_t sliced_phase_count = 6;
constexpr std::string_view phase_name(phase p) noexcept {
  constexpr std::array<std::string_view, phase_count> names = {
      "dns", "connect", "tls", "send", "ttfb", "transfer", "first_token"};
  return names[static_cast<std::size_t>(p)];
}

/// Seconds spent in each phase of one request; a phase that was not reached stays 0.
/// dns + connect + tls + send + ttfb + transfer == total, up to clock granularity.
struct phase_timings {
  double dns = 0;       ///< name resolution (0 for IP literals)
  double connect = 0;   ///< TCP connect (to the proxy when one is used, plus CONNECT)
  double tls = 0;       ///< TLS handshake
  double send = 0;      ///< writing the request
  double ttfb = 0;      ///< request written → first response byte
  double transfer = 0;  ///< first byte → body complete
  double total = 0;     ///< start → body complete (or failure)
  /// Streamed requests: start → the first non-empty text delta (steady clock); not part of the
  /// sum above. Unset when the request was not streamed or no text arrived.
  std::optional<double> first_token;
};

/// What one request produced: either a transport failure (no usable response) or a response.
struct http_result {
  /// Set when no complete response was read; one of the transport outcomes.
  std::optional<outcome> transport_error;
  /// Short human reason for a transport failure ("connect to 127.0.0.1:443: connection refused").
  std::string reason;
  unsigned status = 0;
  header_list headers;  ///< response headers, names lower-cased
  std::string body;     ///< empty when the body went to http_request::sink
  /// The body went to http_request::sink (which took it) instead of `body`.
  bool streamed = false;
  /// A streamed body that stopped early without a transport outcome (the peer closed the
  /// connection mid-body, or the sink asked to stop): why. The sink decides what it means.
  std::string stream_interrupted;
  phase_timings phases;
  bool reused_connection = false;

  [[nodiscard]] bool ok() const noexcept { return !transport_error.has_value(); }
  /// First header value with this (lower-case) name, or empty.
  [[nodiscard]] std::string_view header(std::string_view lower_name) const noexcept {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) {
        return v;
      }
    }
    return {};
  }
};

struct tls_options {
  std::string ca_file;      ///< PEM bundle to trust instead of the system store; empty = system
  std::string server_name;  ///< SNI and verification name; empty = the URL's host
  bool insecure_skip_verify = false;
};

/// Per-gateway client settings. Defaults match the README.
struct client_options {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};  ///< whole request, trickling peers included
  std::size_t body_limit = std::size_t{4} * 1024 * 1024;
  std::size_t header_limit = std::size_t{64} * 1024;
  tls_options tls;
  /// Proxy for this gateway ("http://host:port", optional user:pass). Empty: use HTTPS_PROXY /
  /// HTTP_PROXY / NO_PROXY (and lower-case forms) from the environment when use_env_proxy.
  std::string proxy_url;
  bool use_env_proxy = true;
  /// Reuse one idle connection between requests (opt-in; default measures the whole path).
  bool keep_alive = false;
};

}  // namespace visionwatch
