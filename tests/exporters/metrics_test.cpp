#include "exporters/metrics.hpp"

#include <doctest/doctest.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>
#include <prometheus/text_serializer.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/exported_metrics.hpp"
#include "tests/support/test_paths.hpp"

using visionwatch::metrics;
using visionwatch::notification_result;
using visionwatch::outcome;
using visionwatch::probe_result;
using visionwatch::route_labels;
using visionwatch::window_figures;

namespace {

// A minimal, strict parser of the text exposition format: enough to check what render()
// wrote, independently of how it wrote it.
using label_set = std::map<std::string, std::string>;
struct sample {
  std::string name;
  label_set labels;
  double value = 0;
};
struct family_info {
  std::string help;
  std::string type;
};
struct exposition {
  std::map<std::string, family_info> families;
  std::vector<std::string> family_order;
  std::vector<sample> samples;

  [[nodiscard]] std::vector<sample> find(const std::string& name,
                                         const label_set& subset = {}) const {
    std::vector<sample> out;
    for (const auto& s : samples) {
      if (s.name == name && visionwatch::test::has_labels(s.labels, subset)) {
        out.push_back(s);
      }
    }
    return out;
  }
  [[nodiscard]] double value(const std::string& name, const label_set& subset) const {
    const auto found = find(name, subset);
    if (found.size() != 1) {
      throw std::runtime_error(name + ": " + std::to_string(found.size()) + " matching samples");
    }
    return found.front().value;
  }
  /// "name{k=v,...}" -> value, for diffs.
  [[nodiscard]] std::map<std::string, double> by_key() const {
    std::map<std::string, double> out;
    for (const auto& s : samples) {
      std::string key = s.name + "{";
      for (const auto& [k, v] : s.labels) {
        key += k;
        key += '=';
        key += v;
        key += ',';
      }
      out[key + "}"] = s.value;
    }
    return out;
  }
};

double parse_value(const std::string& text) {
  if (text == "NaN" || text == "Nan") {
    return std::nan("");
  }
  if (text == "+Inf") {
    return std::numeric_limits<double>::infinity();
  }
  if (text == "-Inf") {
    return -std::numeric_limits<double>::infinity();
  }
  std::size_t used = 0;
  const double v = std::stod(text, &used);
  if (used != text.size()) {
    throw std::runtime_error("bad value: " + text);
  }
  return v;
}

exposition parse(const std::string& text) {
  exposition out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const auto rest = line.substr(7);
      const auto space = rest.find(' ');
      REQUIRE(space != std::string::npos);
      const auto name = rest.substr(0, space);
      if (line[2] == 'H') {
        out.family_order.push_back(name);
        out.families[name].help = rest.substr(space + 1);
      } else {
        out.families[name].type = rest.substr(space + 1);
      }
      continue;
    }
    REQUIRE_MESSAGE(!line.empty(), "empty line in exposition");
    REQUIRE_MESSAGE(line[0] != '#', line);
    sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') {
      s.name += line[i++];
    }
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (line.at(i) != '}') {
        const auto eq = line.find('=', i);
        const auto name = line.substr(i, eq - i);
        i = eq + 1;
        REQUIRE(line.at(i) == '"');
        ++i;
        std::string value;
        while (line.at(i) != '"') {
          if (line[i] == '\\') {
            const char e = line.at(i + 1);
            REQUIRE_MESSAGE((e == '\\' || e == '"' || e == 'n'), line);
            value += e == 'n' ? '\n' : e;
            i += 2;
          } else {
            value += line[i++];
          }
        }
        ++i;
        REQUIRE_MESSAGE(s.labels.emplace(name, value).second, line);
        if (line.at(i) == ',') {
          ++i;
        }
      }
      ++i;
    }
    REQUIRE(line.at(i) == ' ');
    s.value = parse_value(line.substr(i + 1));
    out.samples.push_back(std::move(s));
  }
  return out;
}

const route_labels route_a{"team/a:gpt-4o.mini@eu", "gpt-4o-mini", "openai", "openai-chat"};
const route_labels route_b{"b", "qwen-vl", "local", "openai-chat"};

probe_result probe(const route_labels& r, outcome o, double latency = 1.25) {
  probe_result p;
  p.route = r.route;
  p.result = o;
  p.http_status = visionwatch::is_transport_error(o) ? 0 : 200;
  p.latency_seconds = latency;
  p.phases = {0.01, 0.02, 0.03, 0.04, latency - 0.2, 0.1, latency, std::nullopt};
  p.tokens.prompt_tokens = 310;
  p.tokens.completion_tokens = 4;
  p.cost_usd = 0.0005;
  p.started_at = std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}};
  return p;
}

window_figures figures() { return {1.0, 2.0, 3.0, 4.0, 0.001, 0.75}; }

