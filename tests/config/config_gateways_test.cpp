#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"
#include "tests/support/test_ca.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;
using std::chrono::milliseconds;

TEST_SUITE("unit") {
  TEST_CASE("sizes are checked") {
    CHECK(errors_of("gateways:\n  - {name: gw, base_url: \"https://g/\", max_body: 4XB}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n") ==
          std::vector<std::string>{"config.yaml:2: gateways[0].max_body: \"4XB\" is not a size "
                                   "(use 512KiB, 4MiB, 1GiB or bytes)"});
    CHECK(errors_of("gateways:\n  - {name: gw, base_url: \"https://g/\", max_body: 2GiB}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n") ==
          std::vector<std::string>{
              "config.yaml:2: gateways[0].max_body: \"2GiB\" is out of range (1KiB..1GiB)"});
  }

  TEST_CASE("gateway headers and TLS and proxy settings reach client_options") {
    const auto dir = test::make_temp_dir("vw-tls");
    // A real CA: validation loads it as the TLS client will.
    write_file(dir, "ca.pem", test::read_file(test::test_certificates().ca_cert));
    const auto r = parse_config(
        "gateways:\n"
        "  - name: gw\n"
        "    base_url: https://gw/v1\n"
        "    headers: {X-Title: visionwatch, Host: evil, \"bad header\": x}\n"
        "    tls: {ca_file: ca.pem, server_name: api.internal, insecure_skip_verify: true}\n"
        "    proxy_url: http://proxy:3128\n"
        "    keep_alive: true\n"
        "    connect_timeout: 2s\n"
        "    max_body: 512KiB\n"
        "    max_concurrency: 9\n"
        "routes: [{name: r, gateway: gw, model: m}]\n",
        (dir / "c.yaml").string(),
        no_env);
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].message == "the Host header is set by visionwatch");
    CHECK(r.errors[1].message == "\"bad header\" is not a valid header name");
    const auto ok = parse_config(
        "gateways:\n"
        "  - name: gw\n"
        "    base_url: https://gw/v1\n"
        "    headers: {X-Title: visionwatch}\n"
        "    tls: {ca_file: ca.pem, server_name: api.internal, insecure_skip_verify: true}\n"
        "    proxy_url: http://proxy:3128\n"
        "    keep_alive: true\n"
        "    connect_timeout: 2s\n"
        "    max_body: 512KiB\n"
        "    max_concurrency: 9\n"
        "routes: [{name: r, gateway: gw, model: m}]\n",
        (dir / "c.yaml").string(),
        no_env);
    REQUIRE(ok.value);
    const auto& g = ok.value->gateways[0];
    CHECK(g.headers == header_list{{"X-Title", "visionwatch"}});
    CHECK(g.client.tls.ca_file == (dir / "ca.pem").string());
    CHECK(g.client.tls.server_name == "api.internal");
    CHECK(g.client.tls.insecure_skip_verify);
    CHECK(g.client.proxy_url == "http://proxy:3128");
    CHECK_FALSE(g.client.use_env_proxy);
    CHECK(g.client.keep_alive);
    CHECK(g.client.connect_timeout == milliseconds{2000});
    CHECK(g.client.body_limit == 512U * 1024);
    CHECK(g.max_concurrency == 9);
    std::filesystem::remove_all(dir);
  }
}
