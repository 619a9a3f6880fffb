#include "tests/support/process.hpp"

#include "tests/support/test_paths.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>

extern char** environ;

namespace visionwatch::test {
namespace {

/// Both ends of a close-on-exec pipe (close-on-exec: children spawned by other threads at the
/// same moment must not inherit them, or this pipe would never see EOF).
struct pipe_fds {
  int read = -1;
  int write = -1;
  pipe_fds() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
      throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    }
    read = fds[0];
    write = fds[1];
  }
  pipe_fds(const pipe_fds&) = delete;
  pipe_fds& operator=(const pipe_fds&) = delete;
  ~pipe_fds() {
    close(read);
    close(write);
  }
  static void close(int& fd) {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
};

std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    merged[kv.substr(0, kv.find('='))] = kv;
  }
  for (const auto& kv : extra) {
    merged[kv.substr(0, kv.find('='))] = kv;
  }
  std::vector<std::string> out;
  out.reserve(merged.size());
  for (auto& [name, kv] : merged) {
    out.push_back(std::move(kv));
  }
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

int milliseconds_left(deadline_type deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, 1 << 30));
}

}  // namespace

child_process::child_process(std::vector<std::string> argv,
                             std::filesystem::path log_file,
                             std::vector<std::string> env)
    : log_file_(std::move(log_file)) {
  if (argv.empty()) {
    throw std::runtime_error("child_process: empty argv");
  }
  if (!log_file_.empty()) {
    log_.open(log_file_, std::ios::binary | std::ios::trunc);
  }
  pipe_fds out_pipe;
  pipe_fds err_pipe;
  auto env_strings = merged_environment(env);
  auto envp = c_strings(env_strings);
  auto args = c_strings(argv);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe.write, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe.write, STDERR_FILENO);
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
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  pipe_fds::close(out_pipe.write);
  pipe_fds::close(err_pipe.write);
  reader_ = std::thread(
      [this, out_fd = out_pipe.read, err_fd = err_pipe.read] { read_output(out_fd, err_fd); });
  out_pipe.read = -1;  // the reader closes them
  err_pipe.read = -1;
}

child_process::~child_process() {
  try {
    stop();
    // The reader ends at EOF, which comes once the child and anything it started are gone.
    reader_.join();
  } catch (...) {  // a destructor must not throw: the test fails instead
    FAIL_CHECK("a child process could not be stopped");
  }
  if (pidfd_ >= 0) {
    ::close(pidfd_);
  }
}

void child_process::read_output(int out_fd, int err_fd) {
  std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      std::array<char, 4096> buf{};
      const auto got = ::read(fds[i].fd, buf.data(), buf.size());
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_fds;
        continue;
      }
      const std::string_view chunk(buf.data(), static_cast<std::size_t>(got));
      if (log_.is_open()) {
        log_.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        log_.flush();
      }
      {
        const std::lock_guard lock(mutex_);
        (i == 0 ? out_ : err_).append(chunk);
        all_.append(chunk);
      }
      changed_.notify_all();
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) {
      ::close(p.fd);
    }
  }
  {
    const std::lock_guard lock(mutex_);
    eof_ = true;
  }
  changed_.notify_all();
}

std::optional<int> child_process::exit_code() {
  if (status_ || pid_ < 0) {
    return status_;
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    if (WIFEXITED(status)) {
      status_ = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      signalled_ = true;
      status_ = 128 + WTERMSIG(status);
    } else {
      status_ = -1;
    }
  }
  return status_;
}

bool child_process::running() { return pid_ >= 0 && !exit_code().has_value(); }

std::optional<int> child_process::wait(deadline_type deadline) {
  if (pidfd_ < 0) {
    wait_until(deadline, [this] { return !running(); });
  }
  while (pidfd_ >= 0 && running()) {
    pollfd p{pidfd_, POLLIN, 0};
    const int r = ::poll(&p, 1, milliseconds_left(deadline));
    if (r == 0) {
      break;  // the deadline passed
    }
    if (r < 0 && errno != EINTR) {
      throw std::runtime_error(std::string("poll(pidfd): ") + std::strerror(errno));
    }
  }
  if (exit_code()) {
    // What it wrote before exiting may still be in the pipes: read it before answering.
    wait_for_eof(deadline);
  }
  return exit_code();
}

void child_process::signal(int signo) {
  if (!running() || ::kill(pid_, signo) != 0) {
    throw std::runtime_error("cannot signal pid " + std::to_string(pid_) + ": it has exited");
  }
}

int child_process::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0) {
    return -1;
  }
  if (running()) {
    ::kill(pid_, SIGTERM);
    if (!wait(after(grace))) {
      ::kill(pid_, SIGKILL);
      wait(after(std::chrono::minutes(1)));
    }
  }
  return status_.value_or(-1);
}

bool child_process::wait_for_output(
    deadline_type deadline, const std::function<bool(const std::string&)>& predicate) const {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (predicate(all_)) {
      return true;
    }
    if (eof_ || changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return predicate(all_);
    }
  }
}

std::uint16_t child_process::wait_for_port(std::string_view marker, deadline_type deadline) const {
  std::uint16_t port = 0;
  wait_for_output(deadline, [&](const std::string& text) {
    port = port_after(text, marker);
    return port != 0;
  });
  return port;
}

bool child_process::wait_for_eof(deadline_type deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [this] { return eof_; });
}

std::string child_process::out() const {
  const std::lock_guard lock(mutex_);
  return out_;
}

std::string child_process::err() const {
  const std::lock_guard lock(mutex_);
  return err_;
}

std::string child_process::output() const {
  const std::lock_guard lock(mutex_);
  return all_;
}

std::string child_process::log_tail(std::size_t max_bytes) const {
  const std::lock_guard lock(mutex_);
  return all_.size() > max_bytes ? all_.substr(all_.size() - max_bytes) : all_;
}

std::uint16_t port_after(std::string_view text, std::string_view marker) {
  for (auto at = text.find(marker); at != std::string_view::npos; at = text.find(marker, at + 1)) {
    const auto host = at + marker.size();
    // The port follows the last ':' of the HOST:PORT token (IPv6 literals are bracketed).
    auto end = text.find_first_of(" \t\r\n\"/", host);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const auto colon = text.rfind(':', end);
    if (colon == std::string_view::npos || colon < host) {
      continue;
    }
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(text.data() + colon + 1, text.data() + end, value);
    if (ec == std::errc{} && ptr == text.data() + end && value > 0 && value <= 65535) {
      return static_cast<std::uint16_t>(value);
    }
  }
  return 0;
}

process_result run_process(const std::vector<std::string>& argv,
                           const std::vector<std::string>& extra_env,
                           std::chrono::milliseconds timeout) {
  child_process child(argv, {}, extra_env);
  const auto deadline = after(timeout);
  process_result result;
  if (!child.wait(deadline) || !child.wait_for_eof(deadline)) {
    result.timed_out = true;
    child.stop(std::chrono::milliseconds(0));
  } else if (!child.signalled()) {
    result.exit_code = *child.exit_code();
  }
  result.out = child.out();
  result.err = child.err();
  return result;
}

process_result run_visionwatch(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{visionwatch_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {}, timeout);
}

std::optional<std::filesystem::path> find_in_path(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const auto dir = dirs.substr(0, colon);
    if (!dir.empty()) {
      auto candidate = std::filesystem::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
    if (colon == std::string_view::npos) {
      break;
    }
    dirs.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

}  // namespace visionwatch::test
