// The field tables (daemon/config/config_fields.cpp) against the parser, so that neither can
// drift from the other: every key of every table is set in tests/config/schema/full*.yaml and
// those files parse with every key read; each typed key's allowed values and bounds in the
// table are the parser's; every key set in examples/ and in the demo configuration is in the
// tables.
#include "daemon/config/config_fields.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "daemon/config/config_document.hpp"
#include "daemon/config/config_reader.hpp"
#include "daemon/sim/demo.hpp"
#include "tests/config/config_test_support.hpp"
#include "tests/support/test_ca.hpp"
#include "tests/support/test_paths.hpp"

namespace {

namespace fs = std::filesystem;
namespace cf = visionwatch::config_fields;
using namespace visionwatch;
using config_reading::child;
using config_reading::index;

const std::vector<std::string> full_files = {
    "full.yaml", "full_admin_file.yaml", "full_admin_credential.yaml"};

std::string fixture_text(const std::string& name) {
  return test::read_file(test::source_dir() / "tests" / "config" / "schema" / name);
}

/// One step from a node to a child: a key or a list index.
using step = std::variant<std::string, std::size_t>;

/// A key of a table, where a document sets it.
struct occurrence {
  const cf::table* table = nullptr;
  const cf::field* field = nullptr;
  std::string path;         ///< as the parser spells it: routes[0].challenge.kind
  std::vector<step> steps;  ///< from the root to the value
};

/// Reads a document through the tables as the parser does, without checking any value.
struct table_walk {
  std::vector<occurrence> keys;      ///< keys the tables know
  std::vector<std::string> unknown;  ///< paths of keys no table has

  void walk(const YAML::Node& n,
            const cf::table& t,
            const std::string& path,
            const std::vector<step>& steps) {
    if (!n.IsMap()) {
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      const auto key = it->first.as<std::string>();
      const auto p = child(path, key);
      auto here = steps;
      here.emplace_back(key);
      const auto* f = t.find(key);
      if (f == nullptr) {
        if (!t.extensions || key.rfind("x-", 0) != 0) {
          unknown.push_back(p);
        }
        continue;
      }
      keys.push_back({&t, f, p, here});
      const YAML::Node value = it->second;
      if (f->type == cf::value_type::map) {
        walk(value, f->nested(), p, here);
      } else if (f->type == cf::value_type::map_list && value.IsSequence()) {
        for (std::size_t i = 0; i < value.size(); ++i) {
          auto item = here;
          item.emplace_back(i);
          walk(value[i], f->nested(), index(p, i), item);
        }
      }
    }
  }
};

table_walk walk_document(const std::string& text) {
  table_walk w;
  w.walk(YAML::Load(text), cf::document(), "", {});
  return w;
}

/// The files and the environment the full configurations refer to: probe.png, ca.pem, *.txt
/// files beside them and credentials in $CREDENTIALS_DIRECTORY (the same directory).
struct full_environment {
  fs::path dir;
  env_lookup env;
};

const full_environment& environment() {
  static const full_environment e = [] {
    full_environment out;
    out.dir = test::make_temp_dir("vw-fields");
    fs::copy_file(test::source_dir() / "examples" / "probe-images" / "red-octagon.png",
                  out.dir / "probe.png");
    fs::copy_file(test::test_certificates().ca_cert, out.dir / "ca.pem");
    const std::string webhook_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
             {"anthropic-key.txt", "sk-ant-test"},
             {"token.txt", "bearer-test"},
             {"aws-secret-a.txt", "secret-a"},
             {"aws-id-b.txt", "AKIDB"},
             {"aws-token-c.txt", "token-c"},
             {"pager-key.txt", "routing-key"},
             {"pager-url.txt", "https://events.example/v2/enqueue"},
             {"admin-token.txt", "admin-test"},
             {"azure-key", "azure-test"},
             {"aws-token-a", "token-a"},
             {"aws-secret-b", "secret-b"},
             {"aws-id-c", "AKIDC"},
             {"am-url", "http://127.0.0.1:9093"},
             {"hook-secret", webhook_secret},
             {"admin-token", "admin-test"}}) {
      config_testing::write_file(out.dir, name, content);
    }
    out.env = config_testing::env_of({{"VW_ADMIN_TOKEN", "admin-test"},
                                      {"CHAT_API_KEY", "sk-test"},
                                      {"AWS_ID_A", "AKIDA"},
                                      {"AWS_TOKEN_B", "token-b"},
                                      {"AWS_SECRET_C", "secret-c"},
                                      {"VW_WEBHOOK_SECRET", webhook_secret},
                                      {"VW_SLACK_URL", "https://hooks.slack.example/T/B/x"},
                                      {"CREDENTIALS_DIRECTORY", out.dir.string()}});
    return out;
  }();
  return e;
}

