#include "probes/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <variant>

#include "probes/proxy_rules.hpp"

namespace visionwatch {
namespace {

using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

/// Bytes read from the socket at a time; the flat buffer also holds at most the header cap plus
/// one such read, whatever the peer sends.
constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t first_read_chunk = 4 * 1024;
/// TLS close_notify exchange after a finished response: polite, but never worth more than this.
constexpr std::chrono::milliseconds tls_shutdown_cap{250};


/// Attributes every elapsed interval to exactly one phase, so the phases sum to the total.
/// Time before the first phase is entered counts in that first phase.
class phase_clock {
 public:
  phase_clock() : mark_(clock_type::now()) {}

  void enter(phase p) {
    const auto now = clock_type::now();
    spent_[static_cast<std::size_t>(current_.value_or(p))] += now - mark_;
    mark_ = now;
    current_ = p;
  }
  phase current() const noexcept { return current_.value_or(phase::dns); }

  void finish(phase_timings& t) {
    const auto now = clock_type::now();
    if (current_) {
      spent_[static_cast<std::size_t>(*current_)] += now - mark_;
    }
    mark_ = now;
    auto s = [&](phase p) {
      return std::chrono::duration<double>(spent_[static_cast<std::size_t>(p)]).count();
    };
    t.dns = s(phase::dns);
    t.connect = s(phase::connect);
    t.tls = s(phase::tls);
    t.send = s(phase::send);
    t.ttfb = s(phase::ttfb);
    t.transfer = s(phase::transfer);
    // The first phase entered also took the time before it (URL parsing), so the phases cover
    // start → now exactly; a request rejected before any phase has total 0.
    clock_type::duration total{};
    for (auto d : spent_) {
      total += d;
    }
    t.total = std::chrono::duration<double>(total).count();
  }

 private:
  clock_type::time_point mark_;
  std::optional<phase> current_;
  std::array<clock_type::duration, 6> spent_{};
};

/// The parts of a request URL the client needs.
struct target {
  bool https = false;
  std::string host;  ///< lower-case name or IP literal without brackets
  std::uint16_t port = 0;
  std::optional<net::ip::address> ip;
  std::string host_port;      ///< "host:port" / "[v6]:port", for reasons and CONNECT
  std::string host_header;    ///< port omitted when it is the scheme's default
  std::string origin_form;    ///< "/path?query"
  std::string absolute_form;  ///< "http://host:port/path?query", for plain http via a proxy
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::optional<target> parse_target(std::string_view url, std::string& error) {
  auto r = boost::urls::parse_uri(url);
  if (!r) {
    error = "not an absolute URL";
    return std::nullopt;
  }
  const auto& u = *r;
  target t;
  const auto scheme = lower(u.scheme());
  if (scheme != "http" && scheme != "https") {
    error = "scheme must be http or https";
    return std::nullopt;
  }
  t.https = scheme == "https";
  if (u.host_address().empty()) {
    error = "no host";
    return std::nullopt;
  }
  t.host = lower(u.host_address());
  if (t.host.ends_with('.')) {
    t.host.pop_back();
  }
  const std::uint16_t default_port = t.https ? 443 : 80;
  t.port = default_port;
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) {
      error = "invalid port";
      return std::nullopt;
    }
    t.port = u.port_number();
  }
  error_code ec;
  auto addr = net::ip::make_address(t.host, ec);
  if (!ec) {
    t.ip = addr;
  }
  const std::string bracketed = (t.ip && t.ip->is_v6()) ? "[" + t.host + "]" : t.host;
  t.host_port = bracketed + ":" + std::to_string(t.port);
  t.host_header = t.port == default_port ? bracketed : t.host_port;
  t.origin_form = std::string(u.encoded_path());
  if (t.origin_form.empty()) {
    t.origin_form = "/";
  }
  if (u.has_query()) {
    t.origin_form += "?" + std::string(u.encoded_query());
  }
  t.absolute_form = scheme + "://" + t.host_port + t.origin_form;
  return t;
}

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

/// asio's host_name_verification, but a mismatch is recorded in the verify result so the
/// reason says "hostname mismatch" instead of a bare "certificate verify failed".
class verify_host {
 public:
  explicit verify_host(const std::string& name, bool is_ip) : check_(name), is_ip_(is_ip) {}
  bool operator()(bool preverified, ssl::verify_context& ctx) const {
    const bool ok = check_(preverified, ctx);
    if (preverified && !ok) {
      X509_STORE_CTX_set_error(
          ctx.native_handle(),
          is_ip_ ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH);
    }
    return ok;
  }

