// What preparing a configuration builds besides routes and gateways: the admin server's allowed
// Host names (global.admin_hosts) follow the reloaded file, and only when the reload succeeds;
// an image_file that many routes inherit is loaded once, not once per route.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <sys/inotify.h>
#include <unistd.h>

#include "daemon/config/config.hpp"
#include "daemon/runtime/service.hpp"
#include "tests/support/raw_http_client.hpp"
#include "tests/support/test_paths.hpp"

namespace {

namespace vt = visionwatch::test;
namespace net = boost::asio;
using namespace std::chrono_literals;

std::string config_with_hosts(const std::filesystem::path& state, const std::string& hosts) {
  return "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + state.string() +
         "\"\n  shutdown_grace: 100ms\n  admin_hosts: " + hosts +
         "\n"
         "defaults: {interval: 1h, timeout: 30s}\n"
         "gateways:\n"
         "  - {name: gw, base_url: \"http://127.0.0.1:9/v1\", proxy_url: none}\n"
         "routes:\n"
         "  - {name: r1, gateway: gw, model: m1}\n";
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

/// The status of one request whose Host header is `host` (0: no answer).
unsigned status_with_host(unsigned short port,
                          const std::string& method,
                          const std::string& target,
                          const std::string& host) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host +
                    "\r\nConnection: close\r\nContent-Type: application/json\r\n"
                    "Content-Length: 0\r\n\r\n";
  vt::raw_connection c("127.0.0.1", port);
  c.send(req);
  const auto res = c.read_response(10s);
  return res ? res->status : 0;
}

/// Counts the opens of one file (inotify): each load of an image_file opens it, and each load is
/// a copy in memory. The kernel queues an event as the open happens, so opens() after a
/// synchronous call has seen all of that call's. Closes are watched too: inotify merges an
/// event into an identical unread one before it, and open, close, open, ... never are.
class open_counter {
 public:
  explicit open_counter(const std::filesystem::path& file)
      : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    REQUIRE(fd_ >= 0);
    REQUIRE(::inotify_add_watch(fd_, file.c_str(), IN_OPEN | IN_CLOSE) >= 0);
  }
  ~open_counter() { ::close(fd_); }
  open_counter(const open_counter&) = delete;
  open_counter& operator=(const open_counter&) = delete;

  /// Opens since the last call.
  int opens() {
    int n = 0;
    alignas(inotify_event) std::array<char, 4096> buf{};
    for (;;) {
      const auto got = ::read(fd_, buf.data(), buf.size());
      if (got <= 0) {
        return n;
      }
      for (long i = 0; i < got;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf.data() + i);
        n += (e->mask & IN_OPEN) != 0 ? 1 : 0;
        i += static_cast<long>(sizeof(inotify_event) + e->len);
      }
    }
  }

 private:
  int fd_;
};

