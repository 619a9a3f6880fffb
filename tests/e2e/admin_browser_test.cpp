// End to end with a real browser: a hostile page on another loopback origin tries to silence
// every route and reload the configuration through the daemon's admin API with CORS "simple
// requests" (no-cors, text/plain), which a browser sends without asking. Headless Debian
// chromium runs the page; the daemon must refuse both, and must have seen both.
#include <doctest/doctest.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/sim/demo.hpp"
#include "daemon/sim/sim_gateway.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"

namespace admin_browser_test {

namespace {

using namespace visionwatch::e2e_test_names;

constexpr std::string_view settled_marker = "hostile-page-settled";

/// The attack: both requests a CORS "simple request" (POST, text/plain), sent without a
/// preflight; the page then writes a marker into the DOM that --dump-dom prints.
std::string hostile_page(const std::string& admin_url) {
  return R"(<!doctype html><html><body><script>
const admin = ")" +
         admin_url +
         R"(";
const body = JSON.stringify({route: "*", duration: "30d", comment: "pwned"});
const attempt = (path) => fetch(admin + path, {
    method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body})
  .then(() => "sent", (e) => "failed:" + e);
Promise.all([attempt("/api/v1/silences"), attempt("/-/reload")]).then((r) => {
  const p = document.createElement("p");
  p.id = "marker";
  p.textContent = ")" +
         std::string(settled_marker) + R"( " + r.join(" ");
  document.body.appendChild(p);
});
</script></body></html>
)";
}

/// Owns what the browser leaves behind: its process group (chromium starts a zygote, renderers
/// and utilities; `setsid` makes the browser their group leader) is killed and its profile,
/// HOME and TMPDIR removed on every path out of the test.
struct browser_run {
  std::filesystem::path dir = vt::make_temp_dir("vw-chromium");
  std::unique_ptr<vt::child_process> proc;

  ~browser_run() {
    if (proc) {
      const pid_t group = proc->pid();
      if (group > 1) {
        ::kill(-group, SIGKILL);  // ESRCH once everything exited: nothing to do
      }
      proc.reset();  // reaps the browser itself
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("a hostile page in a real browser can neither silence routes nor reload the daemon") {
    const auto chromium = vt::find_in_path("chromium");
    REQUIRE_MESSAGE(chromium, "chromium is not installed (scripts/install-deps)");
    REQUIRE_MESSAGE(vt::find_in_path("setsid"), "setsid (util-linux) is not installed");

    visionwatch::demo_gateway gw;
    gw.start();
    const vt::scoped_temp_dir scratch("vw-e2e-browser");
    const auto& dir = scratch.path;
    const auto config = dir / "config.yaml";
    vt::write_text(config,
                   vt::e2e_config(gw.base_url(),
                                  {{"healthy", "vision-healthy"}},
                                  "  state_dir: \"" + (dir / "state").string() + "\"\n",
                                  "5s"));
    auto daemon = std::make_unique<vt::daemon_process>(
        std::vector<std::string>{"run", "--config", config.string()}, dir / "daemon.log");
    const bool ready = daemon->wait_ready(vt::after(20s));
    INFO(daemon->log_tail());
    REQUIRE(ready);
    const std::string admin_url = "http://127.0.0.1:" + std::to_string(daemon->port());
    const auto reloaded_at =
        daemon->metric("visionwatch_config_last_reload_success_timestamp_seconds");
    REQUIRE(reloaded_at);

    // The page lives on another loopback address: another origin, another site.
    const std::string page = hostile_page(admin_url);
    std::atomic<int> page_served{0};
    visionwatch::sim_gateway::options page_options;
    page_options.address = "127.0.0.2";
    visionwatch::sim_gateway page_server(
        [&](const visionwatch::received_request& req) {
          if (req.target != "/hostile.html") {
            return visionwatch::response_plan::text(404, "not found\n");
          }
          ++page_served;
          visionwatch::response_plan plan;
          plan.headers = {{"Content-Type", "text/html; charset=utf-8"}};
          plan.body = page;
          return plan;
        },
        page_options);
    page_server.start();
    const std::string page_url = page_server.origin() + "/hostile.html";

    {
      browser_run browser;
      const auto profile = browser.dir / "profile";
      // --virtual-time-budget lets the page's script and its fetches finish before the DOM is
      // dumped; virtual time does not advance while a fetch is pending.
      browser.proc = std::make_unique<vt::child_process>(
          std::vector<std::string>{"setsid",
                                   chromium->string(),
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--user-data-dir=" + profile.string(),
                                   "--virtual-time-budget=10000",
                                   "--dump-dom",
                                   page_url},
          dir / "chromium.log",
          std::vector<std::string>{"HOME=" + browser.dir.string(),
                                   "TMPDIR=" + browser.dir.string(),
                                   "XDG_CONFIG_HOME=" + (browser.dir / "config").string(),
                                   "XDG_CACHE_HOME=" + (browser.dir / "cache").string()});
      const auto exit_code = browser.proc->wait(vt::after(60s));
      INFO("chromium: " << browser.proc->log_tail());
      REQUIRE_MESSAGE(exit_code, "chromium did not finish within 60 s");
      CHECK(*exit_code == 0);
      // The page ran to the end: both fetches settled (refused answers are opaque to no-cors).
      CHECK(browser.proc->out().find(std::string(settled_marker) + " sent sent") !=
            std::string::npos);
    }
    CHECK(page_served >= 1);

    // The requests reached the daemon, which refused them as cross-site.
    INFO(daemon->log_tail());
    CHECK(daemon->wait_for_log(
        "admin request refused rule=origin method=POST path=/api/v1/silences", vt::after(10s)));
    CHECK(daemon->wait_for_log("admin request refused rule=origin method=POST path=/-/reload",
                               vt::after(10s)));
    // ... and changed nothing: no silence, no reload.
    const auto silences = json::parse(daemon->get("/api/v1/silences").body, nullptr, false);
    CHECK(silences.value("silences", json::array()).empty());
    CHECK(daemon->metric("visionwatch_config_last_reload_success_timestamp_seconds") ==
          reloaded_at);
    CHECK(daemon->log().find("configuration applied") == std::string::npos);

    // The operator's own curl-style request still works, so the checks above could fail.
    const auto created = daemon->post("/api/v1/silences",
                                      R"({"route":"*","duration":"30d",)"
                                      R"("comment":"maintenance"})");
    CHECK(created.status == 201);
    const auto after = json::parse(daemon->get("/api/v1/silences").body, nullptr, false);
    CHECK(after.value("silences", json::array()).size() == 1);

    page_server.stop();
    daemon.reset();
    gw.stop();
  }
}

}  // namespace admin_browser_test
