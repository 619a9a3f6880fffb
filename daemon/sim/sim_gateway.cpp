#include "daemon/sim/sim_gateway.hpp"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "probes/net.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using namespace net::experimental::awaitable_operators;

/// A TLS close_notify exchange never holds a finished connection longer than this.
constexpr std::chrono::milliseconds tls_shutdown_cap{1000};
constexpr std::size_t generated_block = std::size_t{64} * 1024;

std::string to_hex(std::size_t n) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[n % 16]);
    n /= 16;
  } while (n != 0);
  return out;
}

std::string head_of(const response_plan& p, bool keep_alive) {
  std::string h = "HTTP/1.1 " + std::to_string(p.status) + " ";
  h += std::string(http::obsolete_reason(static_cast<http::status>(p.status)));
  h += "\r\n";
  for (const auto& [k, v] : p.headers) {
    h.append(k).append(": ").append(v).append("\r\n");
  }
  if (p.generated_body_bytes > 0) {
    h += "Content-Length: " + std::to_string(p.generated_body_bytes) + "\r\n";
  } else if (p.chunked || !p.pieces.empty()) {
    h += "Transfer-Encoding: chunked\r\n";
  } else {
    h += "Content-Length: " + std::to_string(p.body.size()) + "\r\n";
  }
  if (!keep_alive) {
    h += "Connection: close\r\n";
  }
  h += "\r\n";
  return h;
}

std::string chunked_body(const std::string& body, std::size_t chunk_size) {
  std::string out;
  const std::size_t step = chunk_size == 0 ? body.size() : chunk_size;
  for (std::size_t i = 0; i < body.size(); i += step) {
    const auto piece = std::string_view(body).substr(i, step);
    out += to_hex(piece.size()) + "\r\n";
    out += piece;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

template <class Stream>
tcp::socket& lowest(Stream& s) {
  return beast::get_lowest_layer(s);
}

}  // namespace

std::string_view received_request::header(std::string_view lower_name) const noexcept {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) {
      return v;
    }
  }
  return {};
}

response_plan response_plan::json(std::string body, unsigned status) {
  response_plan p;
  p.status = status;
  p.headers = {{"Content-Type", "application/json"}};
  p.body = std::move(body);
  return p;
}

response_plan response_plan::text(unsigned status, std::string body) {
  response_plan p;
  p.status = status;
  p.headers = {{"Content-Type", "text/plain"}};
  p.body = std::move(body);
  return p;
}

response_plan response_plan::with_action(action a) {
  response_plan p;
  p.kind = a;
  return p;
}

response_plan response_plan::malformed() {
  response_plan p;
  p.kind = action::raw;
  p.body = "NOT-HTTP garbage\r\n\r\n";
  return p;
}

response_plan response_plan::oversized_header(std::size_t bytes) {
  response_plan p;
  p.headers = {{"X-Padding", std::string(bytes, 'a')}};
  return p;
}

response_plan response_plan::huge_body(std::uint64_t bytes) {
  response_plan p;
  p.headers = {{"Content-Type", "application/octet-stream"}};
  p.generated_body_bytes = bytes;
  return p;
}

struct sim_gateway::impl {
  impl(handler h, options o) : handler_(std::move(h)), options_(std::move(o)) {}
  ~impl() { stop(); }

  void start() {
    if (!options_.cert_file.empty() || !options_.key_file.empty()) {
      auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
      error_code ec;
      ctx->use_certificate_chain_file(options_.cert_file, ec);
      if (ec) {
        throw std::runtime_error("sim gateway: cannot load certificate " + options_.cert_file +
                                 ": " + ec.message());
      }
      ctx->use_private_key_file(options_.key_file, ssl::context::pem, ec);
      if (ec) {
        throw std::runtime_error("sim gateway: cannot load private key " + options_.key_file +
                                 ": " + ec.message());
      }
      tls_ = std::move(ctx);
    }
    error_code ec;
    const auto addr = net::ip::make_address(options_.address, ec);
    if (ec) {
      throw std::runtime_error("sim gateway: invalid address " + options_.address);
    }
    ioc_.emplace(1);
    acceptor_.emplace(*ioc_);
    const tcp::endpoint ep(addr, 0);
    acceptor_->open(ep.protocol(), ec);
    if (!ec) {
      acceptor_->bind(ep, ec);
    }
    if (!ec) {
      acceptor_->listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      throw std::runtime_error("sim gateway: cannot listen on " + options_.address + ": " +
                               ec.message());
    }
    port_ = acceptor_->local_endpoint().port();
    net::co_spawn(*ioc_, accept_loop(), net::detached);
    thread_ = std::thread([this] { ioc_->run(); });
  }