struct parsed {
  std::vector<config_error> errors;
  std::vector<std::string> unread;  ///< keys accepted but never looked up by the parser
};

parsed parse(const std::string& text) {
  const auto& e = environment();
  config_reading::config_reader reader("config.yaml", e.dir, e.env);
  parsed out;
  reader.collect_unread(&out.unread);
  config cfg;
  if (const auto root = reader.load(text)) {
    config_reading::read_document(reader, *root, cfg);
  }
  out.errors = reader.take_errors();
  return out;
}

std::vector<std::string> lines_of(const std::vector<config_error>& errors) {
  std::vector<std::string> out;
  out.reserve(errors.size());
  for (const auto& e : errors) {
    out.push_back(e.to_string());
  }
  return out;
}

/// `text` with the value at `steps` replaced by the plain scalar `value`.
std::string with_value(const std::string& text,
                       const std::vector<step>& steps,
                       const std::string& value) {
  YAML::Node root = YAML::Clone(YAML::Load(text));
  YAML::Node n;
  n.reset(root);
  for (std::size_t i = 0; i + 1 < steps.size(); ++i) {
    YAML::Node next = std::holds_alternative<std::string>(steps[i])
                          ? n[std::get<std::string>(steps[i])]
                          : n[std::get<std::size_t>(steps[i])];
    n.reset(next);
  }
  n[std::get<std::string>(steps.back())] = value;
  return YAML::Dump(root);
}

struct sample {
  std::string value;
  bool accepted = false;
};

std::string number_text(double v) { return std::to_string(v); }

/// Values of a typed key the parser must accept, and values it must refuse at the key's path,
/// according to the key's table row; empty for keys of free text and for mappings and lists.
std::vector<sample> samples(const cf::field& f) {
  const auto whole = [](double v) { return std::to_string(static_cast<long long>(v)); };
  switch (f.type) {
    case cf::value_type::boolean:
      return {{"true", true}, {"false", true}, {"maybe", false}};
    case cf::value_type::integer:
    case cf::value_type::size:
      return {{whole(f.min), true},
              {whole(f.max), true},
              {whole(f.min - 1), false},
              {whole(f.max + 1), false},
              {"many", false}};
    case cf::value_type::number:
      return {{number_text(f.min), !f.above_min},
              {number_text(f.max), true},
              {number_text(f.min - 1), false},
              {number_text(f.max + 1), false},
              {"lots", false}};
    case cf::value_type::duration:
      return {{"30s", true}, {"5s", true}, {"5 minutes", false}, {"30", false}};
    case cf::value_type::url:
      if (f.pattern.empty()) {
        return {{"https://example.test/x", true}, {"not a url", false}};
      }
      return {{"not a url", false}};
    case cf::value_type::time:
      return {{"2030-01-01T00:00:00Z", true}, {"tomorrow", false}};
    case cf::value_type::choice: {
      std::vector<sample> out;
      out.reserve(f.values.size() + 1);
      for (const auto v : f.values) {
        out.push_back({std::string(v), true});
      }
      out.push_back({"no-such-value", false});
      return out;
    }
    default:
      return {};
  }
}

}  // namespace

