#include "daemon/sim/sim_gateway.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "probes/http_client.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/wait_until.hpp"

namespace {

using namespace std::chrono_literals;
using visionwatch::received_request;
using visionwatch::response_plan;
using visionwatch::sim_gateway;
namespace vt = visionwatch::test;
namespace net = visionwatch::net;

visionwatch::http_result post(const std::string& url, std::string body) {
  net::io_context ioc;
  visionwatch::client_options o;
  o.use_env_proxy = false;
  visionwatch::http_client client(ioc.get_executor(), o);
  visionwatch::http_request req;
  req.url = url;
  req.body = std::move(body);
  visionwatch::http_result out;
  net::co_spawn(
      ioc, client.send(std::move(req)), [&](std::exception_ptr e, visionwatch::http_result r) {
        if (e) {
          std::rethrow_exception(e);
        }
        out = std::move(r);
      });
  ioc.run();
  return out;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("the sim gateway listens on a loopback port and reports its URLs") {
    sim_gateway gw([](const received_request&) { return response_plan::text(200, "up"); });
    gw.start();
    CHECK(gw.port() != 0);
    CHECK(gw.origin() == "http://127.0.0.1:" + std::to_string(gw.port()));
    CHECK(gw.base_url() == gw.origin() + "/v1");
    const auto r = vt::http_get(gw.base_url() + "/models");
    CHECK(r.status == 200);
    CHECK(r.body == "up");
    CHECK(gw.request_count() == 1);
    CHECK(gw.connection_count() == 1);
  }

  TEST_CASE("without a handler the sim gateway answers 404") {
    sim_gateway gw;
    gw.start();
    CHECK(vt::http_get(gw.base_url()).status == 404);
  }

  TEST_CASE("the handler sees method and target and can be replaced while running") {
    sim_gateway gw([](const received_request& r) {
      return response_plan::text(200, r.method + " " + r.target);
    });
    gw.start();
    CHECK(vt::http_get(gw.base_url() + "/a?b=1").body == "GET /v1/a?b=1");
    gw.set_handler([](const received_request&) { return response_plan::text(202, "replaced"); });
    const auto r = vt::http_get(gw.base_url());
    CHECK(r.status == 202);
    CHECK(r.body == "replaced");
  }

  TEST_CASE("a handler that throws produces a 500 with its message") {
    sim_gateway gw([](const received_request&) -> response_plan {
      throw std::runtime_error("scripted failure");
    });
    gw.start();
    const auto r = vt::http_get(gw.base_url());
    CHECK(r.status == 500);
    CHECK(r.body.find("scripted failure") != std::string::npos);
  }

  TEST_CASE("a delayed response arrives after the delay") {
    auto plan = response_plan::text(200, "late");
    plan.delay = 300ms;
    sim_gateway gw([plan](const received_request&) { return plan; });
    gw.start();
    const auto start = std::chrono::steady_clock::now();
    const auto r = vt::http_get(gw.base_url());
    CHECK(r.body == "late");
    CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  }

  TEST_CASE("a request body over the cap gets 413") {
    sim_gateway::options o;
    o.max_request_body = 1024;
    sim_gateway gw([](const received_request&) { return response_plan::text(200, "ok"); }, o);
    gw.start();
    const auto small = post(gw.base_url(), std::string(1024, 'b'));
    REQUIRE_MESSAGE(small.ok(), small.reason);
    CHECK(small.status == 200);
    const auto big = post(gw.base_url(), std::string(4096, 'b'));
    REQUIRE_MESSAGE(big.ok(), big.reason);
    CHECK(big.status == 413);
    CHECK(gw.request_count() == 1);
  }

  TEST_CASE("the handler receives the request body and headers") {
    std::string seen;
    sim_gateway gw([&](const received_request& r) {
      seen = std::string(r.header("content-type")) + "|" + r.body;
      return response_plan::json("{}");
    });
    gw.start();
    const auto r = post(gw.base_url(), R"({"x":1})");
    REQUIRE_MESSAGE(r.ok(), r.reason);
    gw.stop();  // joins the server thread: `seen` is safe to read
    CHECK(seen == R"(|{"x":1})");
  }

  TEST_CASE("stop drops a hanging connection and is idempotent") {
    sim_gateway gw([](const received_request&) {
      return response_plan::with_action(response_plan::action::hang);
    });
    gw.start();
    vt::get_result result;
    std::thread client([&] { result = vt::http_get(gw.base_url(), 30s); });
    REQUIRE(vt::wait_until(vt::after(5s), [&] { return gw.request_count() == 1; }));
    const auto start = std::chrono::steady_clock::now();
    gw.stop();
    gw.stop();
    client.join();
    // The client saw the connection close long before its own 30 s deadline.
    CHECK(std::chrono::steady_clock::now() - start < 10s);
    CHECK(result.error.find("connection_reset") == 0);
  }

  TEST_CASE("an unreadable certificate makes start fail naming the file") {
    sim_gateway::options o;
    o.cert_file = "/nonexistent/cert.pem";
    o.key_file = "/nonexistent/key.pem";
    sim_gateway gw({}, o);
    CHECK_THROWS_WITH_AS(
        gw.start(), doctest::Contains("/nonexistent/cert.pem"), std::runtime_error);
  }
}