 private:
  ssl::host_name_verification check_;
  bool is_ip_;
};

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

net::awaitable<bool> is_cancelled() {
  auto cs = co_await net::this_coro::cancellation_state;
  co_return cs.cancelled() != net::cancellation_type::none;
}

/// Clients with the same trust settings share one TLS context: with OpenSSL 3, loading the
/// system store costs a few hundred milliseconds of CPU and about a megabyte per context, and
/// one client exists per gateway. A CA file is identified with its size and mtime, so a
/// rotated file is loaded afresh (on reload) even while old clients still hold the old one.
std::shared_ptr<ssl::context> shared_tls_context(const tls_options& o) {
  std::string key = o.insecure_skip_verify ? "insecure|" : "verify|";
  if (o.ca_file.empty()) {
    key += "system";
  } else {
    std::error_code fec;
    const auto size = std::filesystem::file_size(o.ca_file, fec);
    const auto mtime = std::filesystem::last_write_time(o.ca_file, fec);
    key += o.ca_file + "|" + std::to_string(size) + "|" +
           std::to_string(mtime.time_since_epoch().count());
  }
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<ssl::context>> cache;
  std::lock_guard lock(mutex);
  std::erase_if(cache, [](const auto& entry) { return entry.second.expired(); });
  if (auto it = cache.find(key); it != cache.end()) {
    if (auto ctx = it->second.lock()) {
      return ctx;
    }
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  error_code ec;
  if (!o.ca_file.empty()) {
    ctx->load_verify_file(o.ca_file, ec);
    if (ec) {
      throw std::runtime_error("cannot load CA file " + o.ca_file + ": " + ec.message());
    }
  } else if (!o.insecure_skip_verify) {
    ctx->set_default_verify_paths(ec);
    if (ec) {
      throw std::runtime_error("cannot load the system CA store: " + ec.message());
    }
  }
  ctx->set_verify_mode(o.insecure_skip_verify ? ssl::verify_none : ssl::verify_peer);
  cache[key] = ctx;
  return ctx;
}

/// Tells DNS pool jobs whether their client (and so its io_context) still exists.
struct client_lifeline {
  std::mutex mutex;
  bool alive = true;
};

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

  std::size_t buffer_limit() const { return options.header_limit + read_chunk; }

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

  net::awaitable<bool> open(connection& c,
                            const target& t,
                            const proxy_endpoint* proxy,
                            clock_type::time_point deadline,
                            std::chrono::milliseconds budget,
                            phase_clock& clock,
                            http_result& result);
  net::awaitable<exchange_result> exchange(connection& c,
                                           http::request<http::string_body>& req,
                                           const target& t,
                                           clock_type::time_point deadline,
                                           std::chrono::milliseconds budget,
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

namespace {

void fail(http_result& r, outcome o, std::string reason) {
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

/// Maps a failed send/ttfb/transfer operation to an outcome. `got_bytes`: some response bytes
/// had arrived.
void map_exchange_error(const error_code& ec,
                        phase p,
                        bool got_bytes,
                        const target& t,
                        std::chrono::milliseconds budget,
                        std::size_t body_limit,
                        std::size_t header_limit,
                        http_result& r) {
  const auto& hp = t.host_port;
  if (ec == beast::error::timeout) {
    fail(r, outcome::timeout, deadline_reason(budget, p, hp));
  } else if (ec == http::error::body_limit) {
    fail(r,
         outcome::body_too_large,
         "response body exceeds " + std::to_string(body_limit) + " bytes (" + hp + ")");
  } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    fail(r,
         outcome::body_too_large,
         "response header exceeds " + std::to_string(header_limit) + " bytes (" + hp + ")");
  } else if (is_closed(ec) || ec == http::error::partial_message) {
    fail(r,
         outcome::connection_reset,
         std::string(p == phase::send ? "connection closed while sending the request"
                     : got_bytes      ? "connection closed mid-response"
                                      : "connection closed before the response") +
             " (" + hp + ")");
  } else if (is_reset(ec)) {
    fail(r,
         outcome::connection_reset,
         std::string("connection reset by peer during ") +
             std::string(phase_name(p)) + " (" + hp + ")");
  } else if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    fail(r, outcome::protocol_error, "invalid HTTP response: " + ec.message() + " (" + hp + ")");
  } else if (ec.category() == net::error::get_ssl_category()) {
    fail(r,
         outcome::tls_error,
         "TLS error during " + std::string(phase_name(p)) + ": " +
             ec.message() + " (" + hp + ")");
  } else {
    fail(r,
         outcome::connection_reset,
         std::string(phase_name(p)) + " failed: " + ec.message() + " (" +
             hp + ")");
  }
}

/// Lookups run on this shared pool, not on asio's resolver, which runs every async_resolve of
/// an io_context on one thread: one gateway's slow name server would delay every other
/// gateway's lookup into a false timeout. getaddrinfo cannot be interrupted, so the pool is
/// never destroyed: a lookup still hanging at exit must not hold up the process.
constexpr std::size_t dns_threads = 4;
net::thread_pool& dns_pool() {
  static auto* pool = new net::thread_pool(dns_threads);  // NOLINT(cppcoreguidelines-owning-memory)
  return *pool;
}

/// The answer of one lookup, shared between the waiting request and the pool job. Plain data
/// only: the last owner may be a pool thread, after the client's io_context is gone. Written
/// and read on the client's executor only.
struct lookup_state {
  error_code ec;
  tcp::resolver::results_type results;
  bool finished = false;
  net::steady_timer* waiter = nullptr;  ///< the request's timer while it waits, else null
};

/// Clears lookup_state::waiter when the waiting frame ends, however it ends.
struct waiter_guard {
  explicit waiter_guard(lookup_state& s) : state(s) {}
  ~waiter_guard() { state.waiter = nullptr; }
  waiter_guard(const waiter_guard&) = delete;
  waiter_guard& operator=(const waiter_guard&) = delete;
  lookup_state& state;
};

void start_lookup(const std::shared_ptr<lookup_state>& st,
                  const net::any_io_executor& executor,
                  const std::shared_ptr<client_lifeline>& life,
                  std::string host,
                  std::string service) {
  net::post(dns_pool(), [st, executor, life, host = std::move(host), service = std::move(service)] {
    tcp::resolver resolver(dns_pool().get_executor());
    error_code ec;
    // No address_configured: on a host with only loopback, AI_ADDRCONFIG hides every address.
    auto results = resolver.resolve(host, service, tcp::resolver::numeric_service, ec);
    // The executor is only valid while the client lives (its io_context outlives it); a
    // lookup that outlived its client drops the answer.
    std::lock_guard lock(life->mutex);
    if (!life->alive) {
      return;
    }
    net::post(executor, [st, ec, results = std::move(results)]() mutable {
      st->ec = ec;
      st->results = std::move(results);
      st->finished = true;
      if (st->waiter != nullptr) {
        st->waiter->cancel();
      }
    });
  });
}

}  // namespace

net::awaitable<bool> http_client::impl::open(connection& c,
                                             const target& t,
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
    auto st = std::make_shared<lookup_state>();
    net::steady_timer wakeup(executor, deadline);
    {
      st->waiter = &wakeup;
      const waiter_guard guard(*st);
      start_lookup(st, executor, life, host, std::to_string(port));
      co_await wakeup.async_wait(use_nothrow);
    }
    if (!st->finished) {
      if (co_await is_cancelled()) {
        fail(result, outcome::timeout, "cancelled");
      } else {
        fail(result, outcome::timeout, deadline_reason(budget, phase::dns, peer));
      }
      co_return false;
    }
    if (st->ec) {
      fail(result,
           outcome::dns_error,
           "resolve " + host + ": " + st->ec.message() + (proxy ? " (proxy)" : ""));
      co_return false;
    }
    for (const auto& e : st->results) {
      endpoints.push_back(e.endpoint());
    }
    if (endpoints.empty()) {
      fail(result, outcome::dns_error, "resolve " + host + ": no addresses");
      co_return false;
    }
  }

  clock.enter(phase::connect);
  auto& tcp_layer = c.tcp();
  const auto connect_deadline = std::min(deadline, clock_type::now() + options.connect_timeout);
  tcp_layer.expires_at(connect_deadline);
  auto [cec, ep] = co_await tcp_layer.async_connect(endpoints, use_nothrow);
  if (cec) {
    if (cec == net::error::operation_aborted || co_await is_cancelled()) {
      fail(result, outcome::timeout, "cancelled");
    } else if (cec == beast::error::timeout) {
      if (connect_deadline < deadline) {
        fail(result,
             outcome::connect_error,
             "connect to " + peer + ": timed out after " +
                 std::to_string(options.connect_timeout.count()) + " ms");
      } else {
        fail(result, outcome::timeout, deadline_reason(budget, phase::connect, peer));
      }
    } else {
      fail(result, outcome::connect_error, "connect to " + peer + ": " + cec.message());
    }
    co_return false;
  }
  tcp_layer.socket().set_option(tcp::no_delay(true), ec);
  // Abortive close unless the exchange completes (close() turns it off): Beast closes the
  // socket itself when a deadline passes, and that close must be a reset too (see abort()).
  tcp_layer.socket().set_option(net::socket_base::linger(true, 0), ec);
  tcp_layer.expires_at(deadline);

  if (proxy && t.https) {
    http::request<http::empty_body> creq{http::verb::connect, t.host_port, 11};
    creq.set(http::field::host, t.host_port);
    creq.set(http::field::user_agent, "visionwatch");
    if (!proxy->authorization.empty()) {
      creq.set(http::field::proxy_authorization, proxy->authorization);
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
        fail(result, outcome::timeout, "cancelled");
      } else if (e == beast::error::timeout) {
        fail(result, outcome::timeout, deadline_reason(budget, phase::connect, peer));
      } else {
        fail(result,
             outcome::connect_error,
             "proxy CONNECT to " + t.host_port + " failed: " + e.message() + " (" + peer + ")");
      }
      co_return false;
    }
    const unsigned status = parser.get().result_int();
    if (status / 100 != 2) {
      fail(result,
           outcome::connect_error,
           "proxy CONNECT returned " + std::to_string(status) + " (" + peer + ", target " +
               t.host_port + ")");
      co_return false;
    }
    if (c.buffer.size() != 0) {
      fail(result,
           outcome::protocol_error,
           "proxy sent data after its CONNECT reply (" + peer + ")");
      co_return false;
    }
  }

