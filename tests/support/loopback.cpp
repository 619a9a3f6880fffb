#include "tests/support/loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace visionwatch::test {
namespace {

/// A socket fd closed on scope exit.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

sockaddr_in loopback_v4(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

/// Binds `fd` to 127.0.0.1:0 and returns the port the kernel chose.
std::uint16_t bind_any_port(int fd) {
  auto addr = loopback_v4(0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error(std::string("getsockname: ") + std::strerror(errno));
  }
  return ntohs(addr.sin_port);
}

}  // namespace

closed_port::closed_port() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  if (fd_ < 0) {
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  }
  try {
    port_ = bind_any_port(fd_);
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

closed_port::~closed_port() { ::close(fd_); }

std::uint16_t start_on_free_port(const std::function<bool(std::uint16_t)>& start, int attempts) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    std::uint16_t port = 0;
    {
      const fd_guard probe{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
      if (probe.fd < 0) {
        throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
      }
      port = bind_any_port(probe.fd);
    }
    if (start(port)) {
      return port;
    }
  }
  throw std::runtime_error("no server started after " + std::to_string(attempts) +
                           " attempts on fresh ports");
}

bool wait_for_tcp(std::uint16_t port, deadline_type deadline) {
  return wait_until(deadline, [port] {
    const fd_guard s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    auto addr = loopback_v4(port);
    return s.fd >= 0 && ::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  });
}

bool has_ipv6_loopback() {
  const fd_guard s{::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) {
    return false;
  }
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  return ::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace visionwatch::test
