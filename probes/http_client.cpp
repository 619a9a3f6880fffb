#include "probes/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <stdexcept>
#include <variant>

#include "probes/http_body_stream.hpp"
#include "probes/http_url.hpp"
#include "probes/phase_clock.hpp"
#include "probes/proxy_rules.hpp"
#include "probes/resolver.hpp"
#include "probes/text_util.hpp"
#include "probes/tls_context.hpp"
#include "probes/transport_errors.hpp"

namespace visionwatch {
namespace {

using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

/// Bytes read from the socket at a time; the flat buffer also holds at most the header cap plus
/// one such read, whatever the peer sends.
constexpr std::size_t read_chunk = std::size_t{64} * 1024;
constexpr std::size_t first_read_chunk = std::size_t{4} * 1024;
/// TLS close_notify exchange after a finished response: polite, but never worth more than this.
constexpr std::chrono::milliseconds tls_shutdown_cap{250};

bool is_token(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 32 && u < 127 &&
           std::string_view("\"(),/:;<=>?@[\\]{}").find(c) == std::string_view::npos;
  });
}

/// Empty when the request can go on the wire; otherwise why not (never echoing a header value).
std::string validate_request(const http_request& r) {
  if (!is_token(r.method)) {
    return "invalid request method";
  }
  for (const auto& [name, value] : r.headers) {
    if (!is_token(name)) {
      return "invalid request header name";
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return "request header '" + name + "' contains CR, LF or NUL";
    }
  }
  return {};
}

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

net::awaitable<bool> is_cancelled() {
  auto cs = co_await net::this_coro::cancellation_state;
  co_return cs.cancelled() != net::cancellation_type::none;
}

}  // namespace

/// One TCP (or TLS) connection and its read buffer; owned by one request at a time.
struct http_client_connection {
  template <std::size_t I, class... Args>
  explicit http_client_connection(std::size_t buffer_limit,
                                  std::in_place_index_t<I> i,
                                  Args&&... args)
      : stream(i, std::forward<Args>(args)...), buffer(buffer_limit) {}

  beast::tcp_stream& tcp() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); },
                      stream);
  }
  /// Orderly close after a complete exchange (FIN, not reset).
  void close() {
    error_code ec;
    tcp().socket().set_option(net::socket_base::linger(false, 0), ec);
    tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp().close();
  }
  /// Closes with a reset (SO_LINGER 0) after a failed or cancelled exchange: the peer (often a
  /// hung server) drops the connection at once, and neither side keeps a FIN-WAIT, CLOSE-WAIT
  /// or TIME_WAIT socket. With 10,000 probes timing out against one gateway, those sockets
  /// made every new connect() search the ephemeral ports at length (measured: two thirds of
  /// the daemon's CPU).
  void abort() {
    error_code ec;
    tcp().socket().set_option(net::socket_base::linger(true, 0), ec);
    tcp().close();
  }
  ~http_client_connection() {
    if (tcp().socket().is_open()) {
      abort();  // never closed on purpose: the exchange failed or was cancelled
    }
  }

  std::variant<plain_stream, tls_stream> stream;
  beast::flat_buffer buffer;
  std::string key;  ///< scheme, target and proxy: an idle connection only serves the same key
};

struct http_client::impl {
  using connection = http_client_connection;