  if (t.https) {
    clock.enter(phase::tls);
    auto& s = std::get<tls_stream>(c.stream);
    const std::string& name = options.tls.server_name.empty() ? t.host : options.tls.server_name;
    error_code ip_ec;
    net::ip::make_address(name, ip_ec);
    const bool name_is_ip = !ip_ec;
    // SNI carries host names only (RFC 6066 3). SSL_set_tlsext_host_name is a macro with an
    // old-style cast; call what it expands to.
    if (!name_is_ip) {
      SSL_ctrl(s.native_handle(),
               SSL_CTRL_SET_TLSEXT_HOSTNAME,
               TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(name.c_str()));
    }
    static constexpr unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(s.native_handle(), alpn, sizeof alpn);
    if (!options.tls.insecure_skip_verify) {
      s.set_verify_callback(verify_host(name, name_is_ip));
    }
    auto [hec] = co_await s.async_handshake(ssl::stream_base::client, use_nothrow);
    if (hec) {
      const std::string where = " (" + t.host_port + ")";
      if (hec == net::error::operation_aborted || co_await is_cancelled()) {
        fail(result, outcome::timeout, "cancelled");
      } else if (hec == beast::error::timeout) {
        fail(result, outcome::timeout, deadline_reason(budget, phase::tls, t.host_port));
      } else if (const long v = SSL_get_verify_result(s.native_handle());
                 v != X509_V_OK && !options.tls.insecure_skip_verify) {
        fail(result,
             outcome::tls_error,
             std::string("certificate verify failed: ") + X509_verify_cert_error_string(v) + where);
      } else if (is_closed(hec)) {
        fail(result, outcome::tls_error, "connection closed during the TLS handshake" + where);
      } else if (is_reset(hec)) {
        fail(result, outcome::tls_error, "connection reset during the TLS handshake" + where);
      } else {
        fail(result, outcome::tls_error, "TLS handshake failed: " + hec.message() + where);
      }
      co_return false;
    }
  }
  co_return true;
}

