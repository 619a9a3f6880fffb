// Runs the real `visionwatch check` binary against the fake upstream (in this process, on its own
// thread) with one route per simulated behaviour and per transport fault, and asserts the
// scorecard, the JSON output, the exit codes, and that the API key reaches the gateway but never
// the binary's output.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/app/commands.hpp"
#include "daemon/sim/sim_model.hpp"
#include "tests/e2e/check_report.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace check_test {

namespace {

using namespace visionwatch::e2e_test_names;

constexpr vt::env_secret api_key{"VW_E2E_CHECK_API_KEY", "sk-VWTESTSECRET-0123456789"};
constexpr int probes_per_route = 2;

/// One route of the scorecard and what every one of its probes must come out as.
struct expected_route {
  std::string name;
  std::string model;
  std::string settings;  ///< extra YAML flow-mapping keys
  outcome result;
  bool pass;
  std::string gateway;
};

const std::vector<expected_route>& all_routes() {
  // One route a row.
  // clang-format off
  static const std::vector<expected_route> routes = {
      {"healthy-digits", "healthy", "challenge: {kind: digits}", outcome::ok, true, "fake"},
      {"healthy-color", "healthy", "challenge: {kind: color}", outcome::ok, true, "fake"},
      {"healthy-shape", "healthy", "challenge: {kind: shape}", outcome::ok, true, "fake"},
      {"slow", "slow", "challenge: {kind: count}", outcome::ok, true, "fake"},
      {"no-usage", "no_usage", "challenge: {kind: count}", outcome::ok, true, "fake"},
      {"no-usage-required", "no_usage", "challenge: {kind: count}, checks: {require_usage: true}", outcome::image_tokens_missing, false, "fake"},
      {"says-no-image", "drops_image_says_so", "challenge: {kind: count}", outcome::no_image_claim, false, "fake"},
      {"guesses", "drops_image_guesses", "challenge: {kind: digits}", outcome::wrong_answer, false, "fake"},
      {"pads-usage", "drops_image_pads_usage", "challenge: {kind: digits}", outcome::wrong_answer, false, "fake"},
      {"refuses", "refuses", "challenge: {kind: shape}", outcome::refusal, false, "fake"},
      {"empty", "empty_answer", "challenge: {kind: color}", outcome::empty_answer, false, "fake"},
      {"wrong-types", "wrong_types", "challenge: {kind: count}", outcome::bad_response, false, "fake"},
      {"rate-limited", "fault-429", "challenge: {kind: count}", outcome::rate_limited, false, "fake"},
      {"server-error", "fault-500", "challenge: {kind: count}", outcome::http_5xx, false, "fake"},
      {"unknown-model", "no-such-model", "challenge: {kind: count}", outcome::http_4xx, false, "fake"},
      {"html-page", "fault-html", "challenge: {kind: count}", outcome::bad_response, false, "fake"},
      {"hangs", "fault-hang", "interval: 1s, timeout: 400ms, challenge: {kind: count}", outcome::timeout, false, "fake"},
      {"resets", "fault-reset", "challenge: {kind: count}", outcome::connection_reset, false, "fake"},
      {"huge-body", "fault-huge", "challenge: {kind: count}", outcome::body_too_large, false, "fake"},
      {"no-key", "healthy", "challenge: {kind: color}", outcome::http_4xx, false, "fake-no-key"},
      {"refused", "healthy", "challenge: {kind: count}", outcome::connect_error, false, "closed"},
  };
  // clang-format on
  return routes;
}

/// The fake upstream with every model the routes above use.
void script(vt::fake_upstream& up) {
  for (const char* b : {"healthy",
                        "slow",
                        "no_usage",
                        "drops_image_says_so",
                        "drops_image_guesses",
                        "drops_image_pads_usage",
                        "refuses",
                        "empty_answer",
                        "wrong_types",
                        "cached"}) {
    up.set_behaviour(b, *sim_behaviour_from_string(b));
  }
  up.set_handler("fault-429", [](const received_request&) {
    auto p =
        response_plan::json(R"({"error":{"message":"Rate limit reached","type":"requests"}})", 429);
    p.headers.emplace_back("Retry-After", "3");
    return p;
  });
  up.set_handler("fault-500", [](const received_request&) {
    return response_plan::json(R"({"error":{"message":"internal","type":"server_error"}})", 500);
  });
  up.set_handler("fault-html", [](const received_request&) {
    response_plan p;
    p.headers.emplace_back("Content-Type", "text/html");
    p.body = "<html><body>Bad gateway login page</body></html>";
    return p;
  });
  up.set_handler("fault-hang", [](const received_request&) {
    return response_plan::with_action(response_plan::action::hang);
  });
  up.set_handler("fault-reset", [](const received_request&) {
    return response_plan::with_action(response_plan::action::reset);
  });
  up.set_handler("fault-huge", [](const received_request&) {
    return response_plan::huge_body(200ull * 1024 * 1024);
  });
}

/// A port that refuses connections, held for the whole test run (the "closed" gateway).
std::uint16_t refused_port() {
  static const vt::closed_port closed;
  return closed.port();
}

std::string config_yaml(const vt::fake_upstream& up,
                        const std::vector<expected_route>& routes,
                        const std::string& extra_routes = "") {
  std::string y =
      "defaults:\n  interval: 30s\n  timeout: 10s\n"
      "  price: {input_per_million: 0.40, output_per_million: 1.60}\n";
  y += "gateways:\n";
  y += "  - {name: fake, base_url: \"" + up.base_url() + "\", api_key_env: " + api_key.name +
       ", proxy_url: none, max_concurrency: 32}\n";
  y += "  - {name: fake-no-key, base_url: \"" + up.base_url() + "\", proxy_url: none}\n";
  y += "  - {name: closed, base_url: \"http://127.0.0.1:" + std::to_string(refused_port()) +
       "/v1\", proxy_url: none}\n";
  y += "routes:\n";
  for (const auto& r : routes) {
    y += vt::route_entry(r.name, r.gateway, r.model, r.settings);
  }
  y += extra_routes;
  return y;
}

/// Splits a scorecard line into its cells: columns are separated by two or more spaces.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  std::size_t spaces = 0;
  for (const char c : line) {
    if (c == ' ') {
      ++spaces;
      continue;
    }
    if (spaces >= 2 && !cur.empty()) {
      out.push_back(cur);
      cur.clear();
    } else if (spaces == 1 && !cur.empty()) {
      cur += ' ';
    }
    spaces = 0;
    cur += c;
  }
  if (!cur.empty()) {
    out.push_back(cur);
  }
  return out;
}

