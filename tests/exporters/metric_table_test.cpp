#include "exporters/metric_table.hpp"

#include <doctest/doctest.h>
#include <prometheus/metric_family.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "exporters/metrics.hpp"

using visionwatch::metrics;
using visionwatch::notification_result;
using visionwatch::outcome;
using visionwatch::probe_result;
using visionwatch::route_labels;
using visionwatch::metrics_detail::family_table;

namespace {

/// A registry with a sample in every family of the table.
void fill(metrics& m) {
  for (const route_labels& r : {route_labels{"b", "qwen-vl", "local", "openai-chat", true},
                                route_labels{"a", "m", "g", "x"}}) {
    const auto h = m.add_route(r);
    m.set_shapes(h, {visionwatch::probe_shape::plain, visionwatch::probe_shape::tools});
    probe_result p;
    p.route = r.route;
    p.result = r.route == "a" ? outcome::ok : outcome::wrong_answer;  // a last success too
    p.http_status = 200;
    p.latency_seconds = 1.5;
    p.phases.total = 1.5;
    if (r.stream) {
      p.phases.first_token = 0.5;  // streamed: time to first token and output speed
    }
    p.tokens.prompt_tokens = 300;
    p.tokens.completion_tokens = 4;
    p.tokens.image_tokens = 85;
    p.cost_usd = 0.001;
    m.record(h, p, {1.0, 2.0, 3.0, 4.0, 0.001, 0.75});
    m.set_baseline(h, 25);
    m.probe_skipped(h);
    m.set_alert_firing(r.route, "silent_failures", true);
    m.set_deferred_until(h, std::chrono::system_clock::now());
  }
  m.add_gateway("local");
  m.gateway_probe_skipped("local");
  m.state_saved(true, std::chrono::system_clock::now());
  m.notification("hook", notification_result::success);
  m.set_in_flight(1);
  m.observe_scheduler_lag(0.01);
  m.config_reloaded(true, std::chrono::system_clock::now());
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const auto comma = text.find(',', start);
    out.emplace_back(text.substr(start, comma - start));
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("render and collect list every family of the table in table order") {
    metrics m({{"region", "eu"}}, "0.1.0", "abc");
    fill(m);
    std::vector<std::string> table;
    for (const auto& row : family_table()) {
      table.emplace_back(row.def.name);
    }
    std::vector<std::string> rendered;
    std::istringstream in(m.render());
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("# HELP ")) {
        rendered.push_back(line.substr(7, line.find(' ', 7) - 7));
      }
    }
    std::vector<std::string> collected;
    for (const auto& family : m.collect()) {
      collected.push_back(family.name);
    }
    CHECK(rendered == table);
    CHECK(collected == table);
    CHECK(std::set<std::string>(table.begin(), table.end()).size() == table.size());
  }

  TEST_CASE("each family's series carry exactly the labels its table row declares") {
    metrics m({{"region", "eu"}}, "0.1.0", "abc");
    fill(m);
    const auto families = m.collect();
    REQUIRE(families.size() == family_table().size());
    for (std::size_t i = 0; i < families.size(); ++i) {
      const auto& def = family_table()[i].def;
      CAPTURE(def.name);
      CHECK(families[i].help == def.help);
      CHECK(families[i].type == def.type);
      std::set<std::string> declared;
      for (const auto& l : split(def.labels)) {
        declared.insert(l);
      }
      declared.insert("region");
      for (const auto& metric : families[i].metric) {
        std::set<std::string> names;
        for (const auto& l : metric.label) {
          names.insert(l.name);
        }
        CHECK(names == declared);
      }
    }
  }
}
