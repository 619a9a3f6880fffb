#include "daemon/config/config_global.hpp"

#include <set>
#include <string>
#include <utility>

#include "daemon/config/config_secrets.hpp"

namespace visionwatch::config_reading {
namespace {

void parse_external_labels(config_document& doc, const YAML::Node& n, const std::string& path) {
  // Labels visionwatch itself puts on its series; an external label must not shadow them.
  static const std::set<std::string, std::less<>> reserved = {"route",
                                                              "model",
                                                              "gateway",
                                                              "outcome",
                                                              "reason",
                                                              "phase",
                                                              "quantile",
                                                              "receiver",
                                                              "result",
                                                              "rule",
                                                              "le",
                                                              "job",
                                                              "instance"};
  auto& reader = doc.reader;
  auto entries = reader.entries(n, path);
  if (!entries) {
    return;
  }
  for (const auto& e : *entries) {
    const std::string p = child(path, e.key);
    if (!valid_label_name(e.key) || e.key.rfind("__", 0) == 0) {
      reader.fail(
          e.key_node,
          p,
          quote(e.key) + " is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, no __ prefix)");
      continue;
    }
    if (reserved.count(e.key) != 0) {
      reader.fail(e.key_node, p, quote(e.key) + " is a label visionwatch sets itself");
      continue;
    }
    if (auto v = reader.string(e.value, p, true)) {
      doc.cfg.global.external_labels[e.key] = *v;
    }
  }
}

}  // namespace

void parse_global(config_document& doc, const YAML::Node& n) {
  auto& reader = doc.reader;
  map_reader m(reader,
               n,
               "global",
               {"listen",
                "state_dir",
                "external_labels",
                "admin_token_env",
                "admin_token_file",
                "admin_token_credential",
                "public_url",
                "media_base_url",
                "max_in_flight",
                "shutdown_grace",
                "max_retry_after"});
  if (!m.ok()) {
    return;
  }
  auto& g = doc.cfg.global;
  if (const auto* v = m.get("listen")) {
    if (auto s = reader.scalar(*v, m.at("listen"), "an address")) {
      if (auto a = parse_listen_address(s->value)) {
        g.listen = s->value;
        doc.listen_shown = s->shown;
        doc.listen_loopback = a->loopback;
        doc.listen_line = line_of(*v);
      } else {
        reader.fail(
            *v,
            m.at("listen"),
            quote(s->shown) + " is not a listen address (use 127.0.0.1:9464 or [::1]:9464)");
      }
    }
  }
  m.read_string("state_dir", g.state_dir, true);
  if (const auto* v = m.get("external_labels")) {
    parse_external_labels(doc, *v, m.at("external_labels"));
  }
  auto token = read_secret(reader, m, "admin_token", true);
  if (token.value) {
    g.admin_token = std::move(*token.value);
  }
  doc.admin_token_given = token.given;
  m.read_url("public_url", g.public_url);
  m.read_url("media_base_url", g.media_base_url);
  m.read_integer("max_in_flight", 1, 100'000, g.max_in_flight);
  m.read_duration("shutdown_grace", g.shutdown_grace);
  m.read_duration("max_retry_after", g.max_retry_after);
}

}  // namespace visionwatch::config_reading