/// The table's rows by label, each with one cell per route.
std::map<std::string, std::vector<std::string>> table_rows(const std::string& text) {
  std::map<std::string, std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with("failure reasons:")) {
      break;
    }
    auto c = cells(line);
    if (c.empty() || c[0].starts_with("---")) {
      continue;
    }
    const std::string label = c[0];
    rows[label] = std::vector<std::string>(c.begin() + 1, c.end());
  }
  return rows;
}

/// The fake's sim models answer 401 unless the request carries the planted key. The fake reads
/// digits with the exact pixel reader: the tests here are about `check`, not about how well a
/// weak reader reads our images (Tesseract's reading is covered by challenge_ocr_test and
/// probe_runner_test with fixed seeds).
vt::fake_upstream::options keyed() {
  vt::fake_upstream::options o;
  o.expected_api_key = api_key.value;
  o.tesseract = false;
  return o;
}

/// How to redraw a probe's challenge by hand, for failure messages.
std::string reproduce(const expected_route& route, const nlohmann::json& probe) {
  const auto at = route.settings.find("kind: ");
  const std::string kind =
      at == std::string::npos
          ? "digits"
          : route.settings.substr(at + 6, route.settings.find('}', at) - at - 6);
  const std::string seed = probe.value("seed", "?");
  return "route " + route.name + ": seed " + seed + ", expected '" + probe.value("expected", "") +
         "', answered '" + probe.value("answer", "") +
         "'; redraw it with: visionwatch challenge --kind " + kind + " --seed " + seed +
         " --out challenge.png";
}