net::awaitable<http_client::impl::exchange_result> http_client::impl::exchange(
    connection& c,
    http::request<http::string_body>& req,
    const target& t,
    clock_type::time_point deadline,
    std::chrono::milliseconds budget,
    phase_clock& clock,
    http_result& result) {
  exchange_result out;
  c.tcp().expires_at(deadline);
  auto on_error = [&](const error_code& ec, bool got_bytes) -> net::awaitable<void> {
    if (ec == net::error::operation_aborted || co_await is_cancelled()) {
      fail(result, outcome::timeout, "cancelled");
      co_return;
    }
    map_exchange_error(ec,
                       clock.current(),
                       got_bytes,
                       t,
                       budget,
                       options.body_limit,
                       options.header_limit,
                       result);
    out.retryable = result.reused_connection && !got_bytes && ec != beast::error::timeout;
  };

  clock.enter(phase::send);
  auto [wec, wn] = co_await std::visit(
      [&](auto& s) { return http::async_write(s, req, use_nothrow); }, c.stream);
  if (wec) {
    co_await on_error(wec, false);
    co_return out;
  }
  if (!result.reused_connection) {
    // Only a request on a reused idle connection is ever sent again (see send()); any other
    // frees its body (the encoded image, most of a probe's memory) while it waits.
    std::string().swap(req.body());
  }

  clock.enter(phase::ttfb);
  if (c.buffer.size() == 0) {
    // One raw read marks the first response byte; the parser then starts from the buffer. A
    // small one: the buffer is allocated while the request waits, possibly for its whole
    // deadline, and 10,000 waiting probes with 64 KiB each came to 640 MiB.
    const auto room = std::min(first_read_chunk, c.buffer.max_size() - c.buffer.size());
    auto [rec, rn] = co_await std::visit(
        [&](auto& s) { return s.async_read_some(c.buffer.prepare(room), use_nothrow); }, c.stream);
    if (rec) {
      co_await on_error(rec, false);
      co_return out;
    }
    c.buffer.commit(rn);
  }

  clock.enter(phase::transfer);
  const bool head = req.method() == http::verb::head;
  for (;;) {
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.header_limit, std::numeric_limits<std::uint32_t>::max())));
    // The parser rejects a Content-Length above the cap before the body reserves any memory,
    // and counts chunked and close-delimited bodies as they arrive.
    parser.body_limit(std::uint64_t{options.body_limit});
    if (head) {
      parser.skip(true);
    }
    auto [ec, n] = co_await std::visit(
        [&](auto& s) { return http::async_read(s, c.buffer, parser, use_nothrow); }, c.stream);
    if (ec) {
      co_await on_error(ec, true);
      co_return out;
    }
    auto& msg = parser.get();
    const unsigned status = msg.result_int();
    // Interim answers (100 Continue, 103 Early Hints) precede the real one.
    if (status >= 100 && status < 200 && status != 101) {
      continue;
    }
    result.status = status;
    result.headers.clear();
    for (const auto& f : msg) {
      result.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
    }
    result.body = std::move(msg.body());
    out.keep_alive = msg.keep_alive() && status != 101;
    out.done = true;
    co_return out;
  }
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

