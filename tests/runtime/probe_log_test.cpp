#include "daemon/runtime/probe_log.hpp"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "probes/logging.hpp"
#include "tests/support/captured_log.hpp"

using namespace visionwatch;

namespace {

using visionwatch::test::captured_log;

probe_result failed_probe() {
  probe_result r;
  r.route = "vision-1";
  r.kind = challenge_kind::digits;
  r.result = outcome::wrong_answer;
  r.reason = "answer '42' does not contain expected '4821'";
  r.http_status = 200;
  r.latency_seconds = 0.0421;
  r.tokens.prompt_tokens = 310;
  r.baseline_prompt_tokens = 25;
  r.cost_usd = 0.000125;
  r.seed = 18446744073709551615ULL;
  r.sequence = 12;
  return r;
}

route_config route() {
  route_config rc;
  rc.name = "vision-1";
  rc.model = "gpt-4o-mini";
  rc.gateway = "openrouter";
  return rc;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the probe log line carries every field in its fixed order") {
    const captured_log log("text", "debug");
    log_probe(failed_probe(), route());
    const std::string text = log.text();
    CHECK(text.find(" warning probe route=vision-1 model=gpt-4o-mini gateway=openrouter "
                    "kind=digits outcome=wrong_answer status=200 latency_s=0.042 ttft_s=- "
                    "prompt_tokens=310 completion_tokens=- image_tokens=- baseline=25 "
                    "cost_usd=0.000125 seed=18446744073709551615 seq=12 "
                    "reason=\"answer '42' does not contain expected '4821'\"\n") !=
          std::string::npos);
  }

  TEST_CASE("the probe log line in json mode has the same fields as strings") {
    const captured_log log("json", "debug");
    probe_result r = failed_probe();
    r.phases.first_token = 0.25;
    log_probe(r, route());
    const auto j = nlohmann::json::parse(log.text());
    CHECK(j.at("msg") == "probe");
    CHECK(j.at("level") == "warning");
    CHECK(j.at("outcome") == "wrong_answer");
    CHECK(j.at("ttft_s") == "0.250");
    CHECK(j.at("seed") == "18446744073709551615");
    CHECK(j.at("completion_tokens") == "-");
    CHECK(j.at("reason") == "answer '42' does not contain expected '4821'");
  }

  TEST_CASE("a control request logs as baseline and a quiet probe at debug") {
    const captured_log log("text", "debug");
    probe_result r = failed_probe();
    r.control = true;
    r.result = outcome::ok;
    r.reason.clear();
    log_probe(r, route(), true);
    CHECK(log.text().find(" debug baseline route=vision-1 ") != std::string::npos);
    CHECK(log.text().find("kind=control") != std::string::npos);
    CHECK(log.text().find("reason=") == std::string::npos);
  }
}
