// End to end: streamed probes (`stream: true`) with the real binary against a simulated gateway
// in this process that streams OpenAI chat replies with a known first-token delay, an error
// event after HTTP 200, or a stream cut off before its final event. Asserts the outcome, the
// measured time to first token against the server's real delay, and that usage comes from the
// stream; then that a slow first token shows in the daemon's metrics.
#include <doctest/doctest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/config/exit_codes.hpp"
#include "daemon/sim/demo.hpp"
#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"
#include "daemon/sim/sim_stream.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/process.hpp"

namespace streaming_test {

namespace {

using namespace visionwatch::e2e_test_names;

constexpr auto first_token_delay = 300ms;
constexpr auto slow_first_token_delay = 1200ms;
constexpr sim_stream_models stream_models{
    "stream-error", "stream-cut", "stream-slow", first_token_delay, slow_first_token_delay};
/// How far above the server's delay a measured TTFT may be: loopback, the request and the
/// role chunk take milliseconds; the slack keeps a loaded 2-core CI machine from failing it.
constexpr double ttft_slack_seconds = 0.25;

/// A gateway whose sim model answers every request healthy; a streamed request gets its reply
/// streamed as its model name says. Records whether each request asked for a stream with usage.
class streaming_gateway {
 public:
  streaming_gateway() : server_([this](const received_request& r) { return handle(r); }) {
    server_.start();
  }
  [[nodiscard]] std::string base_url() const { return server_.base_url(); }
  /// Models whose requests asked for `stream: true` with `stream_options.include_usage`.
  std::vector<std::string> streamed_models() {
    std::lock_guard lock(mutex_);
    return streamed_;
  }

 private:
  response_plan handle(const received_request& r) {
    const auto body = json::parse(r.body, nullptr, false);
    const std::string model = body.is_object() ? body.value("model", "") : "";
    auto plan = model_.respond(r, sim_behaviour::healthy);
    if (!wants_stream(r)) {
      return plan;
    }
    if (body.contains("stream_options") && body["stream_options"].value("include_usage", false)) {
      std::lock_guard lock(mutex_);
      streamed_.push_back(model);
    }
    return stream_chat_reply(plan, stream_options_of_model(model, stream_models));
  }