  impl(net::any_io_executor ex, client_options opts)
      : executor(std::move(ex)), options(std::move(opts)), tls(shared_tls_context(options.tls)) {
    try {
      proxies = proxy_rules::make(options.proxy_url, options.use_env_proxy);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
  }

  ~impl() {
    std::lock_guard lock(life->mutex);
    life->alive = false;
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  [[nodiscard]] std::size_t buffer_limit() const { return options.header_limit + read_chunk; }

  std::unique_ptr<connection> make_connection(bool https) {
    if (https) {
      return std::make_unique<connection>(buffer_limit(), std::in_place_index<1>, executor, *tls);
    }
    return std::make_unique<connection>(buffer_limit(), std::in_place_index<0>, executor);
  }

  net::awaitable<http_result> send(http_request request);

  struct exchange_result {
    bool done = false;       ///< a complete response is in the result
    bool retryable = false;  ///< failed before any response byte on a reused connection
    bool keep_alive = false;
  };

  /// Resolves (unless an IP literal), connects, tunnels and handshakes as the target needs.
  net::awaitable<bool> open(connection& c,
                            const http_target& t,
                            const proxy_endpoint* proxy,
                            clock_type::time_point deadline,
                            std::chrono::milliseconds budget,
                            phase_clock& clock,
                            http_result& result);
  /// CONNECT through `proxy` to t.host_port (https via a proxy), on the connected socket.
  net::awaitable<bool> connect_tunnel(connection& c,
                                      const http_target& t,
                                      const proxy_endpoint& proxy,
                                      std::chrono::milliseconds budget,
                                      http_result& result);
  /// The TLS handshake: SNI, ALPN, host name verification unless insecure_skip_verify.
  net::awaitable<bool> handshake(connection& c,
                                 const http_target& t,
                                 std::chrono::milliseconds budget,
                                 http_result& result);
  /// The request's deadline and the budget it came from (for the reason of a timeout).
  struct time_limit {
    clock_type::time_point deadline;
    std::chrono::milliseconds budget;
  };
  net::awaitable<exchange_result> exchange(connection& c,
                                           http::request<http::string_body>& req,
                                           const http_target& t,
                                           time_limit limit,
                                           body_sink* sink,
                                           phase_clock& clock,
                                           http_result& result);
  net::awaitable<void> close_gracefully(connection& c, clock_type::time_point deadline);

  net::any_io_executor executor;
  client_options options;
  std::shared_ptr<ssl::context> tls;
  proxy_rules proxies;
  std::unique_ptr<connection> idle;
  std::shared_ptr<client_lifeline> life = std::make_shared<client_lifeline>();
};

// NOLINTBEGIN(cppcoreguidelines-avoid-reference-coroutine-parameters): the steps of a request,
// awaited directly by impl::send, which owns the connection and the result (STYLE.md rule 9).
net::awaitable<bool> http_client::impl::open(connection& c,
                                             const http_target& t,
                                             const proxy_endpoint* proxy,
                                             clock_type::time_point deadline,
                                             std::chrono::milliseconds budget,
                                             phase_clock& clock,
                                             http_result& result) {
  const std::string& host = proxy ? proxy->host : t.host;
  const std::uint16_t port = proxy ? proxy->port : t.port;
  const std::string peer = proxy ? "proxy " + proxy->display() : t.host_port;

  std::vector<tcp::endpoint> endpoints;
  error_code ec;
  if (auto addr = net::ip::make_address(host, ec); !ec) {
    endpoints.emplace_back(addr, port);
  } else {
    clock.enter(phase::dns);
    auto answer = co_await resolve_on_pool(executor, life, host, port, deadline);
    if (!answer.finished) {
      if (co_await is_cancelled()) {
        set_failure(result, outcome::timeout, "cancelled");
      } else {
        set_failure(result, outcome::timeout, deadline_reason(budget, phase::dns, peer));
      }
      co_return false;
    }
    if (answer.ec) {
      set_failure(result,
                  outcome::dns_error,
                  "resolve " + host + ": " + answer.ec.message() + (proxy ? " (proxy)" : ""));
      co_return false;
    }
    if (answer.endpoints.empty()) {
      set_failure(result, outcome::dns_error, "resolve " + host + ": no addresses");
      co_return false;
    }
    endpoints = std::move(answer.endpoints);
  }

  clock.enter(phase::connect);
  auto& tcp_layer = c.tcp();
  const auto connect_deadline = std::min(deadline, clock_type::now() + options.connect_timeout);
  tcp_layer.expires_at(connect_deadline);
  auto [cec, ep] = co_await tcp_layer.async_connect(endpoints, use_nothrow);
  if (cec) {
    if (cec == net::error::operation_aborted || co_await is_cancelled()) {
      set_failure(result, outcome::timeout, "cancelled");
    } else if (cec == beast::error::timeout) {
      if (connect_deadline < deadline) {
        set_failure(result,
                    outcome::connect_error,
                    "connect to " + peer + ": timed out after " +
                        std::to_string(options.connect_timeout.count()) + " ms");
      } else {
        set_failure(result, outcome::timeout, deadline_reason(budget, phase::connect, peer));
      }
    } else {
      set_failure(result, outcome::connect_error, "connect to " + peer + ": " + cec.message());
    }
    co_return false;
  }
  tcp_layer.socket().set_option(tcp::no_delay(true), ec);
  // Abortive close unless the exchange completes (close() turns it off): Beast closes the
  // socket itself when a deadline passes, and that close must be a reset too (see abort()).
  tcp_layer.socket().set_option(net::socket_base::linger(true, 0), ec);
  tcp_layer.expires_at(deadline);

  if (proxy && t.https && !co_await connect_tunnel(c, t, *proxy, budget, result)) {
    co_return false;
  }
  if (t.https) {
    clock.enter(phase::tls);
    co_return co_await handshake(c, t, budget, result);
  }
  co_return true;
}

net::awaitable<bool> http_client::impl::connect_tunnel(connection& c,
                                                       const http_target& t,
                                                       const proxy_endpoint& proxy,
                                                       std::chrono::milliseconds budget,
                                                       http_result& result) {
  const std::string peer = "proxy " + proxy.display();
  auto& tcp_layer = c.tcp();
  http::request<http::empty_body> creq{http::verb::connect, t.host_port, 11};
  creq.set(http::field::host, t.host_port);
  creq.set(http::field::user_agent, "visionwatch");
  if (!proxy.authorization.empty()) {
    creq.set(http::field::proxy_authorization, proxy.authorization);
  }
  auto [wec, wn] = co_await http::async_write(tcp_layer, creq, use_nothrow);
  error_code rec;
  http::response_parser<http::empty_body> parser;
  if (!wec) {
    // A 2xx answer to CONNECT has no body whatever its headers say (RFC 9110 9.3.6).
    parser.skip(true);
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.header_limit, std::numeric_limits<std::uint32_t>::max())));
    std::tie(rec, std::ignore) =
        co_await http::async_read(tcp_layer, c.buffer, parser, use_nothrow);
  }
  if (const auto& e = wec ? wec : rec; e) {
    if (e == net::error::operation_aborted || co_await is_cancelled()) {
      set_failure(result, outcome::timeout, "cancelled");
    } else if (e == beast::error::timeout) {
      set_failure(result, outcome::timeout, deadline_reason(budget, phase::connect, peer));
    } else {
      set_failure(
          result,
          outcome::connect_error,
          "proxy CONNECT to " + t.host_port + " failed: " + e.message() + " (" + peer + ")");
    }
    co_return false;
  }
  const unsigned status = parser.get().result_int();
  if (status / 100 != 2) {
    set_failure(result,
                outcome::connect_error,
                "proxy CONNECT returned " + std::to_string(status) + " (" + peer + ", target " +
                    t.host_port + ")");
    co_return false;
  }
  if (c.buffer.size() != 0) {
    set_failure(
        result, outcome::protocol_error, "proxy sent data after its CONNECT reply (" + peer + ")");
    co_return false;
  }
  co_return true;
}