/// POST /-/reload as curl on this machine sends it; the response.
vt::raw_response reload(unsigned short port) {
  return vt::loopback_request(port, "POST", "/-/reload");
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a reload that adds an admin host serves it and one that removes it refuses it") {
    const auto dir = vt::make_temp_dir("vw-reload");
    const auto file = dir / "config.yaml";
    write_text(file, config_with_hosts(dir / "state", "[]"));
    auto loaded = visionwatch::load_config(file.string());
    REQUIRE(loaded.errors.empty());
    net::io_context io;
    // Fails the step of preparing a configuration with this number (a fail_count sweep).
    std::atomic<std::size_t> fail_at = std::numeric_limits<std::size_t>::max();
    visionwatch::service_options opts;
    opts.handle_signals = false;
    opts.config_path = file.string();
    opts.prepare_step = [&fail_at](std::size_t step) {
      if (step == fail_at.load()) {
        throw std::runtime_error("injected failure");
      }
    };
    visionwatch::service svc(io, std::move(*loaded.value), opts);
    svc.start();
    const auto port = svc.admin_port();
    std::thread runner([&] { io.run(); });

    const std::string name = "vw.internal";
    CHECK(status_with_host(port, "GET", "/api/v1/routes", name) == 403);

    // Added: served (reads, and mutations from a page under that name), but only once the
    // reload succeeds: a failure at any step of preparing it leaves the name refused.
    write_text(file, config_with_hosts(dir / "state", "[" + name + ", \"other.example:8443\"]"));
    vt::raw_response res;
    for (std::size_t n = 0;; ++n) {
      REQUIRE(n < 100);
      fail_at = n;
      res = reload(port);
      if (res.status == 200) {
        break;
      }
      INFO("failure injected at step " << n << ": " << res.body);
      REQUIRE(res.status == 400);
      CHECK(res.body.find("injected failure") != std::string::npos);
      CHECK(status_with_host(port, "GET", "/api/v1/routes", name) == 403);
    }
    fail_at = std::numeric_limits<std::size_t>::max();
    CHECK(status_with_host(port, "GET", "/api/v1/routes", name) == 200);
    CHECK(status_with_host(port, "GET", "/api/v1/routes", name + ":" + std::to_string(port)) ==
          200);
    CHECK(status_with_host(port, "GET", "/metrics", "other.example:8443") == 200);
    CHECK(status_with_host(port, "POST", "/-/reload", name) == 200);

    // A file that does not load changes nothing either: the name it would add stays refused,
    // the names of the running configuration stay served.
    write_text(file,
               config_with_hosts(dir / "state", "[" + name + ", added.example]") +
                   "  - {name: r2, gateway: missing, model: m2}\n");
    res = reload(port);
    CHECK(res.status == 400);
    CHECK(status_with_host(port, "GET", "/api/v1/routes", "added.example") == 403);
    CHECK(status_with_host(port, "GET", "/api/v1/routes", "other.example:8443") == 200);

    // Removed: refused again, by every endpoint.
    write_text(file, config_with_hosts(dir / "state", "[other.example:8443]"));
    res = reload(port);
    REQUIRE(res.status == 200);
    CHECK(status_with_host(port, "GET", "/api/v1/routes", name) == 403);
    CHECK(status_with_host(port, "POST", "/-/reload", name) == 403);
    CHECK(status_with_host(port, "GET", "/metrics", "other.example:8443") == 200);
    // The loopback names never depend on the list.
    CHECK(status_with_host(port, "GET", "/metrics", "localhost") == 200);

    net::post(io, [&] { svc.request_stop(); });
    runner.join();
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("routes that inherit one image_file share one loaded copy of it") {
    // 32 routes of a matrix inherit a 4 MiB image from defaults: loaded per route, the daemon
    // held 32 copies (140 MiB more resident memory at start; a 20 MiB image and 1,000 routes:
    // 20 GB), each read through its own open of the file.
    constexpr std::size_t image_bytes = std::size_t{4} * 1024 * 1024;
    constexpr int routes = 32;
    const auto dir = vt::make_temp_dir("vw-image");
    {
      std::ofstream img(dir / "probe.png", std::ios::binary);
      img << std::string("\x89PNG\r\n\x1a\n", 8) << std::string(image_bytes, 'i');
    }
    std::string models;
    for (int i = 0; i < routes; ++i) {
      models += (i ? ", m" : "m") + std::to_string(i);
    }
    write_text(dir / "config.yaml",
               "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + (dir / "state").string() +
                   "\"\n  shutdown_grace: 100ms\n"
                   "defaults:\n  interval: 1h\n  timeout: 30s\n"
                   "  challenge: {image_file: probe.png, prompt: \"What is shown?\", expect: "
                   "{words: [octagon]}}\n"
                   "gateways:\n"
                   "  - {name: gw, base_url: \"http://127.0.0.1:9/v1\", proxy_url: none, "
                   "max_concurrency: 64}\n"
                   "routes:\n  - matrix: {gateway: gw, models: [" +
                   models + "]}\n");
    auto loaded = visionwatch::load_config((dir / "config.yaml").string());
    for (const auto& e : loaded.errors) {
      FAIL_CHECK(e.to_string());
    }
    REQUIRE(loaded.value);
    REQUIRE(loaded.value->routes.size() == routes);
    net::io_context io;
    visionwatch::service_options opts;
    opts.handle_signals = false;
    visionwatch::service svc(io, *loaded.value, opts);
    open_counter image(dir / "probe.png");
    svc.start();
    CHECK(image.opens() == 1);
    // A reload reads the file again, once (the old copy lives until the swap).
    CHECK(svc.apply(*loaded.value).empty());
    CHECK(image.opens() == 1);
    svc.request_stop();
    io.run();
    std::filesystem::remove_all(dir);
  }
}