  sim_model model_;  ///< gateway thread only
  std::mutex mutex_;
  std::vector<std::string> streamed_;
  sim_gateway server_;
};

std::string config_yaml(const std::string& base_url, const std::string& global = {}) {
  std::string y = global;
  y += "defaults:\n  interval: 3s\n  timeout: 3s\n  stream: true\n"
       "  price: {input_per_million: 0.40, output_per_million: 1.60}\n";
  y += "gateways:\n  - {name: sim, base_url: \"" + base_url +
       "\", proxy_url: none, max_concurrency: 8}\n";
  y += "routes:\n"
       "  - {name: streaming-healthy, gateway: sim, model: stream-healthy, challenge: {kind: "
       "digits}}\n"
       "  - {name: streaming-error, gateway: sim, model: stream-error, challenge: {kind: count}}\n"
       "  - {name: streaming-cut, gateway: sim, model: stream-cut, challenge: {kind: color}}\n"
       "  - {name: streaming-slow, gateway: sim, model: stream-slow, challenge: {kind: shape}}\n"
       "  - {name: not-streaming, gateway: sim, model: plain, stream: false, challenge: {kind: "
       "digits}}\n";
  return y;
}

const json* route_of(const json& j, const std::string& name) {
  for (const auto& r : j.at("routes")) {
    if (r.at("route") == name) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("check classifies streamed routes and measures time to first token") {
    streaming_gateway gw;
    const vt::scoped_temp_dir dir("vw-stream-e2e");
    const auto config = dir.path / "visionwatch.yaml";
    vt::write_text(config, config_yaml(gw.base_url()));
    const auto r = vt::check_json(config, 2);
    INFO("stderr:\n" << r.err);
    CHECK(r.exit_code == exit_failed);  // the error and cut routes fail
    const auto j = json::parse(r.out, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());

    const json* healthy = route_of(j, "streaming-healthy");
    REQUIRE(healthy != nullptr);
    CHECK(healthy->at("pass") == true);
    for (const auto& p : healthy->at("results")) {
      CHECK(p.at("outcome") == "ok");
      REQUIRE(p.at("phases").at("first_token").is_number());
      const double ttft = p.at("phases").at("first_token").get<double>();
      const double delay = std::chrono::duration<double>(first_token_delay).count();
      MESSAGE("streamed TTFT " << ttft << " s against a server delay of " << delay << " s");
      CHECK(ttft >= delay);
      CHECK(ttft <= delay + ttft_slack_seconds);
      CHECK(ttft <= p.at("latency_seconds").get<double>());
      // Usage from the stream's final chunk: the sim bills the image, so prompt tokens exceed
      // the text-only baseline.
      REQUIRE(p.at("prompt_tokens").is_number());
      CHECK(p.at("prompt_tokens").get<long long>() >
            healthy->at("baseline_prompt_tokens").get<long long>());
      CHECK(p.at("completion_tokens").is_number());
    }
    CHECK(healthy->at("first_token_seconds_median").is_number());

    const json* error = route_of(j, "streaming-error");
    REQUIRE(error != nullptr);
    for (const auto& p : error->at("results")) {
      CHECK(p.at("outcome") == "stream_error");
      CHECK(p.at("reason") ==
            "stream error: error event after HTTP 200: The server had an error while processing "
            "your request. (server_error)");
      CHECK(p.at("http_status") == 200);
    }
    const json* cut = route_of(j, "streaming-cut");
    REQUIRE(cut != nullptr);
    for (const auto& p : cut->at("results")) {
      CHECK(p.at("outcome") == "stream_error");
      CHECK(p.at("reason").get<std::string>().starts_with(
          "stream error: the stream ended before its final event (data: [DONE]): the "
          "connection closed mid-stream"));
      CHECK(p.at("prompt_tokens").is_null());  // the usage chunk never came
    }
    const json* slow = route_of(j, "streaming-slow");
    REQUIRE(slow != nullptr);
    for (const auto& p : slow->at("results")) {
      CHECK(p.at("outcome") == "ok");
      CHECK(p.at("phases").at("first_token").get<double>() >=
            std::chrono::duration<double>(slow_first_token_delay).count());
    }
    const json* plain = route_of(j, "not-streaming");
    REQUIRE(plain != nullptr);
    for (const auto& p : plain->at("results")) {
      CHECK(p.at("outcome") == "ok");
      CHECK(p.at("phases").at("first_token").is_null());
    }
    const auto streamed = gw.streamed_models();
    CHECK(std::count(streamed.begin(), streamed.end(), "stream-healthy") == 2);
    CHECK(std::count(streamed.begin(), streamed.end(), "plain") == 0);
  }

  TEST_CASE("a slow first token shows in the daemon's metrics") {
    streaming_gateway gw;
    const vt::scoped_temp_dir dir("vw-stream-e2e");
    const auto config = dir.path / "visionwatch.yaml";
    vt::write_text(config,
                   config_yaml(gw.base_url(),
                               "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" +
                                   (dir.path / "state").string() + "\"\n"));
    vt::daemon_process proc({"run", "--config", config.string()}, dir.path / "daemon.log");
    REQUIRE(proc.wait_ready(vt::after(20s)));
    const auto count_of = [&](const std::string& route) {
      return proc.metric("visionwatch_probe_first_token_seconds_count", {{"route", route}});
    };
    const bool probed = vt::wait_until(vt::after(30s), [&] {
      const auto slow = count_of("streaming-slow");
      const auto fast = count_of("streaming-healthy");
      const auto errors = proc.metric("visionwatch_probes_total",
                                      {{"route", "streaming-error"}, {"outcome", "stream_error"}});
      return slow && *slow >= 1 && fast && *fast >= 1 && errors && *errors >= 1;
    });
    INFO(proc.log());
    REQUIRE(probed);
    const std::string m = proc.get("/metrics").body;
    const auto slow_sum = vt::metric_value(
        m, "visionwatch_probe_first_token_seconds_sum", {{"route", "streaming-slow"}});
    const auto slow_count = vt::metric_value(
        m, "visionwatch_probe_first_token_seconds_count", {{"route", "streaming-slow"}});
    const auto fast_sum = vt::metric_value(
        m, "visionwatch_probe_first_token_seconds_sum", {{"route", "streaming-healthy"}});
    const auto fast_count = vt::metric_value(
        m, "visionwatch_probe_first_token_seconds_count", {{"route", "streaming-healthy"}});
    REQUIRE(slow_sum);
    REQUIRE(fast_sum);
    const double slow_mean = *slow_sum / *slow_count;
    const double fast_mean = *fast_sum / *fast_count;
    MESSAGE("mean TTFT: slow " << slow_mean << " s, healthy " << fast_mean << " s");
    CHECK(slow_mean >= std::chrono::duration<double>(slow_first_token_delay).count());
    CHECK(fast_mean < std::chrono::duration<double>(slow_first_token_delay).count());
    const auto phase = vt::metric_value(m,
                                        "visionwatch_probe_phase_seconds",
                                        {{"route", "streaming-slow"}, {"phase", "first_token"}});
    REQUIRE(phase);
    CHECK(*phase >= std::chrono::duration<double>(slow_first_token_delay).count());
    CHECK(vt::metric_value(
              m, "visionwatch_route_info", {{"route", "streaming-slow"}, {"stream", "true"}}) == 1);
    CHECK(vt::metric_value(
              m, "visionwatch_route_info", {{"route", "not-streaming"}, {"stream", "false"}}) == 1);
    CHECK_FALSE(vt::metric_value(m,
                                 "visionwatch_probe_phase_seconds",
                                 {{"route", "not-streaming"}, {"phase", "first_token"}}));
    CHECK(vt::metric_value(m,
                           "visionwatch_probe_output_tokens_per_second",
                           {{"route", "streaming-healthy"}}) > 0);
    CHECK(vt::metric_value(m,
                           "visionwatch_probes_total",
                           {{"route", "streaming-error"}, {"outcome", "stream_error"}}) >= 1);
    proc.stop();
  }
}

}  // namespace streaming_test
