// deploy/grafana/visionwatch.json: a provisionable dashboard (datasource variable, no import
// inputs) that validates against Grafana's dashboard schema, shows a unit on every panel and
// queries only metrics the daemon exports.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/deploy/deploy_support.hpp"
#include "tests/support/exported_metrics.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace {

namespace test = visionwatch::test;
using nlohmann::json;

std::filesystem::path dashboard_file() {
  return test::source_dir() / "deploy" / "grafana" / "visionwatch.json";
}
std::filesystem::path schema_file() {
  return test::fixtures_dir() / "grafana-dashboard.jsonschema.json";
}

json dashboard() { return json::parse(test::read_file(dashboard_file())); }

/// Panels, those nested in rows included.
std::vector<json> panels(const json& d) {
  std::vector<json> out;
  for (const auto& p : d.at("panels")) {
    if (p.value("type", "") == "row") {
      for (const auto& inner : p.value("panels", json::array())) {
        out.push_back(inner);
      }
    } else {
      out.push_back(p);
    }
  }
  return out;
}

/// Every PromQL text in the dashboard: panel targets and query variables.
std::vector<std::string> queries(const json& d) {
  std::vector<std::string> out;
  for (const auto& p : panels(d)) {
    for (const auto& t : p.value("targets", json::array())) {
      out.push_back(t.at("expr").get<std::string>());
    }
  }
  for (const auto& v : d.at("templating").at("list")) {
    if (v.value("type", "") == "query") {
      out.push_back(v.at("query").get<std::string>());
    }
  }
  return out;
}

/// Validates with check-jsonschema when installed, else the jsonschema module of python3.
test::process_result validate(const std::filesystem::path& document) {
  if (test::find_in_path("check-jsonschema")) {
    return test::run_process(
        {"check-jsonschema", "--schemafile", schema_file().string(), document.string()});
  }
  return test::run_process(
      {"python3", "-m", "jsonschema", "-i", document.string(), schema_file().string()});
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("the dashboard is provisionable with a datasource variable and no import inputs") {
    const auto d = dashboard();
    CHECK_FALSE(d.contains("__inputs"));
    CHECK_FALSE(d.contains("__requires"));
    std::map<std::string, json> variables;
    for (const auto& v : d.at("templating").at("list")) {
      variables[v.at("name").get<std::string>()] = v;
    }
    REQUIRE(variables.contains("datasource"));
    CHECK(variables["datasource"].at("type") == "datasource");
    CHECK(variables["datasource"].at("query") == "prometheus");
    for (const char* name : {"route", "model"}) {
      CAPTURE(name);
      REQUIRE(variables.contains(name));
      CHECK(variables[name].at("type") == "query");
      CHECK(variables[name].at("query").get<std::string>().starts_with("label_values("));
      CHECK(variables[name].at("datasource").at("uid") == "${datasource}");
    }
  }

  TEST_CASE("every panel has a unit and queries through the datasource variable") {
    const auto all = panels(dashboard());
    REQUIRE(all.size() >= 10);
    std::set<int> ids;
    for (const auto& p : all) {
      CAPTURE(p.value("title", ""));
      CHECK_FALSE(p.value("/fieldConfig/defaults/unit"_json_pointer, std::string{}).empty());
      CHECK(p.at("datasource").at("uid") == "${datasource}");
      CHECK(ids.insert(p.at("id").get<int>()).second);
      const auto& g = p.at("gridPos");
      CHECK(g.at("x").get<int>() + g.at("w").get<int>() <= 24);
      REQUIRE_FALSE(p.at("targets").empty());
      for (const auto& t : p.at("targets")) {
        CHECK(t.at("datasource").at("uid") == "${datasource}");
        CHECK_FALSE(t.at("expr").get<std::string>().empty());
      }
    }
  }

  TEST_CASE(
      "rate queries use the Grafana rate interval and ranges are the rate interval or range") {
    const std::regex range(R"(\[([^\]]*)\])");
    for (const auto& q : queries(dashboard())) {
      CAPTURE(q);
      if (q.find("rate(") != std::string::npos) {
        CHECK(q.find("[$__rate_interval]") != std::string::npos);
      }
      for (std::sregex_iterator it(q.begin(), q.end(), range), end; it != end; ++it) {
        const std::string window = (*it)[1];
        CHECK((window == "$__rate_interval" || window == "$__range"));
      }
    }
  }

  TEST_CASE("the dashboard queries only metrics the daemon exports and no recording rules") {
    const auto exported = test::exported_metric_names();
    std::set<std::string> used;
    for (const auto& q : queries(dashboard())) {
      CAPTURE(q);
      const auto names = test::names_in_promql(q);
      // It must work without visionwatch.rules.yml loaded.
      CHECK(names.recorded.empty());
      for (const auto& name : names.metrics) {
        CHECK_MESSAGE(exported.contains(name), name << " is not exported by visionwatch");
        used.insert(name);
      }
    }
    // The panels the dashboard promises.
    for (const char* name : {"visionwatch_probes_total",
                             "visionwatch_probe_success_ratio",
                             "visionwatch_silent_failures_total",
                             "visionwatch_probe_duration_seconds_bucket",
                             "visionwatch_probe_latency_seconds",
                             "visionwatch_probe_phase_seconds",
                             "visionwatch_probe_prompt_tokens",
                             "visionwatch_probe_completion_tokens",
                             "visionwatch_probe_image_tokens",
                             "visionwatch_usage_baseline_tokens",
                             "visionwatch_cost_usd_total",
                             "visionwatch_cost_per_success_usd",
                             "visionwatch_alerts_firing",
                             "visionwatch_notifications_total",
                             "visionwatch_notification_queue_depth",
                             "visionwatch_route_info",
                             "visionwatch_probe_first_token_seconds_bucket",
                             "visionwatch_probe_output_tokens_per_second",
                             "visionwatch_shape_failures_total",
                             "visionwatch_shape_success"}) {
      CHECK_MESSAGE(used.contains(name), name);
    }
  }
}

TEST_SUITE("integration") {
  TEST_CASE("the dashboard validates against the Grafana dashboard JSON schema") {
    const auto r = validate(dashboard_file());
    CHECK_MESSAGE(r.exit_code == 0, test::process_report(r));
  }

  TEST_CASE("the schema validation rejects a dashboard with import inputs") {
    // Shows the validator can fail: the same dashboard as an export-for-sharing file.
    auto d = dashboard();
    d["__inputs"] = json::array({{{"name", "DS_PROMETHEUS"}, {"type", "datasource"}}});
    const auto dir = test::make_temp_dir("dashboard-invalid");
    const auto file = dir / "dashboard.json";
    std::ofstream(file, std::ios::binary) << d.dump(2);
    const auto r = validate(file);
    CHECK_MESSAGE(r.exit_code != 0, test::process_report(r));
    CHECK_MESSAGE((r.out + r.err).find("__inputs") != std::string::npos, test::process_report(r));
    std::filesystem::remove_all(dir);
  }
}