net::awaitable<http_result> http_client::impl::send(http_request request) {
  http_result result;
  phase_clock clock;
  const auto budget = request.timeout.value_or(options.total_timeout);
  const auto deadline = clock_type::now() + budget;

  std::string error;
  const auto t = parse_target(request.url, error);
  if (!t) {
    fail(result, outcome::connect_error, "invalid URL: " + error);
    clock.finish(result.phases);
    co_return result;
  }
  if (auto bad = validate_request(request); !bad.empty()) {
    fail(result, outcome::protocol_error, bad + " (" + t->host_port + ")");
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

  const std::string key = (t->https ? "https://" : "http://") + t->host_port + " via " +
                          (proxy ? proxy->display() : std::string("direct"));

  std::unique_ptr<connection> conn;
  exchange_result ex;
  if (options.keep_alive && idle && idle->key == key) {
    conn = std::move(idle);
    result.reused_connection = true;
    ex = co_await exchange(*conn, req, *t, deadline, budget, clock, result);
    if (!ex.done && ex.retryable && clock_type::now() < deadline && !co_await is_cancelled()) {
      // The server closed the idle connection before our request reached it: one fresh try.
      conn.reset();
      result.transport_error.reset();
      result.reason.clear();
      result.reused_connection = false;
    } else if (!ex.done) {
      conn.reset();
      clock.finish(result.phases);
      co_return result;
    }
  }
  if (!ex.done) {
    conn = make_connection(t->https);
    conn->key = key;
    if (!co_await open(*conn, *t, proxy, deadline, budget, clock, result)) {
      clock.finish(result.phases);
      co_return result;
    }
    ex = co_await exchange(*conn, req, *t, deadline, budget, clock, result);
  }
  clock.finish(result.phases);
  if (!ex.done) {
    co_return result;
  }
  if (proxy && !t->https && result.status == 407) {
    // Only a proxy answers 407: the request never reached the gateway.
    fail(result,
         outcome::connect_error,
         "proxy returned 407 (authentication required) (proxy " + proxy->display() + ")");
    result.body.clear();
    co_return result;
  }
  if (options.keep_alive && ex.keep_alive && !idle) {
    idle = std::move(conn);
  } else {
    co_await close_gracefully(*conn, deadline);
  }
  co_return result;
}

http_client::http_client(net::any_io_executor executor, client_options options)
    : impl_(std::make_unique<impl>(std::move(executor), std::move(options))) {}

http_client::~http_client() = default;

net::awaitable<http_result> http_client::send(http_request request) {
  // After a cancellation, asio would throw at our next co_await; outcomes are values here, so
  // turn that off for the request and give the caller its own setting back.
  const bool throw_before = co_await net::this_coro::throw_if_cancelled();
  co_await net::this_coro::throw_if_cancelled(false);
  auto result = co_await impl_->send(std::move(request));
  co_await net::this_coro::throw_if_cancelled(throw_before);
  co_return result;
}

const client_options& http_client::options() const noexcept { return impl_->options; }

}  // namespace visionwatch