net::awaitable<bool> http_client::impl::handshake(connection& c,
                                                  const http_target& t,
                                                  std::chrono::milliseconds budget,
                                                  http_result& result) {
  auto& s = std::get<tls_stream>(c.stream);
  const std::string& name = options.tls.server_name.empty() ? t.host : options.tls.server_name;
  error_code ip_ec;
  net::ip::make_address(name, ip_ec);
  const bool name_is_ip = !ip_ec;
  set_client_hello(s.native_handle(), name, name_is_ip);
  if (!options.tls.insecure_skip_verify) {
    s.set_verify_callback(verify_host(name, name_is_ip));
  }
  auto [hec] = co_await s.async_handshake(ssl::stream_base::client, use_nothrow);
  if (hec) {
    const std::string where = " (" + t.host_port + ")";
    if (hec == net::error::operation_aborted || co_await is_cancelled()) {
      set_failure(result, outcome::timeout, "cancelled");
    } else if (hec == beast::error::timeout) {
      set_failure(result, outcome::timeout, deadline_reason(budget, phase::tls, t.host_port));
    } else if (const long v = SSL_get_verify_result(s.native_handle());
               v != X509_V_OK && !options.tls.insecure_skip_verify) {
      set_failure(
          result,
          outcome::tls_error,
          std::string("certificate verify failed: ") + X509_verify_cert_error_string(v) + where);
    } else if (is_closed(hec)) {
      set_failure(result, outcome::tls_error, "connection closed during the TLS handshake" + where);
    } else if (is_reset(hec)) {
      set_failure(result, outcome::tls_error, "connection reset during the TLS handshake" + where);
    } else {
      set_failure(result, outcome::tls_error, "TLS handshake failed: " + hec.message() + where);
    }
    co_return false;
  }
  co_return true;
}

