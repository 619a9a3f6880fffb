#include "daemon/runtime/sd_notify.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <cstdlib>
#include <ctime>
#include <string>
#include <system_error>

namespace visionwatch::sd {
namespace {

bool under_systemd() noexcept {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket != nullptr && *socket != '\0';
}

/// One assignment per line in the protocol: a newline in a status would start another one.
void append_status(std::string& message, std::string_view text) {
  if (text.empty()) {
    return;
  }
  message += "\nSTATUS=";
  for (const char c : text) {
    message += (c == '\n' || c == '\r') ? ' ' : c;
  }
}

bool send(const std::string& message) {
  if (!under_systemd()) {
    return false;
  }
  const int r = ::sd_notify(0, message.c_str());
  if (r <= 0) {
    // Only the first assignment: status texts may be long and are already logged elsewhere.
    const auto first = std::string_view(message).substr(0, message.find('\n'));
    spdlog::warn("sd_notify {} failed: {}",
                 first,
                 r < 0 ? std::system_category().message(-r) : "NOTIFY_SOCKET is not usable");
    return false;
  }
  return true;
}

}  // namespace

bool ready(std::string_view status_text) {
  std::string message = "READY=1";
  append_status(message, status_text);
  return send(message);
}

bool reloading(std::string_view status_text) {
  std::string message = "RELOADING=1";
  append_status(message, status_text);
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
                    static_cast<unsigned long long>(now.tv_nsec) / 1'000ULL;
  message += "\nMONOTONIC_USEC=" + std::to_string(usec);
  return send(message);
}

bool stopping(std::string_view status_text) {
  std::string message = "STOPPING=1";
  append_status(message, status_text);
  return send(message);
}

bool status(std::string_view text) {
  std::string message;
  append_status(message, text);
  if (message.empty()) {
    return false;
  }
  return send(message.substr(1));  // drop append_status's leading newline
}

bool watchdog_ping() { return send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  if (!under_systemd()) {
    return std::nullopt;
  }
  std::uint64_t usec = 0;
  // 0: keep WATCHDOG_USEC/WATCHDOG_PID in the environment; they only describe this process.
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
    return std::nullopt;
  }
  // Half the timeout, as sd_watchdog_enabled(3) advises: one late ping is not yet a restart.
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(usec / 2));
}

net::awaitable<void> watchdog_loop(std::chrono::microseconds interval) {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    watchdog_ping();
    timer.expires_after(interval);
    const auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) {
      co_return;  // operation_aborted: shutdown cancelled us
    }
  }
}

}  // namespace visionwatch::sd