TEST_SUITE("unit") {
  TEST_CASE("every key of every field table is set in the full test configurations") {
    std::set<std::pair<std::string_view, std::string>> set;
    for (const auto& name : full_files) {
      const auto walk = walk_document(fixture_text(name));
      CHECK_MESSAGE(walk.unknown == std::vector<std::string>{}, name);
      for (const auto& k : walk.keys) {
        set.emplace(k.table->name, k.field->key);
      }
    }
    std::vector<std::string> missing;
    for (const auto* t : cf::all_tables()) {
      for (const auto& f : t->fields) {
        if (set.count({t->name, f.key}) == 0) {
          missing.push_back(std::string(t->name) + "." + f.key);
        }
      }
    }
    // A key added to a table needs a line in tests/config/schema/full.yaml.
    CHECK(missing == std::vector<std::string>{});
  }

  TEST_CASE("the full test configurations parse with every key read by the parser") {
    for (const auto& name : full_files) {
      CAPTURE(name);
      const auto p = parse(fixture_text(name));
      CHECK(lines_of(p.errors) == std::vector<std::string>{});
      // A key in a table that no parser code looks up would be accepted and ignored.
      CHECK(p.unread == std::vector<std::string>{});
    }
  }

  TEST_CASE("each typed key's values and bounds in the field tables are the parser's") {
    std::set<std::pair<const cf::table*, const cf::field*>> done;
    std::size_t checked = 0;
    for (const auto& name : full_files) {
      const auto text = fixture_text(name);
      for (const auto& k : walk_document(text).keys) {
        if (!done.emplace(k.table, k.field).second) {
          continue;  // the first place a key is set stands for all
        }
        for (const auto& s : samples(*k.field)) {
          CAPTURE(k.path);
          CAPTURE(s.value);
          const auto p = parse(with_value(text, k.steps, s.value));
          std::vector<std::string> at_key;
          for (const auto& e : p.errors) {
            if (e.path == k.path) {
              at_key.push_back(e.to_string());
            }
          }
          if (s.accepted) {
            CHECK(at_key == std::vector<std::string>{});
          } else {
            CHECK(at_key.size() == 1);
          }
          ++checked;
        }
      }
    }
    CHECK(checked > 150);
  }

  TEST_CASE("every key the examples and the demo configuration set is in the field tables") {
    std::vector<std::pair<std::string, std::string>> documents;
    for (const auto& entry : fs::directory_iterator(test::source_dir() / "examples")) {
      if (entry.path().extension() == ".yaml") {
        documents.emplace_back(entry.path().filename().string(), test::read_file(entry.path()));
      }
    }
    REQUIRE(documents.size() >= 2);
    demo_settings demo;
    demo.webhook_url = "http://127.0.0.1:9/hook";
    demo.alertmanager_url = "http://127.0.0.1:9093";
    documents.emplace_back("demo", demo_config_yaml("http://127.0.0.1:9/v1", demo));
    for (const auto& [name, text] : documents) {
      const auto walk = walk_document(text);
      CHECK_MESSAGE(walk.unknown == std::vector<std::string>{}, name);
      CHECK_MESSAGE(walk.keys.size() > 10, name);
    }
  }

  TEST_CASE("the alert rules table has one entry per rule kind with that kind's keys") {
    const auto& rules = cf::alert_rules();
    REQUIRE(rules.fields.size() == 5);
    for (const auto& f : rules.fields) {
      const auto kind = alert_rule_kind_from_string(f.key);
      REQUIRE(kind);
      CHECK(&f.nested() == &cf::rule(*kind));
    }
    CHECK(cf::rule(alert_rule_kind::latency).find("metric") != nullptr);
    CHECK(cf::rule(alert_rule_kind::cost).find("metric") == nullptr);
    CHECK(cf::rule(alert_rule_kind::route_down).find("threshold") == nullptr);
  }
}