net::awaitable<http_client::impl::exchange_result> http_client::impl::exchange(
    connection& c,
    http::request<http::string_body>& req,
    const http_target& t,
    time_limit limit,
    body_sink* sink,
    phase_clock& clock,
    http_result& result) {
  const auto deadline = limit.deadline;
  const auto budget = limit.budget;
  exchange_result out;
  c.tcp().expires_at(deadline);
  auto on_error = [&](const error_code& ec, bool got_bytes) -> net::awaitable<void> {
    if (ec == net::error::operation_aborted || co_await is_cancelled()) {
      set_failure(result, outcome::timeout, "cancelled");
      co_return;
    }
    map_exchange_error(
        ec,
        {clock.current(), got_bytes, t.host_port, budget, options.body_limit, options.header_limit},
        result);
    out.retryable = result.reused_connection && !got_bytes && ec != beast::error::timeout;
  };

  const bool head = req.method() == http::verb::head;
  clock.enter(phase::send);
  auto [wec, wn] = co_await std::visit(
      [&](auto& s) { return http::async_write(s, req, use_nothrow); }, c.stream);
  if (wec) {
    co_await on_error(wec, false);
    co_return out;
  }
  if (!result.reused_connection) {
    // Only a request on a reused idle connection is ever sent again (see send()); any other
    // frees its body (the encoded image, most of a probe's memory) and its header fields while
    // it waits.
    // (A swap, not an assignment: libstdc++ keeps the buffer of a string assigned an empty one.)
    std::string().swap(req.body());
    req.clear();
  }

  clock.enter(phase::ttfb);
  if (c.buffer.size() == 0) {
    // One raw read marks the first response byte; the parser then starts from the buffer. It
    // reads one byte into the frame, so a request waiting for its answer (possibly for its
    // whole deadline) holds no read buffer: 10,000 waiting probes with 4 KiB each came to
    // 40 MiB (64 KiB each, earlier, to 640 MiB). The buffer gets its first small chunk once
    // the answer is there, and the parser reads the rest into that chunk.
    char first = 0;
    auto [rec, rn] = co_await std::visit(
        [&](auto& s) { return s.async_read_some(net::buffer(&first, 1), use_nothrow); },
        c.stream);
    if (rec) {
      co_await on_error(rec, false);
      co_return out;
    }
    const auto room = std::min(first_read_chunk, c.buffer.max_size() - c.buffer.size());
    c.buffer.commit(net::buffer_copy(c.buffer.prepare(room), net::buffer(&first, rn)));
  }

  clock.enter(phase::transfer);
  // The response parsers live in frames of their own, made once the answer has begun: a
  // request waiting for its first byte holds none. (No co_await inside ?: here: GCC 12
  // destroys such a result twice.)
  streamed_read read;
  if (sink != nullptr) {
    read = co_await read_streamed_response(
        c.stream, c.buffer, options, head, {*sink, clock, result});
  } else {
    read = co_await read_whole_response(c.stream, c.buffer, options, head, result);
  }
  if (read.ec) {
    co_await on_error(read.ec, true);
    co_return out;
  }
  out.keep_alive = read.keep_alive;
  out.done = true;
  co_return out;
}

net::awaitable<void> http_client::impl::close_gracefully(connection& c,
                                                         clock_type::time_point deadline) {
  if (auto* s = std::get_if<tls_stream>(&c.stream)) {
    const auto now = clock_type::now();
    if (now < deadline && !co_await is_cancelled()) {
      c.tcp().expires_at(std::min(deadline, now + tls_shutdown_cap));
      // The peer's close_notify often never comes (or comes as a bare FIN: stream_truncated);
      // either way the response is complete, so the outcome is ignored.
      co_await s->async_shutdown(use_nothrow);
    }
  }
  c.close();
}
// NOLINTEND(cppcoreguidelines-avoid-reference-coroutine-parameters)

