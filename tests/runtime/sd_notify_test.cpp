// daemon/sd_notify against a real notify socket: the test plays systemd, binding an AF_UNIX
// datagram socket, pointing NOTIFY_SOCKET at it and reading exactly what the daemon sent.
#include "daemon/runtime/sd_notify.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/test_paths.hpp"

using namespace visionwatch;
namespace fs = std::filesystem;

namespace {

/// Sets environment variables for one test and restores the previous values afterwards.
class env_guard {
 public:
  env_guard() = default;
  env_guard(const env_guard&) = delete;
  env_guard& operator=(const env_guard&) = delete;
  ~env_guard() {
    for (const auto& [name, old] : saved_) {
      if (old) {
        ::setenv(name.c_str(), old->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  void set(const std::string& name, const std::string& value) {
    remember(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    remember(name);
    ::unsetenv(name.c_str());
  }

 private:
  void remember(const std::string& name) {
    if (saved_.count(name) == 0) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

/// The "systemd" end: a bound AF_UNIX datagram socket in a fresh temp dir, with NOTIFY_SOCKET
/// pointing at it (unless `point_env_at_it` is false) for the fixture's lifetime.
class notify_listener {
 public:
  explicit notify_listener(bool point_env_at_it = true)
      : dir_(test::make_temp_dir("vw-notify")), path_(dir_ / "notify.sock") {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.string().size() < sizeof addr.sun_path);
    path_.string().copy(addr.sun_path, sizeof addr.sun_path - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    if (point_env_at_it) {
      env_.set("NOTIFY_SOCKET", path_.string());
    } else {
      env_.unset("NOTIFY_SOCKET");
    }
    env_.unset("WATCHDOG_USEC");
    env_.unset("WATCHDOG_PID");
  }
  notify_listener(const notify_listener&) = delete;
  notify_listener& operator=(const notify_listener&) = delete;
  ~notify_listener() {
    ::close(fd_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  env_guard& env() { return env_; }
  [[nodiscard]] const fs::path& path() const { return path_; }

  /// The next datagram, or nullopt when none is queued. sd_notify's sendmsg() has queued the
  /// datagram by the time it returns, so there is nothing to wait for.
  std::optional<std::string> next() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) != 1) {
      return std::nullopt;
    }
    std::string buf(4096, '\0');
    const auto n = ::recv(fd_, buf.data(), buf.size(), 0);
    REQUIRE(n >= 0);
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }

 private:
  env_guard env_;
  fs::path dir_;
  fs::path path_;
  int fd_ = -1;
};

unsigned long long monotonic_usec() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
         static_cast<unsigned long long>(now.tv_nsec) / 1'000ULL;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("ready - stopping and watchdog pings arrive as the exact protocol datagrams") {
    notify_listener systemd;
    CHECK(sd::ready());
    CHECK(systemd.next() == "READY=1");
    CHECK(sd::ready("Probing 3 routes"));
    CHECK(systemd.next() == "READY=1\nSTATUS=Probing 3 routes");
    CHECK(sd::watchdog_ping());
    CHECK(systemd.next() == "WATCHDOG=1");
    CHECK(sd::status("2 of 3 routes failing"));
    CHECK(systemd.next() == "STATUS=2 of 3 routes failing");
    CHECK(sd::stopping());
    CHECK(systemd.next() == "STOPPING=1");
    CHECK(sd::stopping("Waiting for 2 probes"));
    CHECK(systemd.next() == "STOPPING=1\nSTATUS=Waiting for 2 probes");
    CHECK(systemd.next() == std::nullopt);
  }

  TEST_CASE("reloading sends RELOADING=1 with a status and the current monotonic time") {
    notify_listener systemd;
    const auto before = monotonic_usec();
    CHECK(sd::reloading("Reloading configuration"));
    const auto after = monotonic_usec();
    const auto got = systemd.next();
    REQUIRE(got.has_value());
    const std::string prefix = "RELOADING=1\nSTATUS=Reloading configuration\nMONOTONIC_USEC=";
    REQUIRE(got->substr(0, prefix.size()) == prefix);
    const auto digits = got->substr(prefix.size());
    REQUIRE(!digits.empty());
    CHECK(digits.find_first_not_of("0123456789") == std::string::npos);
    const auto usec = std::stoull(digits);
    CHECK(usec >= before);
    CHECK(usec <= after);
    // After the reload the daemon reports ready again, which ends the reload for systemd.
    CHECK(sd::ready("Probing 4 routes"));
    CHECK(systemd.next() == "READY=1\nSTATUS=Probing 4 routes");
  }

  TEST_CASE("a newline in a status text cannot smuggle in another assignment") {
    notify_listener systemd;
    CHECK(sd::status("config.yaml:3: bad\nREADY=1\r\nSTOPPING=1"));
    CHECK(systemd.next() == "STATUS=config.yaml:3: bad READY=1  STOPPING=1");
    CHECK_FALSE(sd::status(""));  // nothing to say, nothing sent
    CHECK(systemd.next() == std::nullopt);
  }

  TEST_CASE("without NOTIFY_SOCKET every call is a no-op") {
    notify_listener systemd(false);
    systemd.env().set("WATCHDOG_USEC", "30000000");
    CHECK_FALSE(sd::ready("up"));
    CHECK_FALSE(sd::reloading("reloading"));
    CHECK_FALSE(sd::stopping());
    CHECK_FALSE(sd::status("idle"));
    CHECK_FALSE(sd::watchdog_ping());
    CHECK(sd::watchdog_interval() == std::nullopt);
    CHECK(systemd.next() == std::nullopt);
  }

  TEST_CASE("an unreachable notify socket is reported as false - not thrown") {
    notify_listener systemd;
    systemd.env().set("NOTIFY_SOCKET", (systemd.path().parent_path() / "absent.sock").string());
    CHECK_FALSE(sd::ready());
    CHECK_FALSE(sd::watchdog_ping());
    CHECK(systemd.next() == std::nullopt);
  }

  TEST_CASE("the watchdog interval is half of WATCHDOG_USEC and only for this process") {
    notify_listener systemd;
    CHECK(sd::watchdog_interval() == std::nullopt);  // WatchdogSec= not set

    systemd.env().set("WATCHDOG_USEC", "30000000");
    CHECK(sd::watchdog_interval() == std::chrono::seconds(15));
    systemd.env().set("WATCHDOG_PID", std::to_string(::getpid()));
    CHECK(sd::watchdog_interval() == std::chrono::seconds(15));

    // Inherited from a parent that systemd watches: not ours to ping.
    systemd.env().set("WATCHDOG_PID", std::to_string(::getpid() == 1 ? 2 : 1));
    CHECK(sd::watchdog_interval() == std::nullopt);

    systemd.env().unset("WATCHDOG_PID");
    systemd.env().set("WATCHDOG_USEC", "soon");
    CHECK(sd::watchdog_interval() == std::nullopt);
  }

  TEST_CASE("the watchdog loop pings from the event loop until it is cancelled") {
    notify_listener systemd;
    systemd.env().set("WATCHDOG_USEC", "40000");  // 40ms: pings every 20ms
    const auto interval = sd::watchdog_interval();
    REQUIRE(interval == std::chrono::microseconds(20'000));

    net::io_context io;
    // The fixture's socket is read synchronously; the loop needs an asynchronous reader on the
    // same io_context, bound beside it.
    const auto path = systemd.path().parent_path() / "loop.sock";
    net::local::datagram_protocol::socket receiver(io,
                                                   net::local::datagram_protocol::endpoint(path));
    systemd.env().set("NOTIFY_SOCKET", path.string());

    net::cancellation_signal stop_loop;
    bool loop_ended = false;
    net::co_spawn(io,
                  sd::watchdog_loop(*interval),
                  net::bind_cancellation_slot(stop_loop.slot(), [&](std::exception_ptr e) {
                    loop_ended = true;
                    CHECK(e == nullptr);  // cancellation ends the loop quietly
                  }));

    std::vector<std::string> received;
    bool timed_out = false;
    net::steady_timer deadline(io, std::chrono::seconds(10));
    deadline.async_wait([&](boost::system::error_code ec) {
      if (!ec) {
        timed_out = true;
        stop_loop.emit(net::cancellation_type::terminal);
        receiver.close();
      }
    });
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
          std::string buf(256, '\0');
          while (received.size() < 3) {
            const auto [ec, n] = co_await receiver.async_receive(net::buffer(buf), use_nothrow);
            if (ec) {
              co_return;
            }
            received.emplace_back(buf.data(), n);
          }
          stop_loop.emit(net::cancellation_type::terminal);
          deadline.cancel();
        },
        [](std::exception_ptr e) { CHECK(e == nullptr); });
    io.run();

    CHECK_FALSE(timed_out);
    CHECK(loop_ended);
    CHECK(received == std::vector<std::string>{"WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"});
  }
}
