#include "tests/support/raw_http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace visionwatch::test {

std::string raw_response::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

raw_connection::raw_connection(const std::string& host, unsigned short port) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    throw std::runtime_error("raw_connection: not an IP literal: " + host);
  }
  fd_ = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    throw std::runtime_error(std::string("raw_connection: socket: ") + std::strerror(errno));
  }
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("raw_connection: connect to " + host + ":" + std::to_string(port) +
                             ": " + std::strerror(err));
  }
}

raw_connection::~raw_connection() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool raw_connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void raw_connection::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

long raw_connection::read_some(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    // Poll at least once, even when the deadline has passed: wait_closed(0) checks "now".
    const auto left = std::max<std::chrono::milliseconds::rep>(
        0,
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                              std::chrono::steady_clock::now())
            .count());
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r == 0) {
      return -1;
    }
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      return 0;
    }
    std::array<char, 4096> chunk{};
    const auto n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return 0;  // EOF or reset: the peer is gone either way
    }
    buffer_.append(chunk.data(), static_cast<std::size_t>(n));
    return n;
  }
}

std::optional<raw_response> raw_connection::read_response(std::chrono::milliseconds timeout,
                                                          bool head) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t end = std::string::npos;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (read_some(deadline) <= 0) {
      return std::nullopt;
    }
  }
  raw_response res;
  const std::string_view head_text(buffer_.data(), end);
  auto line_end = head_text.find("\r\n");
  res.status_line = std::string(head_text.substr(0, line_end));
  if (!res.status_line.starts_with("HTTP/1.") || res.status_line.size() < 12) {
    return std::nullopt;
  }
  const auto code = std::string_view(res.status_line).substr(9, 3);
  if (std::from_chars(code.data(), code.data() + 3, res.status).ec != std::errc{}) {
    return std::nullopt;
  }
  while (line_end != std::string_view::npos) {
    const auto start = line_end + 2;
    line_end = head_text.find("\r\n", start);
    const auto line = head_text.substr(
        start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
      return static_cast<char>(std::tolower(c));
    });
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    res.headers[name] = std::string(value);
  }
  buffer_.erase(0, end + 4);
  const bool bodyless = head || res.status < 200 || res.status == 204 || res.status == 304;
  if (!bodyless && res.header("transfer-encoding") == "chunked") {
    // size in hex, CRLF, data, CRLF ... then "0" CRLF CRLF (no trailers from our servers).
    for (;;) {
      std::size_t line = 0;
      while ((line = buffer_.find("\r\n")) == std::string::npos) {
        if (read_some(deadline) <= 0) {
          return std::nullopt;
        }
      }
      std::size_t size = 0;
      if (std::from_chars(buffer_.data(), buffer_.data() + line, size, 16).ec != std::errc{}) {
        return std::nullopt;
      }
      while (buffer_.size() < line + 2 + size + 2) {
        if (read_some(deadline) <= 0) {
          return std::nullopt;  // a truncated body is no response
        }
      }
      if (buffer_.compare(line + 2 + size, 2, "\r\n") != 0) {
        return std::nullopt;
      }
      res.body.append(buffer_, line + 2, size);
      ++res.chunks;
      buffer_.erase(0, line + 2 + size + 2);
      if (size == 0) {
        --res.chunks;
        return res;
      }
    }
  }
  if (!bodyless && res.header("content-length").empty() &&
      res.status_line.starts_with("HTTP/1.0")) {
    // Delimited by close.
    long n = 0;
    while ((n = read_some(deadline)) > 0) {
    }
    if (n < 0) {
      return std::nullopt;  // the deadline passed before the close
    }
    res.body = std::move(buffer_);
    buffer_.clear();
    return res;
  }
  std::size_t length = 0;
  const auto cl = res.header("content-length");
  if (!head && !cl.empty() && res.status >= 200 && res.status != 204 && res.status != 304) {
    if (std::from_chars(cl.data(), cl.data() + cl.size(), length).ec != std::errc{}) {
      return std::nullopt;
    }
    while (buffer_.size() < length) {
      if (read_some(deadline) <= 0) {
        return std::nullopt;
      }
    }
    res.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
  }
  return res;
}

bool raw_connection::wait_closed(std::chrono::milliseconds timeout, std::string* received) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto before = buffer_.size();
    const long n = read_some(deadline);
    if (received != nullptr && buffer_.size() > before) {
      received->append(buffer_, before, std::string::npos);
    }
    if (n == 0) {
      return true;
    }
    if (n < 0) {
      return false;
    }
  }
}

bool raw_connection::closed_now() { return wait_closed(std::chrono::milliseconds(0)); }

raw_response loopback_request(std::uint16_t port,
                              const std::string& method,
                              const std::string& target,
                              const std::string& body,
                              const std::map<std::string, std::string>& headers,
                              std::chrono::milliseconds timeout) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n";
  bool has_type = false;
  for (const auto& [name, value] : headers) {
    req += name;
    req += ": ";
    req += value;
    req += "\r\n";
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
      return static_cast<char>(std::tolower(c));
    });
    has_type = has_type || lower == "content-type";
  }
  // The admin API refuses a mutation without the JSON type, an empty-bodied POST included.
  const bool mutation = method != "GET" && method != "HEAD";
  if ((!body.empty() || mutation) && !has_type) {
    req += "Content-Type: application/json\r\n";
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  try {
    raw_connection c("127.0.0.1", port);
    if (!c.send(req)) {
      return {};
    }
    if (auto r = c.read_response(timeout, method == "HEAD")) {
      return std::move(*r);
    }
  } catch (const std::exception&) {
    // Not reachable: status 0 tells the caller.
  }
  return {};
}

std::uint16_t port_of_url(const std::string& url) {
  const std::string prefix = "http://127.0.0.1:";
  if (!url.starts_with(prefix)) {
    throw std::invalid_argument("not a loopback http URL: " + url);
  }
  unsigned value = 0;
  const char* first = url.data() + prefix.size();
  const auto [end, ec] = std::from_chars(first, url.data() + url.size(), value);
  if (ec != std::errc{} || end == first || value == 0 || value > 65535) {
    throw std::invalid_argument("no port in " + url);
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace visionwatch::test
