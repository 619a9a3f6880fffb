// bearer_token_file through the probe engine: run_probe sends the file's current token as
// Authorization: Bearer (Azure: instead of api-key), picks up a refreshed token on the next probe,
// and masks the token in a reason that echoes it.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/runtime/probe_runner.hpp"
#include "daemon/sim/sim_gateway.hpp"
#include "tests/runtime/probe_job_support.hpp"
#include "tests/support/test_paths.hpp"

namespace {

using namespace visionwatch;
namespace vt = visionwatch::test;
namespace fs = std::filesystem;

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a bearer token file is sent as the Azure Bearer token - refreshed and redacted") {
    std::mutex mutex;
    std::vector<std::pair<std::string, std::string>> seen;  // authorization, api-key
    sim_gateway gw([&](const received_request& req) {
      std::lock_guard lock(mutex);
      seen.emplace_back(req.header("authorization"), req.header("api-key"));
      // A gateway that echoes the credential it refused.
      return response_plan::json(R"({"error":{"code":"401","message":"token )" +
                                     std::string(req.header("authorization")) + R"( is expired"}})",
                                 401);
    });
    gw.start();
    const auto dir = vt::make_temp_dir("vw-bearer-runner");
    const auto token = dir / "token";
    std::ofstream(token) << "eyJfirst.token-AAAA\n";
    const std::string yaml =
        "gateways:\n  - {name: az, base_url: \"" + gw.base_url() +
        "/openai\", api: azure-openai, proxy_url: none, bearer_token_file: \"" + token.string() +
        "\"}\nroutes:\n  - {name: r, gateway: az, model: dep}\n";
    auto loaded = parse_config(yaml, (dir / "c.yaml").string());
    for (const auto& e : loaded.errors) {
      FAIL_CHECK(e.to_string());
    }
    REQUIRE(loaded.value);
    const auto cfg = std::make_shared<const config>(std::move(*loaded.value));

    auto r = vt::run_one(false, cfg, 5);
    CHECK(r.result == outcome::http_4xx);
    CHECK(r.reason.find("the API key or token was refused") != std::string::npos);
    CHECK(r.reason.find("eyJfirst.token-AAAA") == std::string::npos);

    // The sidecar refreshes the token: the next probe sends the new one, and masks it.
    std::ofstream(token, std::ios::trunc) << "eyJsecond.token-BBBBBB\n";
    r = vt::run_one(false, cfg, 5);
    CHECK(r.reason.find("eyJsecond.token-BBBBBB") == std::string::npos);

    std::lock_guard lock(mutex);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].first == "Bearer eyJfirst.token-AAAA");
    CHECK(seen[0].second.empty());
    CHECK(seen[1].first == "Bearer eyJsecond.token-BBBBBB");
    gw.stop();
    fs::remove_all(dir);
  }
}