bool is_2xx_outcome(outcome o) {
  return o == outcome::ok || o == outcome::bad_response || is_silent_failure(o);
}

std::string fraction(int n) { return std::to_string(n) + "/" + std::to_string(probes_per_route); }

/// `text` with the test key replaced, for failure messages.
std::string redacted(const std::string& text) { return vt::redacted(text, {api_key.value}); }

/// The request carried the gateway's key (compared without printing either side).
bool carries_key(const visionwatch::received_request& req) {
  return req.header("authorization") == std::string("Bearer ") + api_key.value;
}

void check_secret_absent(const vt::process_result& r) {
  CHECK(r.out.find(api_key.value) == std::string::npos);
  CHECK(r.err.find(api_key.value) == std::string::npos);
  CHECK(r.out.find("VWTESTSECRET") == std::string::npos);
  CHECK(r.err.find("VWTESTSECRET") == std::string::npos);
}

/// One test's world: the fake upstream scripted with every model above and started, and a
/// directory for the configuration.
struct check_env {
  vt::fake_upstream up{keyed()};
  fs::path dir = vt::make_temp_dir("vw-check-e2e");
  fs::path config = dir / "visionwatch.yaml";

  check_env() {
    script(up);
    up.start();
  }
  check_env(const check_env&) = delete;
  check_env& operator=(const check_env&) = delete;
  ~check_env() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  void write(const std::string& yaml) const { std::ofstream(config) << yaml; }
  /// The configuration of `routes` (and `extra_routes`) against the fake.
  void write_routes(const std::vector<expected_route>& routes,
                    const std::string& extra_routes = "") const {
    write(config_yaml(up, routes, extra_routes));
  }
  /// `visionwatch check --seed S --config CONFIG args...` with the key in the environment.
  [[nodiscard]] vt::process_result run(const std::vector<std::string>& args) const {
    // A fixed seed: the same challenges on every run, so no assertion depends on luck (a guessing
    // route cannot pass by chance, and any failure reproduces).
    std::vector<std::string> argv = {vt::visionwatch_binary().string(),
                                     "check",
                                     "--seed",
                                     "20261125",
                                     "--config",
                                     config.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return vt::run_process(argv, {api_key.assignment()}, 120s);
  }
};

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("check prints a scorecard with one column per route and exits 1 when a route fails") {
    check_env env;
    // The cached route: its first probe may be right, every later one answers the first image.
    env.write_routes(all_routes(),
                     "  - {name: cached, gateway: fake, model: cached, challenge: {kind: "
                     "digits}}\n");
    const auto r = env.run({"-n", std::to_string(probes_per_route)});
    INFO("stdout:\n" << redacted(r.out) << "\nstderr:\n" << redacted(r.err));
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == exit_failed);
    check_secret_absent(r);

