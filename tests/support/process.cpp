#include "tests/support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

#include "probes/http_client.hpp"

extern char** environ;

namespace visionwatch::test {
namespace {

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

/// A socket fd closed on scope exit.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

}  // namespace

child_process::child_process(std::vector<std::string> argv,
                             std::filesystem::path log_file,
                             std::vector<std::string> env)
    : log_file_(std::move(log_file)) {
  if (argv.empty()) {
    throw std::runtime_error("child_process: empty argv");
  }
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    const auto eq = kv.find('=');
    merged[kv.substr(0, eq)] = kv;
  }
  for (auto& kv : env) {
    merged[kv.substr(0, kv.find('='))] = kv;
  }
  std::vector<std::string> env_strings;
  env_strings.reserve(merged.size());
  for (auto& [k, kv] : merged) {
    env_strings.push_back(kv);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv) {
    args.push_back(a.data());
  }
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(
      &actions, 1, log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child starts with default signal handling whatever the test runner blocked.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  const int rc = posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

child_process::~child_process() { stop(); }

std::optional<int> child_process::exit_code() {
  if (status_ || pid_ < 0) {
    return status_;
  }
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = decode_status(status);
  }
  return status_;
}

bool child_process::running() { return pid_ >= 0 && !exit_code().has_value(); }

std::optional<int> child_process::wait(std::chrono::steady_clock::time_point deadline) {
  wait_until([this] { return !running(); }, deadline);
  return exit_code();
}

int child_process::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0) {
    return -1;
  }
  if (running()) {
    ::kill(pid_, SIGTERM);
    if (!wait(after(grace))) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) {
        status_ = decode_status(status);
      }
    }
  }
  return status_.value_or(-1);
}

std::string child_process::log_tail(std::size_t max_bytes) const {
  std::ifstream in(log_file_, std::ios::binary);
  if (!in) {
    return {};
  }
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  const auto start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string out(size - start, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

int run_program(std::vector<std::string> argv,
                const std::filesystem::path& log_file,
                std::chrono::milliseconds timeout) {
  child_process p(std::move(argv), log_file);
  if (auto code = p.wait(after(timeout))) {
    return *code;
  }
  p.stop(std::chrono::milliseconds(0));
  throw std::runtime_error("program did not finish within " + std::to_string(timeout.count()) +
                           " ms; log: " + p.log_tail());
}

bool wait_until(const std::function<bool()>& predicate,
                std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (predicate()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::uint16_t free_loopback_port() {
  fd_guard s{::socket(AF_INET, SOCK_STREAM, 0)};
  if (s.fd < 0) {
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  if (::getsockname(s.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error(std::string("getsockname: ") + std::strerror(errno));
  }
  return ntohs(addr.sin_port);
}

bool wait_for_tcp(std::uint16_t port, std::chrono::steady_clock::time_point deadline) {
  return wait_until(
      [port] {
        fd_guard s{::socket(AF_INET, SOCK_STREAM, 0)};
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port);
        return s.fd >= 0 && ::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      },
      deadline);
}

bool has_ipv6_loopback() {
  fd_guard s{::socket(AF_INET6, SOCK_STREAM, 0)};
  if (s.fd < 0) {
    return false;
  }
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  return ::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

get_result http_get(const std::string& url, std::chrono::milliseconds timeout) {
  net::io_context ioc;
  client_options opts;
  opts.use_env_proxy = false;
  http_client client(ioc.get_executor(), opts);
  http_request req;
  req.method = "GET";
  req.url = url;
  req.timeout = timeout;
  get_result out;
  net::co_spawn(ioc, client.send(std::move(req)), [&](std::exception_ptr e, http_result r) {
    if (e) {
      std::rethrow_exception(e);
    }
    if (!r.ok()) {
      out.error = std::string(to_string(*r.transport_error)) + ": " + r.reason;
      return;
    }
    out.status = r.status;
    out.body = std::move(r.body);
  });
  ioc.run();
  return out;
}

}  // namespace visionwatch::test
