#include "daemon/config/config_global.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <set>
#include <string>
#include <utility>

#include "daemon/config/config_gateways.hpp"
#include "daemon/config/config_secrets.hpp"

namespace visionwatch::config_reading {
namespace {

/// A label name the file may set: Prometheus' syntax, and no __ prefix (reserved for
/// Prometheus' own). Records the error and returns false otherwise.
bool label_name_ok(config_reader& reader,
                   const YAML::Node& at,
                   const std::string& path,
                   const std::string& name) {
  if (!valid_label_name(name) || name.rfind("__", 0) == 0) {
    reader.fail(at,
                path,
                quote(name) + " is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, no __ prefix)");
    return false;
  }
  return true;
}

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
                                                              "instance",
                                                              "shard",
                                                              "shards"};
  auto& reader = doc.reader;
  auto entries = reader.entries(n, path);
  if (!entries) {
    return;
  }
  for (const auto& e : *entries) {
    const std::string p = child(path, e.key);
    if (!label_name_ok(reader, e.key_node, p, e.key)) {
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

bool valid_dns_name(std::string_view name) {
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  if (name.empty() || name.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto dot = std::min(name.find('.', start), name.size());
    const auto label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        label.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
            std::string_view::npos) {
      return false;
    }
    start = dot + 1;
  }
  return true;
}

/// `name`, `name:port`, `1.2.3.4[:port]`, `[v6][:port]` with a port of 1-65535: the same rule as
/// the admin server's (daemon/admin/admin_origin.hpp), which checks its options again.
bool valid_admin_host(std::string_view entry) {
  std::string_view host = entry;
  std::string_view port;
  bool has_port = false;
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    host = entry.substr(1, close - 1);
    const auto rest = entry.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return false;
      }
      port = rest.substr(1);
      has_port = true;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &v6) != 1) {
      return false;
    }
  } else {
    const auto colon = entry.find(':');
    if (colon != std::string_view::npos) {
      host = entry.substr(0, colon);
      port = entry.substr(colon + 1);
      has_port = true;
    }
    if (!valid_dns_name(host)) {
      return false;
    }
    in_addr v4{};
    const std::string bare(host.ends_with('.') ? host.substr(0, host.size() - 1) : host);
    if (bare.find_first_not_of("0123456789.") == std::string::npos &&
        inet_pton(AF_INET, bare.c_str(), &v4) != 1) {
      return false;  // all digits but not an IPv4 address
    }
  }
  if (has_port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return false;
    }
  }
  return true;
}

void parse_admin_hosts(config_document& doc, const YAML::Node& n, const std::string& path) {
  auto& reader = doc.reader;
  const auto list = reader.items(n, path);
  if (!list) {
    return;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& item = (*list)[i];
    const auto p = index(path, i);
    auto v = reader.string(item, p, true);
    if (!v) {
      continue;
    }
    if (!valid_admin_host(*v)) {
      reader.fail(item,
                  p,
                  quote(*v) +
                      " is not a host name with an optional :port (e.g. visionwatch.internal or "
                      "monitor.example:8443)");
      continue;
    }
    doc.cfg.global.admin_hosts.push_back(std::move(*v));
  }
}

void parse_shard_key(config_document& doc, const YAML::Node& n, const std::string& path) {
  auto& reader = doc.reader;
  const auto s = reader.scalar(n, path, "a shard i/n");
  if (!s) {
    return;
  }
  std::string error;
  if (auto shard = parse_shard(s->value, error)) {
    doc.cfg.global.shard = *shard;
  } else {
    reader.fail(n, path, error);
  }
}

void parse_replica_labels(config_document& doc, const YAML::Node& n, const std::string& path) {
  auto& reader = doc.reader;
  auto& out = doc.cfg.global.replica_labels;
  out.clear();
  reader.for_each_item(n, path, [&](const YAML::Node& item, const std::string& p) {
    auto v = reader.string(item, p, true);
    if (!v) {
      return;
    }
    if (label_name_ok(reader, item, p, *v)) {
      out.push_back(std::move(*v));
    }
  });
}

}  // namespace

void parse_global(config_document& doc, const YAML::Node& n) {
  auto& reader = doc.reader;
  map_reader m(reader, n, "global", config_fields::global());
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
  if (const auto* v = m.get("admin_hosts")) {
    parse_admin_hosts(doc, *v, m.at("admin_hosts"));
  }
  m.read_url("public_url", g.public_url);
  m.read_url("media_base_url", g.media_base_url);
  m.read_integer("max_in_flight", g.max_in_flight);
  m.read_duration("shutdown_grace", g.shutdown_grace);
  m.read_duration("max_retry_after", g.max_retry_after);
  if (const auto b = m.nested("budget", config_fields::budget())) {
    parse_budget(reader, *b, g.budget);
  }
  if (const auto* v = m.get("shard")) {
    parse_shard_key(doc, *v, m.at("shard"));
  }
  if (const auto* v = m.get("replica_labels")) {
    parse_replica_labels(doc, *v, m.at("replica_labels"));
  }
}

}  // namespace visionwatch::config_reading

namespace visionwatch {

std::map<std::string, std::string> global_config::alert_labels() const {
  auto out = external_labels;
  for (const auto& name : replica_labels) {
    out.erase(name);
  }
  return out;
}

}  // namespace visionwatch
