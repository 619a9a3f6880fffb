// A full state directory for real: the daemon's state_dir is a tiny tmpfs mounted in a private
// mount namespace (`unshare --mount`, so nothing leaks to the host and the mount goes with the
// daemon), filled by the test until the kernel says ENOSPC. Saves must show as failed in
// /metrics while probing goes on, and be retried once space is freed.
//
// Needs root (mount) and util-linux's unshare; CI runs the tests as root. Without them the test
// fails under CI=true and is skipped, with the reason printed, anywhere else.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/sim/demo.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_http_client.hpp"
#include "tests/support/wait_until.hpp"

namespace state_full_disk_test {

namespace {

using namespace visionwatch::e2e_test_names;

constexpr const char* tmpfs_size = "256k";

/// True when the environment says this is a CI run (CI=true, as GitHub and GitLab set it).
bool in_ci() {
  const char* v = std::getenv("CI");
  return v != nullptr && std::string_view(v) != "" && std::string_view(v) != "false" &&
         std::string_view(v) != "0";
}

/// Why a tmpfs cannot be mounted in a private mount namespace here; nullopt when it can.
std::optional<std::string> tmpfs_unavailable(const fs::path& scratch) {
  if (::geteuid() != 0) {
    return "not root: mounting a tmpfs needs root (CI runs the tests as root)";
  }
  for (const char* tool : {"unshare", "mount", "sh"}) {
    if (!vt::find_in_path(tool)) {
      return std::string(tool) + " is not in PATH (util-linux, mount)";
    }
  }
  const auto r = vt::run_process(
      {"unshare", "--mount", "--propagation", "private", "mount", "-t", "tmpfs", "-o",
       std::string("size=") + tmpfs_size, "tmpfs", scratch.string()},
      {},
      30s);
  if (r.exit_code != 0) {
    return "unshare --mount + mount -t tmpfs failed: " + r.err;
  }
  return std::nullopt;
}

/// Writes `path` until the filesystem is full; the errno that stopped it (ENOSPC expected).
int fill(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errno;
  }
  const std::string chunk(std::size_t{16} * 1024, 'x');
  int stopped_by = 0;
  for (;;) {
    const auto n = ::write(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      stopped_by = n < 0 ? errno : ENOSPC;
      break;
    }
  }
  ::close(fd);
  return stopped_by;
}

/// The daemon's /metrics value of `name{labels}` (summed), nullopt when not answering.
std::optional<double> metric(std::uint16_t port,
                             const std::string& name,
                             const std::map<std::string, std::string>& labels = {}) {
  const auto r = vt::loopback_request(port, "GET", "/metrics", {}, {}, 5s);
  if (r.status != 200) {
    return std::nullopt;
  }
  return vt::metric_value(r.body, name, labels);
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("a full tmpfs state directory shows as failed saves while probing goes on") {
    const auto dir = vt::make_temp_dir("vw-tmpfs");
    const auto state = dir / "state";
    fs::create_directories(state);
    if (const auto why = tmpfs_unavailable(state)) {
      fs::remove_all(dir);
      if (in_ci()) {
        FAIL("a real full state directory cannot be tested here: " << *why);
      }
      WARN_MESSAGE(false, "skipped (outside CI only): " << *why);
      return;
    }
    visionwatch::demo_gateway gw;
    gw.start();
    const auto config = dir / "config.yaml";
    vt::write_text(config,
                   vt::e2e_config(gw.base_url(),
                                  {{"healthy", "vision-healthy"}},
                                  "  state_dir: \"" + state.string() + "\"\n"));
    // unshare execs sh, which mounts the tmpfs over state_dir in the new namespace and execs
    // the daemon: one pid, whose /proc/<pid>/root shows the test what the daemon sees.
    vt::child_process daemon({"unshare",
                              "--mount",
                              "--propagation",
                              "private",
                              "sh",
                              "-c",
                              ("mount -t tmpfs -o size=$1,mode=0700 tmpfs \"$2\" && "
                               "exec \"$3\" run --config \"$4\""),
                              "sh",
                              tmpfs_size,
                              state.string(),
                              vt::visionwatch_binary().string(),
                              config.string()},
                             dir / "daemon.log");
    const auto port = daemon.wait_for_port("listening on http://", vt::after(20s));
    INFO(daemon.log_tail());
    REQUIRE(port != 0);
    const fs::path seen = "/proc/" + std::to_string(daemon.pid()) + "/root" + state.string();
    auto save_ok = [&] { return metric(port, "visionwatch_state_last_save_successful"); };
    auto probes = [&] {
      return metric(port, "visionwatch_probes_total", {{"route", "healthy"}}).value_or(0);
    };

    // A silence is saved at once: the tmpfs works, and the host's directory stays empty.
    REQUIRE(vt::loopback_request(
                port, "POST", "/api/v1/silences", R"({"route": "healthy", "duration": "1h"})")
                .status == 201);
    REQUIRE(vt::wait_until(vt::after(10s), [&] { return save_ok() == 1.0; }));
    REQUIRE(fs::exists(seen / "state.json"));
    CHECK(fs::is_empty(state));

    // Fill it; the next save (another silence) fails for want of space.
    CHECK(fill(seen / "filler") == ENOSPC);
    REQUIRE(vt::loopback_request(port,
                                 "POST",
                                 "/api/v1/silences",
                                 R"({"route": "*", "duration": "1h", "comment": "disk-full"})")
                .status == 201);
    CHECK(vt::wait_until(vt::after(10s), [&] { return save_ok() == 0.0; }));
    CHECK(daemon.wait_for_output(vt::after(10s), [](const std::string& out) {
      return out.find("No space left on device") != std::string::npos;
    }));
    CHECK(vt::read_file(seen / "state.json").find("disk-full") == std::string::npos);
    const auto stamp = metric(port, "visionwatch_state_last_save_timestamp_seconds");
    REQUIRE(stamp.has_value());

    // The daemon keeps running and probing, the saves keep failing while the disk is full.
    const auto before = probes();
    CHECK(vt::wait_until(vt::after(20s), [&] { return probes() >= before + 2; }));
    CHECK(daemon.running());
    CHECK(vt::loopback_request(port, "GET", "/-/healthy").status == 200);
    CHECK(save_ok() == 0.0);

    // Space freed: the save is retried without anything new to save, and holds the silence
    // created while the disk was full.
    fs::remove(seen / "filler");
    CHECK(vt::wait_until(vt::after(60s), [&] { return save_ok() == 1.0; }));
    CHECK(daemon.wait_for_output(vt::after(10s), [](const std::string& out) {
      return out.find("state saved again after") != std::string::npos;
    }));
    CHECK(metric(port, "visionwatch_state_last_save_timestamp_seconds").value_or(0) > *stamp);
    CHECK(vt::read_file(seen / "state.json").find("disk-full") != std::string::npos);
    CHECK_FALSE(fs::exists(seen / "state.json.tmp"));

    CHECK(daemon.stop() == 0);
    gw.stop();
    CHECK(fs::is_empty(state));  // the tmpfs went with the daemon's namespace
    fs::remove_all(dir);
  }
}

}  // namespace state_full_disk_test
