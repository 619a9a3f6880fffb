// The flavour matrix: every API flavour × {healthy, dropped image, 429 with its retry hint,
// wrong key, streaming healthy, streaming error, streaming cut off, slow first token}, one
// `visionwatch check` run against the demo's simulated gateway (daemon/sim/demo.hpp), which
// speaks each flavour natively, checks each flavour's key and streams each flavour's events.
// Asserts each probe's outcome and reason, the time to first token against the sim's real
// first-token delay, and the usage (from the stream where the route streams). A new flavour is
// one row of flavours(); a new case one row of scenarios().
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/exit_codes.hpp"
#include "daemon/sim/demo.hpp"
#include "probes/outcome.hpp"
#include "tests/e2e/e2e_support.hpp"

namespace flavour_matrix_test {

namespace {

using namespace visionwatch::e2e_test_names;

constexpr const char* api_key = "sk-VWMATRIXSECRET-0123456789";

/// How far the measured time to first token may be from the sim's delay: the request, the
/// sim's reading of the image and the loopback take milliseconds.
constexpr double ttft_tolerance_seconds = 0.050;

/// One API flavour: its gateway in the configuration, with the right key and with a wrong one.
struct flavour_row {
  std::string api;
  std::string url_suffix;  ///< after the sim's base_url ("/openai" for an Azure resource)
  std::string options;     ///< the gateway's authentication with the key the sim accepts
  std::string wrong_key_options;
  unsigned wrong_key_status = 401;
  std::string wrong_key_reason;  ///< in the reason of a refused key
};

const std::vector<flavour_row>& flavours() {
  static const std::vector<flavour_row> rows = {
      {"openai-chat",
       "",
       "api_key_env: VW_MATRIX_KEY",
       "api_key_env: VW_MATRIX_WRONG_KEY",
       401,
       "HTTP 401: Incorrect API key provided."},
      {"openai-responses",
       "",
       "api_key_env: VW_MATRIX_KEY",
       "api_key_env: VW_MATRIX_WRONG_KEY",
       401,
       "the API key or token was refused"},
      {"anthropic-messages",
       "",
       "api_key_env: VW_MATRIX_KEY",
       "api_key_env: VW_MATRIX_WRONG_KEY",
       401,
       "the API key or token was refused"},
      {"azure-openai",
       "/openai",
       "api_key_env: VW_MATRIX_KEY",
       "api_key_env: VW_MATRIX_WRONG_KEY",
       401,
       "the API key or token was refused"},
      // Gemini refuses a key with HTTP 400 API_KEY_INVALID.
      {"gemini",
       "",
       "api_key_env: VW_MATRIX_KEY",
       "api_key_env: VW_MATRIX_WRONG_KEY",
       400,
       "the API key was refused"},
  };
  return rows;
}

/// What every flavour is checked for: the demo gateway's model that behaves so.
struct scenario {
  std::string name;
  std::string model;
  bool stream = false;
  bool wrong_key = false;
  outcome result = outcome::ok;
  /// The sim's first-token delay, for the streamed routes that get one.
  std::optional<std::chrono::milliseconds> first_token;
};

const std::vector<scenario>& scenarios() {
  static const std::vector<scenario> rows = {
      {"healthy", "vision-healthy", false, false, outcome::ok, std::nullopt},
      {"dropped-image", "vision-drops-image-says-so", false, false, outcome::no_image_claim, {}},
      {"rate-limited", "vision-rate-limited", false, false, outcome::rate_limited, {}},
      {"wrong-key", "vision-healthy", false, true, outcome::http_4xx, {}},
      {"streaming", "vision-healthy", true, false, outcome::ok, demo_first_token_delay},
      {"stream-error", "vision-stream-error", true, false, outcome::stream_error, {}},
      {"stream-cut-off", "vision-stream-cut-off", true, false, outcome::stream_error, {}},
      {"slow-first-token",
       "vision-slow-first-token",
       true,
       false,
       outcome::ok,
       demo_slow_first_token_delay},
  };
  return rows;
}

std::string route_name(const flavour_row& f, const scenario& s) { return f.api + "-" + s.name; }

std::string config_yaml(const std::string& base_url) {
  std::string y = "defaults:\n  interval: 30s\n  timeout: 10s\n";
  y += "gateways:\n";
  for (const auto& f : flavours()) {
    const std::string common = "api: " + f.api + ", base_url: \"" + base_url + f.url_suffix +
                               "\", proxy_url: none, max_concurrency: 1";
    y += "  - {name: " + f.api + ", " + common + ", " + f.options + "}\n";
    y += "  - {name: " + f.api + "-wrong-key, " + common + ", " + f.wrong_key_options + "}\n";
  }
  y += "routes:\n";
  for (const auto& f : flavours()) {
    for (const auto& s : scenarios()) {
      y += "  - {name: " + route_name(f, s) + ", gateway: " + f.api +
           (s.wrong_key ? "-wrong-key" : "") + ", model: " + s.model +
           ", stream: " + (s.stream ? "true" : "false") +
           ", challenge: {kind: digits, width: 256, height: 256}}\n";
    }
  }
  return y;
}

/// The checks of one probe of route `s` of flavour `f`; `baseline` is the route's text-only
/// prompt tokens (null when its control request failed).
void check_probe(const flavour_row& f, const scenario& s, const json& p, const json& baseline) {
  CAPTURE(p.dump());
  CHECK(p.at("outcome") == std::string(to_string(s.result)));
  const std::string reason = p.at("reason").is_string() ? p.at("reason").get<std::string>() : "";
  const json& ttft = p.at("phases").at("first_token");
  if (s.first_token) {
    // Measured from the start of the request; the sim waits its delay once it answers.
    REQUIRE(ttft.is_number());
    const double delay = std::chrono::duration<double>(*s.first_token).count();
    MESSAGE(route_name(f, s) << ": TTFT " << ttft.get<double>() << " s, sim delay " << delay
                             << " s");
    CHECK(ttft.get<double>() >= delay);
    CHECK(ttft.get<double>() <= delay + ttft_tolerance_seconds);
  } else if (!s.stream) {
    CHECK(ttft.is_null());
  }
  if (s.result == outcome::ok) {
    // Usage (from the stream where the route streams): the sim bills the image, so prompt
    // tokens exceed the text-only baseline.
    CHECK(p.at("answer") == p.at("expected"));
    REQUIRE(p.at("prompt_tokens").is_number());
    REQUIRE(baseline.is_number());
    CHECK(p.at("prompt_tokens").get<long long>() > baseline.get<long long>());
    CHECK(p.at("completion_tokens").get<long long>() > 0);
  } else if (s.result == outcome::no_image_claim) {
    REQUIRE(baseline.is_number());
    CHECK(p.at("prompt_tokens") == baseline);  // text-only usage: the image never arrived
  } else if (s.result == outcome::rate_limited) {
    CHECK(p.at("http_status") == 429);
    CHECK(reason.find("retry after " + std::to_string(sim_retry_after.count()) + "s") !=
          std::string::npos);
  } else if (s.result == outcome::http_4xx) {
    CHECK(p.at("http_status") == f.wrong_key_status);
    CHECK(reason.find(f.wrong_key_reason) != std::string::npos);
  } else if (s.result == outcome::stream_error) {
    CHECK(p.at("http_status") == 200);
    CHECK(reason.starts_with(s.name == "stream-error"
                                 ? "stream error: error event after HTTP 200: "
                                 : "stream error: the stream ended before its final event ("));
    CHECK(p.at("prompt_tokens").is_null());  // an unfinished stream has no usage
  }
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("check classifies every flavour's healthy - failing and streamed routes") {
    native_keys keys;
    keys.gemini_api_key = api_key;
    const vt::started_demo_gateway gw(std::chrono::minutes(2), keys, api_key);
    const vt::scoped_temp_dir dir("vw-matrix-e2e");
    const auto config = dir.path / "visionwatch.yaml";
    vt::write_text(config, config_yaml(gw.base_url()));
    const auto r = vt::check_json(config,
                                  1,
                                  {std::string("VW_MATRIX_KEY=") + api_key,
                                   "VW_MATRIX_WRONG_KEY=sk-wrong-wrong-wrong-0123456789"});
    INFO("stderr:\n" << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == exit_failed);
    CHECK(r.out.find("VWMATRIXSECRET") == std::string::npos);
    CHECK(r.err.find("VWMATRIXSECRET") == std::string::npos);
    const auto j = json::parse(r.out, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    const auto& routes = j.at("routes");
    REQUIRE(routes.size() == flavours().size() * scenarios().size());
    std::size_t i = 0;
    for (const auto& f : flavours()) {
      for (const auto& s : scenarios()) {
        const auto& jr = routes[i++];
        CAPTURE(route_name(f, s));
        REQUIRE(jr.at("route") == route_name(f, s));
        REQUIRE(jr.at("results").size() == 1);
        check_probe(f, s, jr.at("results")[0], jr.at("baseline_prompt_tokens"));
      }
    }
  }
}

}  // namespace flavour_matrix_test
