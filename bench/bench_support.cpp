#include "bench/bench_support.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace visionwatch::bench {

double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long context_switches() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_nvcsw + u.ru_nivcsw;
}

long thread_context_switches() {
  rusage u{};
  ::getrusage(RUSAGE_THREAD, &u);
  return u.ru_nvcsw + u.ru_nivcsw;
}

double thread_cpu_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

namespace {

long status_kib(const std::string& path, const char* field) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) {
      return std::atol(line.c_str() + std::strlen(field) + 1);
    }
  }
  return 0;
}

}  // namespace

long proc_kib(const char* field) { return status_kib("/proc/self/status", field); }

long proc_kib(const char* field, pid_t pid) {
  return status_kib("/proc/" + std::to_string(pid) + "/status", field);
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::array<std::string, 3> avg;
  in >> avg[0] >> avg[1] >> avg[2];
  return avg[0] + " " + avg[1] + " " + avg[2];
}

const std::string& state_dir() {
  static const std::string dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vw-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    return tmpl;
  }();
  return dir;
}

void remove_state_dir() {
  std::error_code ec;
  std::filesystem::remove_all(state_dir(), ec);
}

std::array<int, 2> make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe(fds.data()) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  return fds;
}

pid_t fork_child() {
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the benchmark
  }
  return pid;
}

pid_t fork_upstream(std::uint16_t& port,
                    const std::function<sim_gateway::handler()>& make_handler) {
  const auto fds = make_pipe();
  const pid_t pid = fork_child();
  if (pid == 0) {
    ::close(fds[0]);
    sim_gateway gw(make_handler());
    gw.start();
    const std::uint16_t p = gw.port();
    if (::write(fds[1], &p, sizeof p) != static_cast<ssize_t>(sizeof p)) {
      std::_Exit(1);
    }
    ::close(fds[1]);
    ::pause();  // until the parent's SIGTERM
    std::_Exit(0);
  }
  ::close(fds[1]);
  if (::read(fds[0], &port, sizeof port) != static_cast<ssize_t>(sizeof port)) {
    std::fprintf(stderr, "upstream did not start\n");
    std::exit(1);
  }
  ::close(fds[0]);
  return pid;
}

std::string output_of_child(const std::function<std::string()>& body) {
  const auto fds = make_pipe();
  const pid_t pid = fork_child();
  if (pid == 0) {
    ::close(fds[0]);
    const std::string out = body();
    std::size_t done = 0;
    while (done < out.size()) {
      const auto n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) {
        std::_Exit(1);
      }
      done += static_cast<std::size_t>(n);
    }
    std::fflush(stdout);
    std::_Exit(0);
  }
  ::close(fds[1]);
  std::string text;
  std::array<char, 4096> buf{};
  for (;;) {
    const auto n = ::read(fds[0], buf.data(), buf.size());
    if (n <= 0) {
      break;
    }
    text.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty()) {
    std::fprintf(stderr, "benchmark child failed (status %d)\n", status);
    std::exit(1);
  }
  return text;
}

void stop_upstream(pid_t pid) {
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
}

sample_summary summarise(std::vector<double>& samples) {
  if (samples.empty()) {
    return {};
  }
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) {
    return samples[std::min(samples.size() - 1,
                            static_cast<std::size_t>(q * static_cast<double>(samples.size())))];
  };
  return sample_summary{at(0.5), at(0.99)};
}

}  // namespace visionwatch::bench
