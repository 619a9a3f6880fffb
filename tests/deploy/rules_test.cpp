// deploy/prometheus/visionwatch.rules.yml: valid for promtool, its unit tests pass and cover
// every alert, and it reads only metrics the daemon exports.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "tests/deploy/deploy_support.hpp"
#include "tests/support/exported_metrics.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace {

namespace test = visionwatch::test;

std::filesystem::path rules_file() {
  return test::source_dir() / "deploy" / "prometheus" / "visionwatch.rules.yml";
}
std::filesystem::path rules_test_file() {
  return test::source_dir() / "deploy" / "prometheus" / "visionwatch.rules.test.yml";
}

struct rule {
  std::string record;  ///< empty for an alert
  std::string alert;   ///< empty for a recording rule
  std::string expr;
  YAML::Node node;
};

std::vector<rule> load_rules() {
  const YAML::Node doc = YAML::LoadFile(rules_file().string());
  std::vector<rule> out;
  for (const auto& group : doc["groups"]) {
    for (const auto& r : group["rules"]) {
      out.push_back({r["record"] ? r["record"].as<std::string>() : std::string{},
                     r["alert"] ? r["alert"].as<std::string>() : std::string{},
                     r["expr"].as<std::string>(),
                     r});
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("names_in_promql finds metric and recording rule names but not label values") {
    const auto n = test::names_in_promql(
        R"(sum by (route) (rate(visionwatch_probes_total{outcome="visionwatch_not_a_metric"}[10m])))"
        R"( / route:visionwatch_probe_success:ratio_rate10m > 0.9 and on (route))"
        R"( histogram_quantile(0.99, rate(visionwatch_probe_duration_seconds_bucket{route=~"$route"}[$__rate_interval])))");
    CHECK(n.metrics == std::set<std::string>{"visionwatch_probe_duration_seconds_bucket",
                                             "visionwatch_probes_total"});
    CHECK(n.recorded == std::set<std::string>{"route:visionwatch_probe_success:ratio_rate10m"});
  }

  TEST_CASE("the exported metric names include histogram and summary sample names") {
    const auto names = test::exported_metric_names();
    for (const char* name : {"visionwatch_probes_total",
                             "visionwatch_probe_duration_seconds",
                             "visionwatch_probe_duration_seconds_bucket",
                             "visionwatch_probe_latency_seconds",
                             "visionwatch_probe_latency_seconds_count",
                             "visionwatch_config_last_reload_success_timestamp_seconds",
                             "visionwatch_notification_queue_depth"}) {
      CHECK_MESSAGE(names.contains(name), name);
    }
    CHECK_FALSE(names.contains("visionwatch_probes_total_bucket"));
    CHECK(test::route_metric_names().contains("visionwatch_last_probe_timestamp_seconds"));
    CHECK_FALSE(test::route_metric_names().contains("visionwatch_config_last_reload_successful"));
  }

  TEST_CASE("the rules read only metrics the daemon exports and recording rules they define") {
    const auto exported = test::exported_metric_names();
    const auto rules = load_rules();
    REQUIRE(rules.size() >= 10);
    std::set<std::string> defined;
    for (const auto& r : rules) {
      if (!r.record.empty()) {
        defined.insert(r.record);
      }
    }
    std::set<std::string> used;
    for (const auto& r : rules) {
      CAPTURE(r.expr);
      const auto names = test::names_in_promql(r.expr);
      for (const auto& name : names.metrics) {
        CHECK_MESSAGE(exported.contains(name), name << " is not exported by visionwatch");
        used.insert(name);
      }
      for (const auto& name : names.recorded) {
        CHECK_MESSAGE(defined.contains(name), name << " is not defined by a record rule");
      }
    }
    // The metrics the alerts are about are read (the check above cannot pass on an empty file).
    for (const char* name : {"visionwatch_probes_total",
                             "visionwatch_silent_failures_total",
                             "visionwatch_probe_duration_seconds_bucket",
                             "visionwatch_last_probe_timestamp_seconds",
                             "visionwatch_config_last_reload_successful"}) {
      CHECK_MESSAGE(used.contains(name), name);
    }
  }

  TEST_CASE("every alert has a severity and a summary and description naming its route") {
    const auto route_metrics = test::route_metric_names();
    std::set<std::string> alerts;
    for (const auto& r : load_rules()) {
      if (r.alert.empty()) {
        continue;
      }
      CAPTURE(r.alert);
      alerts.insert(r.alert);
      const auto severity = r.node["labels"]["severity"].as<std::string>("");
      CHECK((severity == "critical" || severity == "warning"));
      const auto summary = r.node["annotations"]["summary"].as<std::string>("");
      const auto description = r.node["annotations"]["description"].as<std::string>("");
      CHECK_FALSE(summary.empty());
      CHECK_FALSE(description.empty());
      // An alert computed from per-route series keeps the route label: say which route.
      const auto names = test::names_in_promql(r.expr);
      bool per_route = false;
      for (const auto& name : names.metrics) {
        per_route = per_route || route_metrics.contains(name);
      }
      for (const auto& name : names.recorded) {
        per_route = per_route || name.starts_with("route:");
      }
      if (per_route) {
        CHECK(summary.find("{{ $labels.route }}") != std::string::npos);
        CHECK(description.find("{{ $labels.route }}") != std::string::npos);
      }
    }
    CHECK(alerts == std::set<std::string>{"VisionwatchAbsent",
                                          "VisionwatchBudgetExhausted",
                                          "VisionwatchConfigReloadFailed",
                                          "VisionwatchDown",
                                          "VisionwatchLatencyHigh",
                                          "VisionwatchNotificationsFailing",
                                          "VisionwatchProbesStale",
                                          "VisionwatchShapeFailing",
                                          "VisionwatchSilentFailures",
                                          "VisionwatchSuccessRatioLow"});
  }

  TEST_CASE("the rule unit tests check every alert both firing and not firing") {
    std::set<std::string> alerts;
    for (const auto& r : load_rules()) {
      if (!r.alert.empty()) {
        alerts.insert(r.alert);
      }
    }
    std::set<std::string> fired;
    std::set<std::string> quiet;
    const YAML::Node doc = YAML::LoadFile(rules_test_file().string());
    REQUIRE(doc["rule_files"][0].as<std::string>() == "visionwatch.rules.yml");
    for (const auto& t : doc["tests"]) {
      for (const auto& a : t["alert_rule_test"]) {
        const auto name = a["alertname"].as<std::string>();
        (a["exp_alerts"].size() > 0 ? fired : quiet).insert(name);
      }
    }
    CHECK(fired == alerts);
    CHECK(quiet == alerts);
  }
}

TEST_SUITE("integration") {
  TEST_CASE("promtool check rules accepts the rules file") {
    REQUIRE_MESSAGE(test::find_in_path("promtool"), "promtool is not installed");
    const auto r = test::run_process({"promtool", "check", "rules", rules_file().string()});
    CHECK_MESSAGE(r.exit_code == 0, test::process_report(r));
    CHECK_MESSAGE(r.out.find("SUCCESS") != std::string::npos, test::process_report(r));
  }

  TEST_CASE("promtool test rules passes the alert and recording rule unit tests") {
    REQUIRE_MESSAGE(test::find_in_path("promtool"), "promtool is not installed");
    const auto r = test::run_process({"promtool", "test", "rules", rules_test_file().string()});
    CHECK_MESSAGE(r.exit_code == 0, test::process_report(r));
    CHECK_MESSAGE(r.out.find("SUCCESS") != std::string::npos, test::process_report(r));
  }

  TEST_CASE("promtool test rules fails when an alert threshold no longer matches its test") {
    // The unit tests must be able to fail: the same tests against a rule file with the stale
    // probe threshold raised tenfold.
    REQUIRE_MESSAGE(test::find_in_path("promtool"), "promtool is not installed");
    const auto dir = test::make_temp_dir("rules-mutant");
    std::string rules = test::read_file(rules_file());
    const std::string threshold = "visionwatch_last_probe_timestamp_seconds > 600";
    const auto at = rules.find(threshold);
    REQUIRE(at != std::string::npos);
    rules.replace(at, threshold.size(), "visionwatch_last_probe_timestamp_seconds > 6000");
    {
      std::ofstream(dir / "visionwatch.rules.yml", std::ios::binary) << rules;
      std::ofstream(dir / "visionwatch.rules.test.yml", std::ios::binary)
          << test::read_file(rules_test_file());
    }
    const auto r = test::run_process(
        {"promtool", "test", "rules", (dir / "visionwatch.rules.test.yml").string()});
    CHECK_MESSAGE(r.exit_code != 0, test::process_report(r));
    CHECK((r.out + r.err).find("VisionwatchProbesStale") != std::string::npos);
    std::filesystem::remove_all(dir);
  }
}