  void stop() {
    if (thread_.joinable()) {
      ioc_->stop();
      thread_.join();
    }
    // Destroying the io_context destroys the pending session coroutines, which closes their
    // sockets: clients of a hanging session see the connection drop. The acceptor belongs to
    // the io_context and goes first.
    acceptor_.reset();
    ioc_.reset();
  }

  handler current_handler() {
    std::lock_guard lock(mutex_);
    return handler_;
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_->async_accept(use_nothrow);
      if (ec) {
        if (!acceptor_->is_open() || ec == net::error::operation_aborted) {
          co_return;
        }
        // Out of descriptors or similar: back off instead of spinning.
        net::steady_timer t(*ioc_, std::chrono::milliseconds(50));
        co_await t.async_wait(use_nothrow);
        continue;
      }
      const std::size_t index = connections_.fetch_add(1);
      net::co_spawn(*ioc_, session(std::move(sock), index), net::detached);
    }
  }

  net::awaitable<void> session(tcp::socket sock, std::size_t index) {
    error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    if (tls_) {
      ssl::stream<tcp::socket> s(std::move(sock), *tls_);
      auto [hec] = co_await s.async_handshake(ssl::stream_base::server, use_nothrow);
      if (!hec) {
        co_await serve(s, index);
      }
    } else {
      co_await serve(sock, index);
    }
  }

  // NOLINTBEGIN(cppcoreguidelines-avoid-reference-coroutine-parameters): awaited directly by
  // session(), whose frame owns the stream (STYLE.md rule 9).
  template <class Stream>
  static net::awaitable<void> close_stream(Stream& s) {
    error_code ec;
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      net::steady_timer t(s.get_executor(), tls_shutdown_cap);
      co_await (s.async_shutdown(use_nothrow) || t.async_wait(use_nothrow));
    }
    lowest(s).shutdown(tcp::socket::shutdown_both, ec);
    lowest(s).close(ec);
  }

  /// Writes `data`, trickling when the plan says so. False when the peer went away.
  template <class Stream>
  static net::awaitable<bool> write_paced(Stream& s,
                                          std::string_view data,
                                          const response_plan& p) {
    if (p.trickle_bytes == 0) {
      auto [ec, n] = co_await net::async_write(s, net::buffer(data), use_nothrow);
      co_return !ec;
    }
    net::steady_timer t(s.get_executor());
    for (std::size_t i = 0; i < data.size(); i += p.trickle_bytes) {
      if (i != 0) {
        t.expires_after(p.trickle_interval);
        co_await t.async_wait(use_nothrow);
      }
      auto [ec, n] =
          co_await net::async_write(s, net::buffer(data.substr(i, p.trickle_bytes)), use_nothrow);
      if (ec) {
        co_return false;
      }
    }
    co_return true;
  }

  /// Writes the head, then each piece as one chunk after its wait, then (unless the plan cuts
  /// the stream) the last chunk. False when the peer went away or the stream was cut.
  template <class Stream>
  static net::awaitable<bool> write_pieces(Stream& s, const response_plan& p, std::string head) {
    auto [hec, hn] = co_await net::async_write(s, net::buffer(head), use_nothrow);
    if (hec) {
      co_return false;
    }
    net::steady_timer t(s.get_executor());
    for (const auto& piece : p.pieces) {
      if (piece.after.count() > 0) {
        t.expires_after(piece.after);
        co_await t.async_wait(use_nothrow);
      }
      if (piece.bytes.empty()) {
        continue;  // an empty chunk would end the body
      }
      const std::string chunk = to_hex(piece.bytes.size()) + "\r\n" + piece.bytes + "\r\n";
      auto [ec, n] = co_await net::async_write(s, net::buffer(chunk), use_nothrow);
      if (ec) {
        co_return false;
      }
    }
    if (p.cut_after_pieces) {
      co_return false;
    }
    static constexpr std::string_view last_chunk = "0\r\n\r\n";
    auto [ec, n] = co_await net::async_write(s, net::buffer(last_chunk), use_nothrow);
    co_return !ec;
  }

  template <class Stream>
  net::awaitable<void> serve(Stream& s, std::size_t conn_index) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(std::uint64_t{options_.max_request_body});
      parser.header_limit(static_cast<std::uint32_t>(options_.max_request_header));
      auto [ec, n] = co_await http::async_read(s, buffer, parser, use_nothrow);
      if (ec == http::error::body_limit || ec == http::error::header_limit ||
          ec == http::error::buffer_overflow) {
        const std::string_view reply =
            ec == http::error::body_limit
                ? "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                : "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n";
        co_await net::async_write(s, net::buffer(reply), use_nothrow);
        co_await close_stream(s);
        co_return;
      }
      if (ec) {
        co_await close_stream(s);
        co_return;
      }
      auto& msg = parser.get();
      received_request req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      for (const auto& f : msg) {
        req.headers.emplace_back(ascii_lower(f.name_string()), std::string(f.value()));
      }
      req.body = std::move(msg.body());
      req.connection_index = conn_index;
      req.request_index = requests_.fetch_add(1);

      response_plan plan;
      if (auto h = current_handler()) {
        try {
          plan = h(req);
        } catch (const std::exception& e) {
          plan = response_plan::text(500, std::string("sim gateway handler failed: ") + e.what());
          plan.close_after = true;
        }
      } else {
        plan = response_plan::text(404, "no handler");
      }

      if (plan.delay.count() > 0) {
        net::steady_timer t(s.get_executor(), plan.delay);
        co_await t.async_wait(use_nothrow);
      }
      switch (plan.kind) {
        case response_plan::action::hang: {
          // Held until stop(): the io_context is stopped and this frame destroyed with it.
          net::steady_timer t(s.get_executor(), net::steady_timer::time_point::max());
          co_await t.async_wait(use_nothrow);
          co_return;
        }
        case response_plan::action::reset: {
          error_code lec;
          lowest(s).set_option(net::socket_base::linger(true, 0), lec);
          lowest(s).close(lec);
          co_return;
        }
        case response_plan::action::close:
          lowest(s).shutdown(tcp::socket::shutdown_both, ec);
          lowest(s).close(ec);
          co_return;
        case response_plan::action::raw:
          co_await write_paced(s, plan.body, plan);
          co_await close_stream(s);
          co_return;
        case response_plan::action::respond:
          break;
      }

      const bool keep_alive =
          msg.keep_alive() && !plan.close_after && !(plan.cut_after_pieces && !plan.pieces.empty());
      if (!plan.pieces.empty()) {
        if (!co_await write_pieces(s, plan, head_of(plan, keep_alive)) || !keep_alive) {
          co_await close_stream(s);
          co_return;
        }
        continue;
      }
      std::string wire = head_of(plan, keep_alive);
      if (plan.generated_body_bytes == 0) {
        wire += plan.chunked ? chunked_body(plan.body, plan.chunk_size) : plan.body;
      }
      if (!co_await write_paced(s, wire, plan)) {
        co_await close_stream(s);
        co_return;
      }
      if (plan.generated_body_bytes > 0) {
        static const std::string block(generated_block, 'x');
        std::uint64_t left = plan.generated_body_bytes;
        while (left > 0) {
          const auto piece = static_cast<std::size_t>(std::min<std::uint64_t>(left, block.size()));
          auto [wec, wn] =
              co_await net::async_write(s, net::buffer(block.data(), piece), use_nothrow);
          if (wec) {
            co_await close_stream(s);
            co_return;
          }
          left -= piece;
        }
      }
      if (!keep_alive) {
        co_await close_stream(s);
        co_return;
      }
    }
  }
  // NOLINTEND(cppcoreguidelines-avoid-reference-coroutine-parameters)

  std::mutex mutex_;
  handler handler_;
  options options_;
  std::unique_ptr<ssl::context> tls_;
  std::optional<net::io_context> ioc_;
  std::optional<tcp::acceptor> acceptor_;
  std::thread thread_;
  bool started_ = false;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> requests_{0};
  std::atomic<std::size_t> connections_{0};
};