net::awaitable<http_result> http_client::impl::send(http_request request) {
  http_result result;
  phase_clock clock;
  const auto budget = request.timeout.value_or(options.total_timeout);
  const auto deadline = clock_type::now() + budget;

  std::string error;
  const auto t = parse_http_target(request.url, error);
  if (!t) {
    set_failure(result, outcome::connect_error, "invalid URL: " + error);
    clock.finish(result.phases);
    co_return result;
  }
  if (auto bad = validate_request(request); !bad.empty()) {
    set_failure(result, outcome::protocol_error, bad + " (" + t->host_port + ")");
    clock.finish(result.phases);
    co_return result;
  }
  if (const auto* bad_proxy = proxies.error_for(t->https, t->host, t->port)) {
    set_failure(result, outcome::connect_error, *bad_proxy + " (" + t->host_port + ")");
    clock.finish(result.phases);
    co_return result;
  }
  const proxy_endpoint* proxy = proxies.select(t->https, t->host, t->port);

  http::request<http::string_body> req;
  if (const auto verb = http::string_to_verb(request.method); verb != http::verb::unknown) {
    req.method(verb);
  } else {
    req.method_string(request.method);
  }
  req.version(11);
  req.target(proxy && !t->https ? t->absolute_form : t->origin_form);
  for (const auto& [name, value] : request.headers) {
    req.insert(name, value);
  }
  if (req.find(http::field::host) == req.end()) {
    req.set(http::field::host, t->host_header);
  }
  if (req.find(http::field::user_agent) == req.end()) {
    req.set(http::field::user_agent, "visionwatch");
  }
  if (proxy && !t->https && !proxy->authorization.empty()) {
    req.set(http::field::proxy_authorization, proxy->authorization);
  }
  req.body() = std::move(request.body);
  req.prepare_payload();
  req.keep_alive(options.keep_alive);
  // `req` has its own copies now: a request waiting for its answer holds them once.
  body_sink* const sink = request.sink;
  request = http_request{};

  // What an idle connection serves; only a keep-alive client keeps one (two allocations fewer
  // per request without).
  std::string key;
  if (options.keep_alive) {
    key = (t->https ? "https://" : "http://") + t->host_port + " via " +
          (proxy ? proxy->display() : std::string("direct"));
  }

  // After a cancellation, asio would throw at our next co_await; outcomes are values here, so
  // turn that off for the request and give the caller its own setting back at the one exit
  // below (here rather than in a wrapper coroutine: a frame less for each request in flight).
  const bool throw_before = co_await net::this_coro::throw_if_cancelled();
  co_await net::this_coro::throw_if_cancelled(false);
  std::unique_ptr<connection> conn;
  exchange_result ex;
  do {  // `break` ends the request with `result` as it is
    if (options.keep_alive && idle && idle->key == key) {
      conn = std::move(idle);
      result.reused_connection = true;
      ex = co_await exchange(*conn, req, *t, {deadline, budget}, sink, clock, result);
      if (!ex.done && ex.retryable && clock_type::now() < deadline && !co_await is_cancelled()) {
        // The server closed the idle connection before our request reached it: one fresh try.
        conn.reset();
        result.transport_error.reset();
        result.reason.clear();
        result.reused_connection = false;
      } else if (!ex.done) {
        conn.reset();
        clock.finish(result.phases);
        break;
      }
    }
    if (!ex.done) {
      conn = make_connection(t->https);
      conn->key = key;
      if (!co_await open(*conn, *t, proxy, deadline, budget, clock, result)) {
        clock.finish(result.phases);
        break;
      }
      ex = co_await exchange(*conn, req, *t, {deadline, budget}, sink, clock, result);
    }
    clock.finish(result.phases);
    if (!ex.done) {
      break;
    }
    if (proxy && !t->https && result.status == 407) {
      // Only a proxy answers 407: the request never reached the gateway.
      set_failure(result,
                  outcome::connect_error,
                  "proxy returned 407 (authentication required) (proxy " + proxy->display() + ")");
      result.body.clear();
      break;
    }
    if (options.keep_alive && ex.keep_alive && !idle) {
      idle = std::move(conn);
    } else {
      co_await close_gracefully(*conn, deadline);
    }
  } while (false);
  co_await net::this_coro::throw_if_cancelled(throw_before);
  co_return result;
}

http_client::http_client(net::any_io_executor executor, client_options options)
    : impl_(std::make_unique<impl>(std::move(executor), std::move(options))) {}

http_client::~http_client() = default;

net::awaitable<http_result> http_client::send(http_request request) {
  return impl_->send(std::move(request));
}

const client_options& http_client::options() const noexcept { return impl_->options; }

}  // namespace visionwatch