    const auto rows = table_rows(r.out);
    const std::size_t columns = all_routes().size() + 1;
    for (const char* label : {"route",
                              "model",
                              "HTTP success",
                              "correct recognition",
                              "no-image claims",
                              "other silent failures",
                              "transport / HTTP errors",
                              "latency avg",
                              "text-only baseline",
                              "cost per 10k probes",
                              "verdict"}) {
      CAPTURE(label);
      REQUIRE(rows.count(label) == 1);
      CHECK(rows.at(label).size() == columns);
    }
    const auto& names = rows.at("route");
    for (std::size_t i = 0; i < all_routes().size(); ++i) {
      const auto& e = all_routes()[i];
      CAPTURE(e.name);
      // Columns follow the configuration's route order.
      REQUIRE(names.at(i) == e.name);
      CHECK(rows.at("model").at(i) == e.model);
      CHECK(rows.at("HTTP success").at(i) ==
            fraction(is_2xx_outcome(e.result) ? probes_per_route : 0));
      const bool correct = e.result == outcome::ok || e.result == outcome::image_tokens_missing;
      CHECK(rows.at("correct recognition").at(i) == fraction(correct ? probes_per_route : 0));
      CHECK(rows.at("no-image claims").at(i) ==
            std::to_string(e.result == outcome::no_image_claim ? probes_per_route : 0));
      const std::string verdict =
          e.pass ? "PASS"
                 : "FAIL: " + fraction(probes_per_route) + " " + std::string(to_string(e.result));
      CHECK(rows.at("verdict").at(i) == verdict);
      if (is_transport_error(e.result)) {
        CHECK(rows.at("transport / HTTP errors").at(i) ==
              std::to_string(probes_per_route) + " / 0");
      }
    }
    CHECK(names.back() == "cached");
    CHECK(rows.at("verdict").back().starts_with("FAIL: "));
    CHECK(rows.at("verdict").back().ends_with(" wrong_answer"));
    // The control request learns a baseline where the reply has usage.
    CHECK(rows.at("text-only baseline").at(1) != "-");
    CHECK(rows.at("text-only baseline").at(4) == "-");  // no-usage
    CHECK(rows.at("cost per 10k probes").at(1).starts_with("$"));

    // One reason line per failing route, none for the passing ones.
    const auto reasons_at = r.out.find("\nfailure reasons:\n");
    REQUIRE(reasons_at != std::string::npos);
    const std::string reasons = r.out.substr(reasons_at);
    for (const auto& e : all_routes()) {
      CAPTURE(e.name);
      CHECK((reasons.find("\n  " + e.name + ": ") != std::string::npos) == !e.pass);
    }