sim_gateway::sim_gateway(handler h) : sim_gateway(std::move(h), options{}) {}

sim_gateway::sim_gateway(handler h, options opts)
    : impl_(std::make_unique<impl>(std::move(h), std::move(opts))) {}

sim_gateway::~sim_gateway() = default;

void sim_gateway::start() {
  if (impl_->started_) {
    throw std::logic_error("sim gateway: start() called twice");
  }
  impl_->started_ = true;
  impl_->start();
}

void sim_gateway::stop() { impl_->stop(); }

void sim_gateway::set_handler(handler h) {
  std::lock_guard lock(impl_->mutex_);
  impl_->handler_ = std::move(h);
}

std::uint16_t sim_gateway::port() const { return impl_->port_; }

std::string sim_gateway::origin() const {
  const auto& a = impl_->options_.address;
  const bool v6 = a.find(':') != std::string::npos;
  return std::string(impl_->tls_ ? "https://" : "http://") + (v6 ? "[" + a + "]" : a) + ":" +
         std::to_string(impl_->port_);
}

std::string sim_gateway::base_url() const { return origin() + impl_->options_.base_path; }

std::size_t sim_gateway::request_count() const { return impl_->requests_.load(); }

std::size_t sim_gateway::connection_count() const { return impl_->connections_.load(); }

}  // namespace visionwatch
