// The service in this process against an upstream that loses the image only for one shape (the
// image in an earlier turn, shape history, which this branch's requests already express: the
// question carries shape_history_prefix): the route fails that shape alone, named in the
// reason, the status and the metrics; plain passes and its series are what they were; the
// silent_failure rule fires on that shape's streak; each request form learns its own baseline.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "probes/probe_shape.hpp"
#include "tests/runtime/running_service.hpp"
#include "tests/support/exported_metrics.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/shape_upstream.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/wait_until.hpp"

namespace {

namespace vt = visionwatch::test;
using namespace std::chrono_literals;
using visionwatch::sim_behaviour;

std::string yaml(const std::filesystem::path& state, const std::string& base_url) {
  return "global:\n  listen: \"127.0.0.1:0\"\n  state_dir: \"" + state.string() +
         "\"\n  shutdown_grace: 100ms\n"
         "defaults:\n  interval: 1s\n  timeout: 1s\n  baseline_interval: 1h\n"
         "  challenge: {kind: count}\n"
         "gateways:\n  - {name: gw, base_url: \"" +
         base_url +
         "\", proxy_url: none}\n"
         "routes:\n"
         "  - {name: r1, gateway: gw, model: m1, shapes: [plain, history]}\n"
         "  - {name: r2, gateway: gw, model: m2}\n";
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a route that loses only earlier-turn images fails shape history alone - named") {
    const auto dir = vt::make_temp_dir("vw-shapes");
    vt::fake_upstream up(vt::pixel_reader_options());
    up.set_handler(vt::drops_earlier_turn_images());
    up.start();
    {
      vt::running_service svc(vt::parse_config_or_fail(yaml(dir, up.base_url())));
      const auto r1 = [](const std::string& shape) {
        return std::map<std::string, std::string>{{"route", "r1"}, {"shape", shape}};
      };
      REQUIRE(vt::wait_until(vt::after(60s), [&] {
        const auto text = svc.metrics();
        return vt::metric_value(text, "visionwatch_shape_failures_total", r1("history"))
                       .value_or(0) >= 2 &&
               vt::metric_value(text, "visionwatch_shape_success", r1("plain")) == 1.0 &&
               vt::metric_value(text,
                                "visionwatch_alerts_firing",
                                {{"route", "r1"}, {"rule", "silent_failure"}}) == 1.0;
      }));
      const auto text = svc.metrics();
      CHECK(vt::metric_value(text, "visionwatch_shape_success", r1("history")) == 0.0);
      CHECK(vt::metric_value(text, "visionwatch_shape_failures_total", r1("plain")) == 0.0);
      CHECK(vt::metric_value(text,
                             "visionwatch_silent_failures_total",
                             {{"route", "r1"}, {"reason", "no_image_claim"}})
                .value_or(0) >= 2);
      CHECK(vt::metric_value(text, "visionwatch_probes_total", {{"route", "r1"}, {"outcome", "ok"}})
                .value_or(0) >= 1);
      // The plain-only route: its series carry no shape label but its one shape series.
      for (const auto& s : vt::parse_exposition(text)) {
        if (s.labels.contains("route") && s.labels.at("route") == "r2" &&
            s.labels.contains("shape")) {
          CHECK_MESSAGE(s.name.starts_with("visionwatch_shape_"), s.name);
          CHECK(s.labels.at("shape") == "plain");
        }
      }
      CHECK(vt::metric_value(text, "visionwatch_shape_success", {{"route", "r2"}}) == 1.0);
      CHECK(vt::metric_value(text, "visionwatch_shape_failures_total", {{"route", "r2"}}) == 0.0);

      const auto route = svc.route("r1");
      REQUIRE(route.is_object());
      CHECK(route["shapes_summary"] == "fails only with history: no_image_claim");
      REQUIRE(route["shapes"].size() == 2);
      CHECK(route["shapes"][0]["shape"] == "plain");
      CHECK(route["shapes"][0]["outcome"] == "ok");
      CHECK(route["shapes"][1]["outcome"] == "no_image_claim");
      // Each request form has its own baseline: the history form's question is longer.
      CHECK(route["shapes"][1]["baseline_prompt_tokens"].get<long long>() >
            route["shapes"][0]["baseline_prompt_tokens"].get<long long>());
      bool named = false;
      std::optional<std::uint64_t> previous_sequence;
      std::string previous_shape;
      for (const auto& p : route["results"]) {
        if (p["shape"] == "history") {
          CHECK(p["outcome"] == "no_image_claim");
          const auto reason = p["reason"].get<std::string>();
          CHECK((reason.starts_with("with history: ") ||
                 reason.starts_with("fails only with history: ")));
          named = named || reason.starts_with("fails only with history: ");
        } else {
          CHECK(p["shape"] == "plain");
          CHECK(p["outcome"] == "ok");
        }
        // Results are newest first; consecutive sequences alternate the two shapes.
        const auto seq = p["sequence"].get<std::uint64_t>();
        if (previous_sequence && *previous_sequence == seq + 1) {
          CHECK(p["shape"] != previous_shape);
        }
        previous_sequence = seq;
        previous_shape = p["shape"].get<std::string>();
      }
      CHECK(named);
      // The probe endpoint takes a shape, refusing one the route does not have.
      const auto [code, body] = svc.probe_now("r1", "?shape=history");
      if (code != 409) {  // a scheduled probe may hold the route's slot
        CHECK(code == 200);
        CHECK(body["shape"] == "history");
        CHECK(body["reason"].get<std::string>().starts_with("fails only with history: "));
      }
      CHECK(svc.probe_now("r1", "?shape=gif").first == 400);
      const auto page = vt::http_get(svc.url()).body;
      CHECK(page.find("fails only with history: no_image_claim") != std::string::npos);
      CHECK(page.find("shape history") != std::string::npos);
    }
    // Control requests of both forms reached the upstream: text-only, one with the earlier turn.
    bool plain_control = false;
    bool history_control = false;
    for (const auto& req : up.requests()) {
      const auto chat = vt::parse_chat_request(req);
      if (chat && !chat->image_url) {
        const bool history =
            chat->prompt.find(visionwatch::shape_history_prefix) != std::string::npos;
        plain_control = plain_control || !history;
        history_control = history_control || history;
      }
    }
    CHECK(plain_control);
    CHECK(history_control);
    up.stop();
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("baselines of every request form survive a restart through the state file") {
    const auto dir = vt::make_temp_dir("vw-shapes-state");
    vt::fake_upstream up(vt::pixel_reader_options());
    up.set_behaviour(sim_behaviour::healthy);
    up.start();
    nlohmann::json learned;
    {
      vt::running_service svc(vt::parse_config_or_fail(yaml(dir, up.base_url())));
      REQUIRE(vt::wait_until(vt::after(30s), [&] {
        learned = svc.route("r1");
        return learned.is_object() && learned["shapes"].size() == 2 &&
               !learned["shapes"][1]["baseline_prompt_tokens"].is_null() &&
               !learned["shapes"][0]["baseline_prompt_tokens"].is_null() &&
               !svc.route("r2")["baseline_prompt_tokens"].is_null();
      }));
    }
    const auto state = nlohmann::json::parse(vt::read_file(dir / "state.json"), nullptr, false);
    REQUIRE(state.is_object());
    INFO(state.dump());
    const auto& saved = state["sections"]["baselines"];
    CHECK(saved["r1"]["prompt_tokens"] == learned["shapes"][0]["baseline_prompt_tokens"]);
    CHECK(saved["r1"]["forms"]["history"]["prompt_tokens"] ==
          learned["shapes"][1]["baseline_prompt_tokens"]);
    CHECK(saved["r2"].contains("prompt_tokens"));
    CHECK_FALSE(saved["r2"].contains("forms"));  // a plain-only route saves as before
    // Restarted against a gateway that is down: the baselines come from the file.
    up.stop();
    {
      vt::running_service svc(vt::parse_config_or_fail(yaml(dir, "http://127.0.0.1:9/v1")));
      const auto r1 = svc.route("r1");
      CHECK(r1["shapes"][0]["baseline_prompt_tokens"] ==
            learned["shapes"][0]["baseline_prompt_tokens"]);
      CHECK(r1["shapes"][1]["baseline_prompt_tokens"] ==
            learned["shapes"][1]["baseline_prompt_tokens"]);
    }
    std::filesystem::remove_all(dir);
  }
}
