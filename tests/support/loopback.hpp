#pragma once
/// Loopback ports for tests, without hoping: a port that refuses connections for as long as the
/// test holds it, and a start-up retry for third-party servers that cannot bind port 0 and say
/// which port they got. Servers that can (our fakes, the visionwatch binary, Prometheus,
/// Alertmanager) bind port 0 and report it instead.

#include <boost/core/noncopyable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>

#include "tests/support/wait_until.hpp"

namespace visionwatch::test {

/// A TCP port on 127.0.0.1 that is bound but never listens, so every connection to it is
/// refused, and nobody else can take it until this object is destroyed.
class closed_port : boost::noncopyable {
 public:
  closed_port();
  ~closed_port();

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// For servers that must be told their port in advance (tinyproxy): `start(port)` starts one on
/// a port that was free a moment ago and returns true once it listens, false when it failed
/// (another process took the port meanwhile); then a fresh port is tried, up to `attempts`.
/// Returns the port it listens on; throws std::runtime_error when every attempt failed.
std::uint16_t start_on_free_port(const std::function<bool(std::uint16_t)>& start, int attempts = 5);

/// Waits until something accepts TCP connections on 127.0.0.1:port (a connect that succeeds is
/// the event; there is nothing to block on before it, so attempts back off as in wait_until).
bool wait_for_tcp(std::uint16_t port, deadline_type deadline);

/// True when this machine can bind [::1].
bool has_ipv6_loopback();

}  // namespace visionwatch::test