std::set<std::string> changed(const exposition& before, const exposition& after) {
  std::set<std::string> out;
  const auto b = before.by_key();
  for (const auto& [key, v] : after.by_key()) {
    const auto it = b.find(key);
    if (it == b.end() || it->second != v) {
      out.insert(key.substr(0, key.find('{')));
    }
  }
  for (const auto& [key, v] : b) {
    if (!after.by_key().contains(key)) {
      out.insert("removed " + key.substr(0, key.find('{')));
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE(
      "a new route has every outcome and silent reason counter at 0 and no last-probe "
      "gauges") {
    metrics m({}, "0.1.0", "abc");
    m.add_route(route_a);
    const auto e = parse(m.render());
    const auto probes = e.find("visionwatch_probes_total", {{"route", route_a.route}});
    CHECK(probes.size() == visionwatch::outcome_count);
    for (outcome o : visionwatch::all_outcomes) {
      CHECK(e.value("visionwatch_probes_total",
                    {{"route", route_a.route},
                     {"model", route_a.model},
                     {"outcome", std::string(to_string(o))}}) == 0);
    }
    for (const char* reason : {"empty_answer",
                               "refusal",
                               "no_image_claim",
                               "wrong_answer",
                               "image_tokens_missing",
                               "model_mismatch"}) {
      CHECK(e.value("visionwatch_silent_failures_total",
                    {{"route", route_a.route}, {"reason", reason}}) == 0);
    }
    CHECK(e.find("visionwatch_silent_failures_total").size() == 6);
    CHECK(e.value("visionwatch_route_info",
                  {{"route", route_a.route},
                   {"model", "gpt-4o-mini"},
                   {"gateway", "openai"},
                   {"api", "openai-chat"}}) == 1);
    CHECK(e.value("visionwatch_probe_duration_seconds_count", {{"route", route_a.route}}) == 0);
    CHECK(e.find("visionwatch_probe_success").empty());
    CHECK(e.find("visionwatch_last_probe_timestamp_seconds").empty());
    CHECK(e.find("visionwatch_last_success_timestamp_seconds").empty());
    CHECK(e.value("visionwatch_build_info", {{"version", "0.1.0"}, {"revision", "abc"}}) == 1);
    // Families without series are left out, but every family that is present is complete.
    CHECK_FALSE(e.families.contains("visionwatch_probe_success"));
    for (const auto& [name, f] : e.families) {
      CHECK_MESSAGE(!f.help.empty(), name);
      CHECK_MESSAGE(!f.type.empty(), name);
    }
  }

  TEST_CASE("a silent failure updates exactly its outcome - its reason and the last-probe series") {
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    const auto before = parse(m.render());
    REQUIRE(m.record(h, probe(route_a, outcome::wrong_answer), figures()));
    const auto after = parse(m.render());

    CHECK(changed(before, after) == std::set<std::string>{
                                        "visionwatch_cost_per_success_usd",
                                        "visionwatch_cost_usd_total",
                                        "visionwatch_last_probe_timestamp_seconds",
                                        "visionwatch_probe_completion_tokens",
                                        "visionwatch_probe_duration_seconds_bucket",
                                        "visionwatch_probe_duration_seconds_count",
                                        "visionwatch_probe_duration_seconds_sum",
                                        "visionwatch_probe_latency_seconds",
                                        "visionwatch_probe_latency_seconds_count",
                                        "visionwatch_probe_latency_seconds_sum",
                                        "visionwatch_probe_phase_seconds",
                                        "visionwatch_probe_prompt_tokens",
                                        "visionwatch_probe_success",
                                        "visionwatch_probe_success_ratio",
                                        "visionwatch_probes_total",
                                        "visionwatch_silent_failures_total",
                                    });
    const label_set r{{"route", route_a.route}};
    CHECK(after.value("visionwatch_probes_total",
                      {{"route", route_a.route}, {"outcome", "wrong_answer"}}) == 1);
    CHECK(after.find("visionwatch_probes_total", r).size() == visionwatch::outcome_count);
    double total = 0;
    for (const auto& s : after.find("visionwatch_probes_total", r)) {
      total += s.value;
    }
    CHECK(total == 1);
    /// One series of route a (`label`, when set, also names it) and its exact value.
    struct series {
      std::string name;
      std::pair<std::string, std::string> label;
      double value;
    };
    for (const auto& s : std::vector<series>{
             {"visionwatch_silent_failures_total", {"reason", "wrong_answer"}, 1},
             {"visionwatch_silent_failures_total", {"reason", "refusal"}, 0},
             {"visionwatch_probe_success", {}, 0},
             {"visionwatch_probe_duration_seconds_bucket", {"le", "1"}, 0},
             {"visionwatch_probe_duration_seconds_bucket", {"le", "2"}, 1},
             {"visionwatch_probe_duration_seconds_bucket", {"le", "+Inf"}, 1},
             {"visionwatch_probe_duration_seconds_sum", {}, 1.25},
             {"visionwatch_probe_prompt_tokens", {}, 310},
             {"visionwatch_probe_latency_seconds", {"quantile", "0.9"}, 2.0},
             {"visionwatch_probe_success_ratio", {}, 0.75},
             {"visionwatch_last_probe_timestamp_seconds", {}, 1'700'000'001.25},
         }) {
      auto labels = r;
      if (!s.label.first.empty()) {
        labels.insert(s.label);
      }
      CAPTURE(s.name);
      CAPTURE(s.label.second);
      CHECK(after.value(s.name, labels) == s.value);
    }
    CHECK(after.value("visionwatch_probe_phase_seconds",
                      {{"route", route_a.route}, {"phase", "ttfb"}}) == doctest::Approx(1.05));
    CHECK(after.find("visionwatch_probe_phase_seconds", r).size() == 6);
    CHECK(after.value("visionwatch_cost_usd_total", r) == doctest::Approx(0.0005));
    CHECK(after.find("visionwatch_last_success_timestamp_seconds").empty());
  }

  TEST_CASE(
      "the latency summary has windowed quantiles 0.5 to 1 and a sum and count over the process "
      "life") {
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    const label_set r{{"route", route_a.route}};
    auto e = parse(m.render());
    CHECK(e.families.at("visionwatch_probe_latency_seconds").type == "summary");
    CHECK(e.find("visionwatch_probe_latency_seconds").empty());  // empty window: no quantiles
    CHECK(e.value("visionwatch_probe_latency_seconds_count", r) == 0);
    CHECK(e.value("visionwatch_probe_latency_seconds_sum", r) == 0);

    m.record(h, probe(route_a, outcome::ok, 1.5), figures());
    m.record(h, probe(route_a, outcome::wrong_answer, 2.5), figures());
    e = parse(m.render());
    const std::map<std::string, double> expected = {
        {"0.5", 1.0}, {"0.9", 2.0}, {"0.99", 3.0}, {"1", 4.0}};
    CHECK(e.find("visionwatch_probe_latency_seconds", r).size() == expected.size());
    for (const auto& [q, v] : expected) {
      CAPTURE(q);
      CHECK(e.value("visionwatch_probe_latency_seconds",
                    {{"route", route_a.route}, {"model", route_a.model}, {"quantile", q}}) == v);
    }
    CHECK(e.value("visionwatch_probe_latency_seconds_sum", r) == 4.0);
    CHECK(e.value("visionwatch_probe_latency_seconds_count", r) == 2);

    // The window empties (e.g. shrunk by a reload): the quantiles go, the counters stay.
    m.record(h, probe(route_a, outcome::ok, 0.5), window_figures{});
    e = parse(m.render());
    CHECK(e.find("visionwatch_probe_latency_seconds").empty());
    CHECK(e.value("visionwatch_probe_latency_seconds_sum", r) == 4.5);
    CHECK(e.value("visionwatch_probe_latency_seconds_count", r) == 3);
    // A transport failure has no latency: not counted.
    m.record(h, probe(route_a, outcome::timeout, 30), window_figures{});
    CHECK(parse(m.render()).value("visionwatch_probe_latency_seconds_count", r) == 3);
  }

  TEST_CASE("a success sets probe_success to 1 and the last success timestamp") {
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    m.record(h, probe(route_a, outcome::wrong_answer), figures());
    m.record(h, probe(route_a, outcome::ok, 2.5), figures());
    const auto e = parse(m.render());
    const label_set r{{"route", route_a.route}};
    CHECK(e.value("visionwatch_probe_success", r) == 1);
    CHECK(e.value("visionwatch_last_success_timestamp_seconds", r) == 1'700'000'002.5);
    CHECK(e.value("visionwatch_probes_total", {{"route", route_a.route}, {"outcome", "ok"}}) == 1);
    CHECK(e.value("visionwatch_probe_duration_seconds_count", r) == 2);
    CHECK(e.value("visionwatch_silent_failures_total",
                  {{"route", route_a.route}, {"reason", "wrong_answer"}}) == 1);
  }

  TEST_CASE("a streamed probe shows time to first token - output speed and the stream label") {
    metrics m({}, "0.1.0", "abc");
    route_labels streamed = route_b;
    streamed.stream = true;
    const auto hs = m.add_route(streamed);
    const auto ha = m.add_route(route_a);
    auto p = probe(streamed, outcome::ok, 2.0);
    p.phases.first_token = 0.4;  // 4 completion tokens in the 1.6 s after it
    m.record(hs, p, figures());
    m.record(ha, probe(route_a, outcome::ok), figures());
    const auto e = parse(m.render());
    const label_set b{{"route", "b"}};
    CHECK(e.value("visionwatch_probe_first_token_seconds_count", b) == 1);
    CHECK(e.value("visionwatch_probe_first_token_seconds_sum", b) == 0.4);
    CHECK(e.value("visionwatch_probe_first_token_seconds_bucket",
                  {{"route", "b"}, {"le", "0.25"}}) == 0);
    CHECK(e.value("visionwatch_probe_first_token_seconds_bucket",
                  {{"route", "b"}, {"le", "0.5"}}) == 1);
    CHECK(e.value("visionwatch_probe_phase_seconds", {{"route", "b"}, {"phase", "first_token"}}) ==
          0.4);
    CHECK(e.value("visionwatch_probe_output_tokens_per_second", b) == doctest::Approx(2.5));
    CHECK(e.value("visionwatch_route_info", {{"route", "b"}, {"stream", "true"}}) == 1);
    // A route that does not stream: no TTFT series at all, stream="false".
    const label_set a{{"route", route_a.route}};
    CHECK(e.find("visionwatch_probe_first_token_seconds_count", a).empty());
    CHECK(e.find("visionwatch_probe_output_tokens_per_second", a).empty());
    CHECK(e.find("visionwatch_probe_phase_seconds",
                 {{"route", route_a.route}, {"phase", "first_token"}})
              .empty());
    CHECK(e.value("visionwatch_route_info", {{"route", route_a.route}, {"stream", "false"}}) == 1);
  }

  TEST_CASE("a transport failure is counted but kept out of the duration histogram") {
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    auto p = probe(route_a, outcome::timeout, 30);
    p.tokens = {};
    m.record(h, p, {});
    const auto e = parse(m.render());
    const label_set r{{"route", route_a.route}};
    CHECK(e.value("visionwatch_probes_total", {{"route", route_a.route}, {"outcome", "timeout"}}) ==
          1);
    CHECK(e.value("visionwatch_probe_duration_seconds_count", r) == 0);
    CHECK(e.value("visionwatch_probe_success", r) == 0);
    CHECK(e.find("visionwatch_probe_prompt_tokens").empty());  // unknown: not invented
    CHECK(e.find("visionwatch_probe_latency_seconds").empty());
    CHECK(e.value("visionwatch_probe_latency_seconds_count", r) == 0);
    CHECK(e.value("visionwatch_probe_phase_seconds",
                  {{"route", route_a.route}, {"phase", "dns"}}) == 0.01);
  }

  TEST_CASE("unknown token counts keep the last known value - unset window figures go absent") {
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    auto p = probe(route_a, outcome::ok);
    p.tokens.image_tokens = 255;
    m.record(h, p, figures());
    p.tokens = {};
    m.record(h, p, window_figures{1.0, 2.0, 3.0, 4.0, std::nullopt, 1.0});
    const auto e = parse(m.render());
    const label_set r{{"route", route_a.route}};
    CHECK(e.value("visionwatch_probe_prompt_tokens", r) == 310);
    CHECK(e.value("visionwatch_probe_image_tokens", r) == 255);
    CHECK(e.find("visionwatch_cost_per_success_usd").empty());
    CHECK(e.value("visionwatch_probe_success_ratio", r) == 1);

    // A NaN figure is a value (a NaN sample), not an absent one.
    m.record(h,
             p,
             window_figures{std::numeric_limits<double>::quiet_NaN(),
                            2.0,
                            3.0,
                            4.0,
                            std::numeric_limits<double>::quiet_NaN(),
                            1.0});
    const auto nan = parse(m.render());
    REQUIRE(nan.find("visionwatch_cost_per_success_usd", r).size() == 1);
    CHECK(std::isnan(nan.find("visionwatch_cost_per_success_usd", r)[0].value));
    CHECK(nan.find("visionwatch_probe_latency_seconds", {{"quantile", "0.5"}}).size() == 1);
  }

  TEST_CASE("a control request updates only the usage baseline and the spend") {
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    m.record(h, probe(route_a, outcome::ok), figures());
    const auto before = parse(m.render());
    auto control = probe(route_a, outcome::ok, 9);
    control.control = true;
    control.tokens.prompt_tokens = 27;
    REQUIRE(m.record(h, control, figures()));
    const auto after = parse(m.render());
    CHECK(changed(before, after) ==
          std::set<std::string>{"visionwatch_cost_usd_total", "visionwatch_usage_baseline_tokens"});
    CHECK(after.value("visionwatch_usage_baseline_tokens", {{"route", route_a.route}}) == 27);

    // A failed control request teaches nothing about the baseline.
    auto failed = control;
    failed.result = outcome::http_5xx;
    failed.tokens.prompt_tokens = 99;
    failed.cost_usd = 0;
    m.record(h, failed, {});
    CHECK(
        parse(m.render()).value("visionwatch_usage_baseline_tokens", {{"route", route_a.route}}) ==
        27);
    CHECK(m.set_baseline(h, 31));
    CHECK(
        parse(m.render()).value("visionwatch_usage_baseline_tokens", {{"route", route_a.route}}) ==
        31);
  }

  TEST_CASE("removing a route removes every series of it - alerts included - and leaves others") {
    metrics m({{"region", "eu"}}, "0.1.0", "abc");
    const auto a = m.add_route(route_a);
    const auto b = m.add_route(route_b);
    for (outcome o : visionwatch::all_outcomes) {
      m.record(a, probe(route_a, o), figures());
    }
    m.record(b, probe(route_b, outcome::ok), figures());
    m.set_baseline(a, 25);
    m.probe_skipped(a);
    CHECK(m.set_alert_firing(route_a.route, "silent_failures", true));
    CHECK(m.set_alert_firing(route_b.route, "down", false));
    const std::string before = m.render();
    CHECK(before.find(R"(route="team/a:gpt-4o.mini@eu")") != std::string::npos);

    CHECK(m.remove_route(route_a.route));
    CHECK_FALSE(m.remove_route(route_a.route));
    const std::string after = m.render();
    std::istringstream lines(after);
    std::string line;
    while (std::getline(lines, line)) {
      CHECK_MESSAGE(line.find(R"(route="team/a:gpt-4o.mini@eu")") == std::string::npos, line);
    }
    // Route b is untouched: the same lines as before.
    const auto keep_b = [&](const std::string& text) {
      std::multiset<std::string> out;
      std::istringstream in(text);
      for (std::string l; std::getline(in, l);) {
        if (l.find(R"(route="b")") != std::string::npos) {
          out.insert(l);
        }
      }
      return out;
    };
    CHECK(keep_b(before) == keep_b(after));
    CHECK(keep_b(after).size() > 50);

    // The stale handle reaches nothing, even after its slot is reused by a new route.
    CHECK_FALSE(m.record(a, probe(route_a, outcome::ok), figures()));
    const auto c = m.add_route({"c", "m", "g", "openai-chat"});
    CHECK_FALSE(c == a);
    CHECK_FALSE(m.record(a, probe(route_a, outcome::ok), figures()));
    CHECK_FALSE(m.probe_skipped(a));
    CHECK_FALSE(m.set_baseline(a, 1));
    CHECK_FALSE(m.set_alert_firing(route_a.route, "silent_failures", true));
    CHECK(
        parse(m.render()).value("visionwatch_probes_total", {{"route", "c"}, {"outcome", "ok"}}) ==
        0);
    CHECK(m.route_count() == 2);
    // Nothing of route a is left in the prometheus-cpp data model either.
    for (const auto& family : m.collect()) {
      for (const auto& metric : family.metric) {
        for (const auto& l : metric.label) {
          CHECK_MESSAGE(l.value != route_a.route, family.name);
        }
      }
    }
  }

  TEST_CASE("a route's alert series are one per rule in rule name order and follow each change") {
    metrics m({}, "0.1.0", "abc");
    m.add_route(route_a);
    m.add_route(route_b);
    for (const char* rule : {"success_ratio", "route_down", "silent_failure"}) {
      CHECK(m.set_alert_firing(route_a.route, rule, false));
    }
    CHECK(m.set_alert_firing(route_b.route, "route_down", true));
    CHECK(m.set_alert_firing(route_a.route, "route_down", true));
    CHECK(m.set_alert_firing(route_a.route, "success_ratio", true));
    CHECK(m.set_alert_firing(route_a.route, "success_ratio", false));
    const auto e = parse(m.render());
    const auto a = e.find("visionwatch_alerts_firing", {{"route", route_a.route}});
    REQUIRE(a.size() == 3);
    CHECK(a[0].labels.at("rule") == "route_down");
    CHECK(a[0].value == 1);
    CHECK(a[1].labels.at("rule") == "silent_failure");
    CHECK(a[1].value == 0);
    CHECK(a[2].labels.at("rule") == "success_ratio");
    CHECK(a[2].value == 0);
    const auto b = e.find("visionwatch_alerts_firing", {{"route", route_b.route}});
    REQUIRE(b.size() == 1);
    CHECK(b[0].labels.at("rule") == "route_down");
    CHECK(b[0].value == 1);
  }

  TEST_CASE("render_piece pieces concatenate to render - and stay valid across route changes") {
    metrics m({{"region", "eu"}}, "0.1.0", "abc");
    std::vector<route_labels> routes;
    for (int i = 0; i < 40; ++i) {
      routes.push_back({"r" + std::to_string(100 + i), "m", "g", "openai-chat"});
      const auto h = m.add_route(routes.back());
      m.record(
          h, probe(routes.back(), i % 3 == 0 ? outcome::ok : outcome::wrong_answer), figures());
    }
    m.add_receiver("hook");
    const std::string whole = m.render();
    for (const std::size_t budget : {std::size_t{1}, std::size_t{700}, std::size_t{50'000}}) {
      metrics::render_cursor cursor;
      std::string joined;
      std::size_t pieces = 0;
      std::string piece;
      bool more = true;
      while (more) {
        piece.clear();
        more = m.render_piece(cursor, piece, budget);
        ++pieces;
        CHECK((piece.empty() || piece.back() == '\n'));  // whole lines only
        if (more) {
          CHECK(piece.size() >= budget);
        }
        joined += piece;
      }
      CHECK(joined == whole);
      if (budget == 1) {
        CHECK(pieces > std::size_t{40} * 10);  // one route and family per piece
      }
    }

    // Routes removed and added between pieces: the result still parses as one exposition
    // (each family one group with its header), removed routes stop appearing, and nothing
    // written for a route is repeated.
    metrics::render_cursor cursor;
    std::string joined;
    std::string piece;
    int n = 0;
    bool more = true;
    while (more) {
      piece.clear();
      more = m.render_piece(cursor, piece, 2000);
      joined += piece;
      if (++n == 3) {
        CHECK(m.remove_route("r139"));                   // not yet written in any family
        CHECK(m.remove_route("r100"));                   // already written in the first families
        m.add_route({"r0", "m", "g", "openai-chat"});    // sorts before the cursor
        m.add_route({"r999", "m", "g", "openai-chat"});  // sorts after it
      }
    }
    const auto e = parse(joined);
    CHECK(e.find("visionwatch_probes_total", {{"route", "r139"}}).empty());
    CHECK(e.find("visionwatch_probes_skipped_total", {{"route", "r999"}}).size() == 1);
    CHECK(e.find("visionwatch_probes_skipped_total", {{"route", "r101"}}).size() == 1);
    const std::set<std::string> families(e.family_order.begin(), e.family_order.end());
    CHECK(families.size() == e.family_order.size());  // one header per family
    std::set<std::string> seen;
    std::string family;
    std::istringstream in(joined);
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("# HELP ")) {
        family = line.substr(7, line.find(' ', 7) - 7);
        continue;
      }
      if (line.starts_with("#")) {
        continue;
      }
      CHECK_MESSAGE(line.starts_with(family), "sample outside its family: " << line);
      CHECK_MESSAGE(seen.insert(line).second, "repeated: " << line);
    }
  }

  TEST_CASE("re-adding a route keeps its counters unless its labels changed") {
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    m.record(h, probe(route_a, outcome::ok), figures());
    CHECK(m.add_route(route_a) == h);
    CHECK(parse(m.render())
              .value("visionwatch_probes_total", {{"route", route_a.route}, {"outcome", "ok"}}) ==
          1);

    auto moved = route_a;
    moved.model = "gpt-4.1-mini";
    const auto h2 = m.add_route(moved);
    CHECK_FALSE(h2 == h);
    CHECK_FALSE(m.record(h, probe(route_a, outcome::ok), figures()));
    const auto e = parse(m.render());
    CHECK(e.find("visionwatch_probes_total", {{"model", "gpt-4o-mini"}}).empty());
    CHECK(e.value("visionwatch_probes_total",
                  {{"route", route_a.route}, {"model", "gpt-4.1-mini"}, {"outcome", "ok"}}) == 0);
    CHECK(m.find_route(route_a.route) == h2);
  }

  TEST_CASE("external labels are on every series") {
    metrics m({{"region", "eu-west-1"}, {"replica", "a"}}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    m.record(h, probe(route_a, outcome::refusal), figures());
    m.probe_skipped(h);
    m.set_alert_firing(route_a.route, "r", true);
    m.notification("ops-webhook", notification_result::retry);
    m.config_reloaded(true, std::chrono::system_clock::now());
    m.observe_scheduler_lag(0.002);
    const auto e = parse(m.render());
    REQUIRE(e.samples.size() > 60);
    for (const auto& s : e.samples) {
      CHECK_MESSAGE(s.labels.count("region") == 1, s.name);
      CHECK_MESSAGE(s.labels.at("region") == "eu-west-1", s.name);
      CHECK_MESSAGE(s.labels.at("replica") == "a", s.name);
    }
  }

  TEST_CASE("external labels that collide or are not valid Prometheus labels are rejected") {
    // Label names visionwatch writes, names Prometheus reserves, names that are not valid label
    // names, and the empty name.
    std::istringstream names(
        "route model gateway api outcome reason phase rule receiver result version revision shard "
        "shards le quantile __name__ 1x re-gion");
    std::vector<std::string> refused(std::istream_iterator<std::string>(names), {});
    REQUIRE(refused.size() == 19);
    refused.emplace_back();
    for (const auto& name : refused) {
      CAPTURE(name);
      CHECK_THROWS_AS(metrics({{name, "x"}}, "0.1.0", "abc"), std::invalid_argument);
    }
    CHECK_THROWS_AS(metrics({{"region", ""}}, "0.1.0", "abc"), std::invalid_argument);
    CHECK_THROWS_AS(metrics({{"region", "\xC0\xAF"}}, "0.1.0", "abc"), std::invalid_argument);
    CHECK_NOTHROW(metrics({{"region", "eu"}, {"_x", "1"}}, "0.1.0", "abc"));
  }

  TEST_CASE("route label values with quotes - backslashes and line feeds are escaped") {
    metrics m({}, "0.1.0", "abc");
    const route_labels odd{"team/a:b.c@d", "we\"ird\\model\nv2", "gw", "openai-chat"};
    const auto h = m.add_route(odd);
    m.record(h, probe(odd, outcome::ok), figures());
    const std::string text = m.render();
    CHECK(text.find(R"(model="we\"ird\\model\nv2")") != std::string::npos);
    const auto e = parse(text);
    CHECK(e.value("visionwatch_route_info", {{"route", "team/a:b.c@d"}}) == 1);
    CHECK(e.find("visionwatch_probes_total", {{"model", odd.model}}).size() ==
          visionwatch::outcome_count);
  }

  TEST_CASE("routes with an empty name or non-UTF-8 labels are rejected") {
    metrics m({}, "0.1.0", "abc");
    CHECK_THROWS_AS(m.add_route({"", "m", "g", "a"}), std::invalid_argument);
    CHECK_THROWS_AS(m.add_route({"r", "bad\xFF", "g", "a"}), std::invalid_argument);
    CHECK(m.route_count() == 0);
    CHECK_FALSE(m.set_alert_firing("nope", "rule", true));
    m.add_route({"r", "m", "g", "a"});
    CHECK_FALSE(m.set_alert_firing("r", "bad\xFF", true));
    CHECK_FALSE(m.notification("bad\xFF", notification_result::success));
    CHECK_THROWS_AS(m.add_receiver(""), std::invalid_argument);
  }

  TEST_CASE("receivers count every notification result and their queue depth") {
    metrics m({}, "0.1.0", "abc");
    m.add_receiver("slack");
    auto e = parse(m.render());
    CHECK(e.find("visionwatch_notifications_total", {{"receiver", "slack"}}).size() == 4);
    CHECK(e.value("visionwatch_notification_queue_depth", {{"receiver", "slack"}}) == 0);
    m.notification("slack", notification_result::success);
    m.notification("slack", notification_result::retry);
    m.notification("slack", notification_result::retry);
    m.notification("pager", notification_result::dropped);
    m.set_queue_depth("slack", 7);
    e = parse(m.render());
    CHECK(e.value("visionwatch_notifications_total",
                  {{"receiver", "slack"}, {"result", "retry"}}) == 2);
    CHECK(e.value("visionwatch_notifications_total",
                  {{"receiver", "slack"}, {"result", "failed"}}) == 0);
    CHECK(e.value("visionwatch_notifications_total",
                  {{"receiver", "pager"}, {"result", "dropped"}}) == 1);
    CHECK(e.value("visionwatch_notification_queue_depth", {{"receiver", "slack"}}) == 7);
    CHECK(m.remove_receiver("slack"));
    CHECK(m.render().find(R"(receiver="slack")") == std::string::npos);
  }

  TEST_CASE("self metrics: in flight - scheduler lag and configuration reloads") {
    metrics m({}, "0.1.0", "abc");
    auto e = parse(m.render());
    CHECK(e.value("visionwatch_config_last_reload_successful", {}) == 0);
    CHECK(e.find("visionwatch_config_last_reload_success_timestamp_seconds").empty());
    m.set_in_flight(3);
    m.observe_scheduler_lag(0.003);
    m.observe_scheduler_lag(2);
    const auto t = std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}};
    m.config_reloaded(true, t);
    m.config_reloaded(false, t + std::chrono::seconds{60});
    e = parse(m.render());
    CHECK(e.value("visionwatch_probes_in_flight", {}) == 3);
    CHECK(e.value("visionwatch_scheduler_lag_seconds_bucket", {{"le", "0.0025"}}) == 0);
    CHECK(e.value("visionwatch_scheduler_lag_seconds_bucket", {{"le", "0.005"}}) == 1);
    CHECK(e.value("visionwatch_scheduler_lag_seconds_bucket", {{"le", "1"}}) == 1);
    CHECK(e.value("visionwatch_scheduler_lag_seconds_bucket", {{"le", "+Inf"}}) == 2);
    CHECK(e.value("visionwatch_scheduler_lag_seconds_count", {}) == 2);
    CHECK(e.value("visionwatch_config_last_reload_successful", {}) == 0);
    CHECK(e.value("visionwatch_config_last_reload_success_timestamp_seconds", {}) == 1'700'000'000);
  }

  TEST_CASE("render agrees with prometheus-cpp's TextSerializer on the same registry") {
    metrics m({{"region", "eu"}}, "0.1.0", "abc");
    const auto a = m.add_route(route_a);
    const auto b = m.add_route({"b", "we\"ird\\model", "gw", "openai-chat"});
    m.set_shapes(a, {visionwatch::probe_shape::plain, visionwatch::probe_shape::gif});
    m.record(a, probe(route_a, outcome::ok), figures());
    m.record(a, probe(route_a, outcome::no_image_claim, 3.5), figures());
    m.record(b, probe(route_b, outcome::connect_error, 0.002), {});
    m.set_baseline(b, 25);
    m.probe_skipped(b);
    m.set_alert_firing("b", "down", true);
    m.notification("hook", notification_result::failed);
    m.set_in_flight(2);
    m.observe_scheduler_lag(0.02);
    m.config_reloaded(true,
                      std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}});

    const auto ours = parse(m.render());
    const auto theirs = parse(prometheus::TextSerializer{}.Serialize(m.collect()));
    std::map<std::string, std::multiset<std::string>> ours_by_family;
    std::map<std::string, std::multiset<std::string>> theirs_by_family;
    const auto key = [](const sample& s) {
      std::ostringstream k;
      k << s.name << "{";
      for (const auto& [n, v] : s.labels) {
        k << n << "=" << v << ",";
      }
      k << "} " << s.value;
      return k.str();
    };
    for (const auto& s : ours.samples) {
      ours_by_family[s.name].insert(key(s));
    }
    for (const auto& s : theirs.samples) {
      theirs_by_family[s.name].insert(key(s));
    }
    CHECK(ours_by_family == theirs_by_family);
    CHECK(ours.samples.size() == theirs.samples.size());
    for (const auto& name : ours.family_order) {
      CAPTURE(name);
      REQUIRE(theirs.families.contains(name));
      CHECK(ours.families.at(name).help == theirs.families.at(name).help);
      CHECK(ours.families.at(name).type == theirs.families.at(name).type);
    }
    bool summary_seen = false;
    for (const auto& family : m.collect()) {
      if (family.name == "visionwatch_probe_latency_seconds") {
        summary_seen = true;
        CHECK(family.type == prometheus::MetricType::Summary);
        REQUIRE(family.metric.size() == 2);
        // Routes in name order: "b" (empty window: no quantiles) then route a.
        CHECK(family.metric[0].summary.quantile.empty());
        CHECK(family.metric[1].summary.quantile.size() == 4);
        CHECK(family.metric[1].summary.sample_count == 2);
      }
    }
    CHECK(summary_seen);
    // Every family prometheus-cpp lists with samples, we list too.
    for (const auto& [name, f] : theirs.families) {
      if (!theirs.find(name).empty() || !theirs.find(name + "_count").empty()) {
        CHECK_MESSAGE(ours.families.contains(name), name);
      }
    }
  }
}

TEST_SUITE("integration") {
  TEST_CASE("promtool check metrics accepts the exposition without lint findings") {
    metrics m({{"region", "eu-west-1"}}, "0.1.0", "abc");
    const std::vector<route_labels> routes = {
        route_a, route_b, {"odd", "we\"ird\\model\nv2", "gw", "openai-chat"}};
    for (const auto& r : routes) {
      const auto h = m.add_route(r);
      for (outcome o : visionwatch::all_outcomes) {
        auto p = probe(r, o);
        p.tokens.image_tokens = 85;
        m.record(h, p, figures());
      }
      auto control = probe(r, outcome::ok);
      control.control = true;
      m.record(h, control, {});
      m.probe_skipped(h);
      m.set_alert_firing(r.route, "silent_failures", true);
    }
    m.notification("slack", notification_result::success);
    m.set_queue_depth("slack", 1);
    m.set_in_flight(1);
    m.observe_scheduler_lag(0.01);
    m.config_reloaded(true, std::chrono::system_clock::now());

    const auto dir = visionwatch::test::make_temp_dir("metrics-promtool");
    const auto file = dir / "metrics.txt";
    const auto output = dir / "promtool.out";
    {
      std::ofstream out(file, std::ios::binary);
      out << m.render();
    }
    const std::string command =
        "promtool check metrics < '" + file.string() + "' > '" + output.string() + "' 2>&1";
    const int status = std::system(command.c_str());
    const std::string printed = visionwatch::test::read_file(output);
    CHECK_MESSAGE(WIFEXITED(status), command);
    CHECK_MESSAGE(WEXITSTATUS(status) == 0, printed);
    CHECK_MESSAGE(printed.empty(), printed);
    std::filesystem::remove_all(dir);
  }
}

TEST_SUITE("unit") {
  TEST_CASE("each configured shape has a success gauge and a failure counter and nothing else") {
    using visionwatch::probe_shape;
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    m.record(h, probe(route_a, outcome::ok), figures());
    const auto plain_only = parse(m.render());
    CHECK(plain_only.find("visionwatch_shape_success").empty());  // no shapes set: none
    REQUIRE(m.set_shapes(h, {probe_shape::plain, probe_shape::tools}));
    auto e = parse(m.render());
    // Failure counters from 0; success gauges absent until the shape is probed.
    CHECK(e.value("visionwatch_shape_failures_total",
                  {{"route", route_a.route}, {"model", "gpt-4o-mini"}, {"shape", "tools"}}) == 0);
    CHECK(e.value("visionwatch_shape_failures_total", {{"shape", "plain"}}) == 0);
    CHECK(e.find("visionwatch_shape_success").empty());

    auto tools = probe(route_a, outcome::no_image_claim);
    tools.shape = probe_shape::tools;
    const auto before = parse(m.render());
    m.record(h, tools, figures());
    m.record(h, probe(route_a, outcome::ok), figures());
    e = parse(m.render());
    CHECK(e.value("visionwatch_shape_success", {{"shape", "plain"}}) == 1);
    CHECK(e.value("visionwatch_shape_success", {{"shape", "tools"}}) == 0);
    CHECK(e.value("visionwatch_shape_failures_total", {{"shape", "tools"}}) == 1);
    CHECK(e.value("visionwatch_shape_failures_total", {{"shape", "plain"}}) == 0);
    // The route's own families count both probes as they always did, with no shape label.
    CHECK(e.value("visionwatch_probes_total", {{"outcome", "ok"}}) -
              before.value("visionwatch_probes_total", {{"outcome", "ok"}}) ==
          1);
    CHECK(e.value("visionwatch_silent_failures_total", {{"reason", "no_image_claim"}}) == 1);
    for (const auto& sample : e.samples) {
      if (!sample.name.starts_with("visionwatch_shape_")) {
        CHECK_MESSAGE(!sample.labels.contains("shape"), sample.name);
      }
    }
  }

  TEST_CASE("a reload keeps the series of kept shapes and drops removed ones") {
    using visionwatch::probe_shape;
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    m.set_shapes(h, {probe_shape::plain, probe_shape::tools});
    auto tools = probe(route_a, outcome::wrong_answer);
    tools.shape = probe_shape::tools;
    m.record(h, tools, figures());
    m.set_shapes(h, {probe_shape::tools, probe_shape::jpeg});
    const auto e = parse(m.render());
    CHECK(e.value("visionwatch_shape_failures_total", {{"shape", "tools"}}) == 1);
    CHECK(e.value("visionwatch_shape_success", {{"shape", "tools"}}) == 0);
    CHECK(e.value("visionwatch_shape_failures_total", {{"shape", "jpeg"}}) == 0);
    CHECK(e.find("visionwatch_shape_failures_total", {{"shape", "plain"}}).empty());
    // A probe of a shape the route no longer has (in flight across the reload) counts nowhere.
    auto gif = probe(route_a, outcome::empty_answer);
    gif.shape = probe_shape::gif;
    m.record(h, gif, figures());
    CHECK(parse(m.render()).find("visionwatch_shape_failures_total", {{"shape", "gif"}}).empty());
    CHECK_FALSE(m.set_shapes({}, {probe_shape::plain}));  // a stale handle
  }

  TEST_CASE("only a control request of the plain form sets the usage baseline gauge") {
    using visionwatch::probe_shape;
    metrics m({}, "0.1.0", "abc");
    const auto h = m.add_route(route_a);
    auto control = probe(route_a, outcome::ok);
    control.control = true;
    control.shape = probe_shape::tools;
    control.tokens.prompt_tokens = 140;
    m.record(h, control, figures());
    CHECK(parse(m.render()).find("visionwatch_usage_baseline_tokens").empty());
    control.shape = probe_shape::plain;
    control.tokens.prompt_tokens = 27;
    m.record(h, control, figures());
    CHECK(parse(m.render()).value("visionwatch_usage_baseline_tokens", {}) == 27);
  }

  TEST_CASE("an external label named shape is refused: it would collide") {
    CHECK_THROWS_AS(metrics({{"shape", "x"}}, "0.1.0", "abc"), std::invalid_argument);
  }
}