    // The key went to the gateway on every request of the keyed gateway.
    std::size_t keyed = 0;
    for (const auto& req : env.up.requests()) {
      if (carries_key(req)) {
        ++keyed;
      }
    }
    CHECK(keyed > 0);
  }

  TEST_CASE("check --output json reports every probe outcome per route") {
    check_env env;
    env.write_routes(all_routes());
    const auto r = env.run({"--probes", std::to_string(probes_per_route), "--output", "json"});
    INFO("stderr:\n" << redacted(r.err));
    CHECK(r.exit_code == exit_failed);
    check_secret_absent(r);
    const auto j = vt::report_of(r);
    CHECK(j.at("passed") == false);
    const auto& routes = j.at("routes");
    REQUIRE(routes.size() == all_routes().size());
    for (std::size_t i = 0; i < routes.size(); ++i) {
      const auto& e = all_routes()[i];
      const auto& jr = routes[i];
      CAPTURE(e.name);
      CHECK(jr.at("route") == e.name);
      CHECK(jr.at("model") == e.model);
      CHECK(jr.at("gateway") == e.gateway);
      CHECK(jr.at("pass") == e.pass);
      CHECK(jr.at("probes") == probes_per_route);
      CHECK(jr.at("ok") == (e.result == outcome::ok ? probes_per_route : 0));
      CHECK(jr.at("no_image_claims") ==
            (e.result == outcome::no_image_claim ? probes_per_route : 0));
      CHECK(jr.at("transport_errors") == (is_transport_error(e.result) ? probes_per_route : 0));
      // Reasons quote answers and expectations, so failing probes may give distinct ones.
      CHECK(jr.at("reasons").empty() == e.pass);
      REQUIRE(jr.at("results").size() == static_cast<std::size_t>(probes_per_route));
      for (const auto& p : jr.at("results")) {
        INFO(reproduce(e, p));
        CHECK(p.at("outcome") == std::string(to_string(e.result)));
        CHECK(p.at("seed").is_string());
        CHECK_FALSE(p.at("expected").get<std::string>().empty());
        if (e.result == outcome::ok) {
          CHECK(p.at("answer") == p.at("expected"));
          CHECK(p.at("http_status") == 200);
        }
      }
    }
  }

  TEST_CASE("check exits 0 when every route passes") {
    check_env env;
    std::vector<expected_route> healthy;
    for (const auto& e : all_routes()) {
      if (e.pass) {
        healthy.push_back(e);
      }
    }
    env.write_routes(healthy);
    const auto r = env.run({"-n", "2"});
    INFO("stdout:\n" << redacted(r.out) << "\nstderr:\n" << redacted(r.err));
    CHECK(r.exit_code == exit_ok);
    check_secret_absent(r);
    const auto rows = table_rows(r.out);
    REQUIRE(rows.count("verdict") == 1);
    CHECK(rows.at("verdict") == std::vector<std::string>(healthy.size(), "PASS"));
    CHECK(r.out.find("failure reasons:") == std::string::npos);
    // Control plus two probes per route, each carrying the key.
    CHECK(env.up.request_count() == healthy.size() * 3);
    for (const auto& req : env.up.requests()) {
      CHECK(carries_key(req));
    }
  }

  TEST_CASE("check --seed draws the same challenges on every run and an unseeded run differs") {
    check_env env;
    env.write_routes(all_routes());
    const auto seeds_of = [](const vt::process_result& r) {
      std::vector<std::string> out;
      const auto j = vt::report_of(r);
      for (const auto& jr : j.at("routes")) {
        for (const auto& p : jr.at("results")) {
          out.push_back(jr.at("route").get<std::string>() + "/" + p.at("seed").get<std::string>());
        }
      }
      return out;
    };
    const auto first = seeds_of(env.run({"--output", "json"}));
    const auto second = seeds_of(env.run({"--output", "json"}));
    REQUIRE(first.size() == all_routes().size() * 3);
    CHECK(first == second);
    const auto other = seeds_of(vt::run_process({vt::visionwatch_binary().string(),
                                                 "check",
                                                 "--config",
                                                 env.config.string(),
                                                 "--output",
                                                 "json"},
                                                {api_key.assignment()},
                                                120s));
    CHECK(other.size() == first.size());
    CHECK(other != first);
  }

  TEST_CASE("check --route runs only the named routes") {
    check_env env;
    env.write_routes(all_routes());
    const auto r =
        env.run({"-n", "1", "--route", "healthy-color", "--route", "says-no-image", "-o", "json"});
    CHECK(r.exit_code == exit_failed);
    const auto j = vt::report_of(r);
    REQUIRE(j.at("routes").size() == 2);
    CHECK(j["routes"][0].at("route") == "healthy-color");
    CHECK(j["routes"][0].at("pass") == true);
    CHECK(j["routes"][1].at("route") == "says-no-image");
    CHECK(j["routes"][1].at("verdict") == "FAIL: 1/1 no_image_claim");
    CHECK(env.up.request_count() == 4);
  }

  TEST_CASE("check exits 64 for an unknown --route and 2 for an invalid configuration") {
    check_env env;
    env.write_routes(all_routes());
    const auto unknown = env.run({"--route", "nope"});
    CHECK(unknown.exit_code == exit_usage);
    CHECK(unknown.err.find("nope") != std::string::npos);
    CHECK(unknown.out.empty());

    env.write("routes:\n  - {name: a, gateway: missing, model: m, intervall: 5s}\n");
    const auto invalid = env.run({});
    CHECK(invalid.exit_code == exit_config);
    CHECK(invalid.err.find("visionwatch.yaml") != std::string::npos);
    CHECK(invalid.out.empty());
    CHECK(env.up.request_count() == 0);

    // A key variable that is not set is a configuration error that names it, not its value.
    env.write_routes(all_routes());
    const auto no_env = vt::run_process(
        {vt::visionwatch_binary().string(), "check", "--config", env.config.string()},
        {std::string(api_key.name) + "="},
        60s);
    CHECK(no_env.exit_code == exit_config);
    CHECK(no_env.err.find(api_key.name) != std::string::npos);
  }
  // ---- issue 11

  TEST_CASE(
      "check serves remote_url challenge images itself and a provider that never fetches the URL "
      "fails") {
    check_env env;  // "healthy" fetches a remote image with a real GET
    // A gateway that forwards the URL to a provider that never fetches it: the model sees no
    // image (seen on a real gateway).
    env.up.set_handler("never-fetches",
                       [model = std::make_shared<sim_model>()](const received_request& req) {
                         return model->respond(req, sim_behaviour::healthy);
                       });
    const std::vector<expected_route> routes = {
        {"remote",
         "healthy",
         "challenge: {kind: color, media: remote_url}",
         outcome::ok,
         true,
         "fake"},
        {"remote-never-fetched",
         "never-fetches",
         "challenge: {kind: shape, media: remote_url}",
         outcome::no_image_claim,
         false,
         "fake"},
    };
    // media_base_url names the daemon's listener (nothing listens on port 9): check uses its own.
    env.write("global:\n  media_base_url: \"http://127.0.0.1:9/media/\"\n" +
              config_yaml(env.up, routes));
    const auto r = env.run({"-n", "2", "-o", "json"});
    INFO("stdout:\n" << redacted(r.out) << "\nstderr:\n" << redacted(r.err));
    CHECK(r.exit_code == exit_failed);
    check_secret_absent(r);
    const auto j = vt::report_of(r);
    REQUIRE(j.at("routes").size() == 2);
    CHECK(j["routes"][0].at("pass") == true);
    for (const auto& p : j["routes"][0].at("results")) {
      CHECK(p.at("outcome") == "ok");
      CHECK(p.at("answer") == p.at("expected"));
    }
    CHECK(j["routes"][1].at("verdict") == "FAIL: 2/2 no_image_claim");
    // Every image probe sent a URL on check's own loopback listener, not the daemon's.
    int image_probes = 0;
    for (const auto& req : env.up.requests()) {
      const auto chat = vt::parse_chat_request(req);
      REQUIRE(chat);
      if (chat->image_url) {
        ++image_probes;
        CHECK(chat->image_url->starts_with("http://127.0.0.1:"));
        CHECK_FALSE(chat->image_url->starts_with("http://127.0.0.1:9/"));
        CHECK(chat->image_url->find("/media/") != std::string::npos);
        CHECK_FALSE(chat->png.has_value());
      }
    }
    CHECK(image_probes == 4);
  }

  TEST_CASE(
      "check reports a fallback model as model_mismatch and a hedged right answer as a note") {
    check_env env;
    env.up.set_behaviour("gpt-4o", sim_behaviour::fallback_model);
    env.up.set_behaviour("hedging", sim_behaviour::hedges_right_answer);
    const std::vector<expected_route> routes = {
        {"fallback", "gpt-4o", "challenge: {kind: digits}", outcome::model_mismatch, false, "fake"},
        {"hedges", "hedging", "challenge: {kind: digits}", outcome::ok, true, "fake"},
    };
    env.write_routes(routes);
    const auto r = env.run({"-n", "2", "-o", "json"});
    INFO("stdout:\n" << redacted(r.out) << "\nstderr:\n" << redacted(r.err));
    CHECK(r.exit_code == exit_failed);
    const auto j = vt::report_of(r);
    REQUIRE(j.at("routes").size() == 2);
    const auto& fallback = j["routes"][0];
    CHECK(fallback.at("verdict") == "FAIL: 2/2 model_mismatch");
    CHECK(fallback.at("other_silent_failures") == 2);
    CHECK(fallback.at("reasons") ==
          nlohmann::json::array({"the reply names model 'gpt-4o-mini-2024-07-18', not the "
                                 "route's model 'gpt-4o'"}));
    const auto& hedges = j["routes"][1];
    CHECK(hedges.at("pass") == true);
    for (const auto& p : hedges.at("results")) {
      CHECK(p.at("outcome") == "ok");
      CHECK(p.at("note") == "hedged");
    }
    for (const auto& p : fallback.at("results")) {
      CHECK(p.at("note").is_null());
    }
  }
}

}  // namespace check_test
