// End to end: streamed Bedrock Converse probes. The real `visionwatch check` binary signs
// converse-stream requests with SigV4 against the simulated gateway (the demo's, which
// recomputes every signature with the same keys and streams AWS event-stream frames:
// daemon/sim/sim_bedrock_stream.cpp). Asserts the outcome of streaming healthy, streaming
// error, streaming cut off and slow first token routes, the measured time to first token
// against the sim's real first-token delay, and the usage from the stream's metadata event.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/config/exit_codes.hpp"
#include "daemon/sim/demo.hpp"
#include "tests/e2e/e2e_support.hpp"

namespace bedrock_stream_test {

namespace {

using namespace visionwatch::e2e_test_names;

constexpr const char* access_key_id = "AKIAVWSTREAMEXAMPLE1";
constexpr const char* secret_key = "VWSTREAMSECRET/K7MDENG+bPxRfiCYEXAMPLE1";
/// The demo gateway's first-token delays (demo.hpp): every model, and vision-slow-first-token.
constexpr double first_token_delay = 0.250;
constexpr double slow_first_token_delay = 1.500;
/// The bound: TTFT within 50 ms of the server's first-token delay (after the first byte).
constexpr double ttft_slack = 0.050;

/// One Bedrock gateway streaming by default; max_concurrency 1 so the sim (one thread) never
/// holds one probe's request behind another's: the measured TTFT is the sim's delay plus the
/// request itself.
std::string config_yaml(const std::string& base_url) {
  return "defaults:\n  interval: 30s\n  timeout: 10s\n  stream: true\n"
         "  price: {input_per_million: 0.40, output_per_million: 1.60}\n"
         "gateways:\n"
         "  - {name: bedrock, api: bedrock-converse, base_url: \"" +
         base_url +
         "\", aws_region: us-west-2, proxy_url: none, max_concurrency: 1}\n"
         "routes:\n"
         "  - {name: streaming-healthy, gateway: bedrock, model: vision-healthy, challenge: "
         "{kind: digits}}\n"
         "  - {name: streaming-error, gateway: bedrock, model: vision-stream-error, challenge: "
         "{kind: count}}\n"
         "  - {name: streaming-cut, gateway: bedrock, model: vision-stream-cut-off, challenge: "
         "{kind: color}}\n"
         "  - {name: slow-first-token, gateway: bedrock, model: vision-slow-first-token, "
         "challenge: {kind: shape}}\n";
}

/// The sim sends the head and messageStart at once and the first text `delay` later: from the
/// first response byte, the measured first token is the sim's delay plus our reading of one
/// frame. Timed from the first byte (not from the start) so that the connection's set-up, which
/// a loaded machine stretches, is not counted against the measurement.
void check_ttft(const json& probe, double delay) {
  const json& phases = probe.at("phases");
  REQUIRE(phases.at("first_token").is_number());
  const double ttft = phases.at("first_token").get<double>();
  double before_first_byte = 0;
  for (const char* p : {"dns", "connect", "tls", "send", "ttfb"}) {
    before_first_byte += phases.at(p).get<double>();
  }
  MESSAGE("Bedrock streamed TTFT " << ttft << " s (" << ttft - before_first_byte
                                   << " s after the first byte) against a sim delay of " << delay
                                   << " s");
  CHECK(ttft >= delay);
  CHECK(ttft - before_first_byte <= delay + ttft_slack);
  CHECK(ttft <= probe.at("latency_seconds").get<double>());
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("check classifies streamed Bedrock routes - TTFT within 50 ms of the sim's delay") {
    native_keys keys;
    keys.aws_access_key_id = access_key_id;
    keys.aws_secret_access_key = secret_key;
    const vt::started_demo_gateway gw(std::chrono::minutes(2), keys);
    vt::scoped_temp_dir dir("vw-bedrock-stream-e2e");
    const auto config = dir.path / "visionwatch.yaml";
    vt::write_text(config, config_yaml(gw.base_url()));
    const auto r = vt::check_json(config,
                                  2,
                                  {std::string("AWS_ACCESS_KEY_ID=") + access_key_id,
                                   std::string("AWS_SECRET_ACCESS_KEY=") + secret_key});
    INFO("stderr:\n" << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == exit_failed);  // the error and cut-off routes fail
    CHECK(r.out.find(secret_key) == std::string::npos);
    CHECK(r.err.find(secret_key) == std::string::npos);
    const auto j = json::parse(r.out, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());

    const json* healthy = vt::check_route(j, "streaming-healthy");
    REQUIRE(healthy != nullptr);
    CHECK(healthy->at("pass") == true);
    // The control request (never streamed, /converse) learned the text-only baseline.
    REQUIRE(healthy->at("baseline_prompt_tokens").is_number());
    for (const auto& p : healthy->at("results")) {
      CAPTURE(p.dump());
      CHECK(p.at("outcome") == "ok");
      CHECK(p.at("http_status") == 200);
      check_ttft(p, first_token_delay);
      // Usage from the metadata event: Bedrock folds the image into inputTokens, so the prompt
      // exceeds the text-only baseline.
      REQUIRE(p.at("prompt_tokens").is_number());
      CHECK(p.at("prompt_tokens").get<long long>() >
            healthy->at("baseline_prompt_tokens").get<long long>());
      REQUIRE(p.at("completion_tokens").is_number());
      CHECK(p.at("completion_tokens").get<long long>() > 0);
    }
    CHECK(healthy->at("first_token_seconds_median").is_number());

    const json* error = vt::check_route(j, "streaming-error");
    REQUIRE(error != nullptr);
    for (const auto& p : error->at("results")) {
      CAPTURE(p.dump());
      CHECK(p.at("outcome") == "stream_error");
      CHECK(p.at("http_status") == 200);
      CHECK(p.at("reason") ==
            "stream error: error event after HTTP 200: Too many requests, please wait before "
            "trying again. You have sent too many requests. Wait before trying again. "
            "(throttlingException)");
      check_ttft(p, first_token_delay);  // the first token came before the exception
      CHECK(p.at("prompt_tokens").is_null());
    }

    const json* cut = vt::check_route(j, "streaming-cut");
    REQUIRE(cut != nullptr);
    for (const auto& p : cut->at("results")) {
      CAPTURE(p.dump());
      CHECK(p.at("outcome") == "stream_error");
      CHECK(p.at("reason").get<std::string>().starts_with(
          "stream error: the stream ended before its final event (messageStop and metadata): "
          "the connection closed mid-stream"));
      CHECK(p.at("prompt_tokens").is_null());  // the metadata event never came
    }

    const json* slow = vt::check_route(j, "slow-first-token");
    REQUIRE(slow != nullptr);
    CHECK(slow->at("pass") == true);
    for (const auto& p : slow->at("results")) {
      CAPTURE(p.dump());
      CHECK(p.at("outcome") == "ok");
      check_ttft(p, slow_first_token_delay);
      CHECK(p.at("prompt_tokens").is_number());
    }
  }
}

}  // namespace bedrock_stream_test
