#include "daemon/config/config_document.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <memory>

#include "daemon/config/config_alerts.hpp"
#include "daemon/config/config_aws.hpp"
#include "daemon/config/config_gateways.hpp"
#include "daemon/config/config_global.hpp"
#include "daemon/config/config_receivers.hpp"
#include "daemon/config/config_route_settings.hpp"
#include "daemon/config/config_routes.hpp"
#include "probes/http_url.hpp"
#include "probes/proxy_rules.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::config_reading {
namespace {

// --- whole-document checks --------------------------------------------------------------------
// What no single section can decide: run once every section is read. A validation pass over the
// whole document (what applying the configuration could still reject) belongs here, beside these.

void resolve_references(config_document& doc) {
  // Built once and bounded: a file of many gateways and many bad references made this quadratic
  // and every message as long as the list.
  constexpr std::size_t max_named = 10;
  std::vector<std::string> known;
  for (const auto& [name, line] : doc.gateway_lines) {
    if (known.size() == max_named) {
      break;
    }
    known.push_back(name);
  }
  std::string defined =
      known.empty() ? std::string(" (no gateways are defined)") : " (defined: " + join(known, ", ");
  if (doc.gateway_lines.size() > known.size()) {
    defined += " and " + std::to_string(doc.gateway_lines.size() - known.size()) + " more";
  }
  if (!known.empty()) {
    defined += ")";
  }
  for (const auto& ref : doc.gateway_refs) {
    if (doc.gateway_lines.count(ref.name) == 0) {
      doc.reader.fail(ref.line, ref.path, "unknown gateway " + quote(ref.shown) + defined);
    }
  }
  for (const auto& ref : doc.receiver_refs) {
    if (doc.receiver_lines.count(ref.name) == 0) {
      doc.reader.fail(ref.line, ref.path, "unknown receiver " + quote(ref.shown));
    }
  }
}

void check_admin_token(config_document& doc) {
  if (!doc.listen_loopback && !doc.admin_token_given) {
    doc.reader.fail(doc.listen_line,
                    "global.listen",
                    quote(doc.listen_shown) +
                        " is not a loopback address, so global.admin_token_env, admin_token_file "
                        "or admin_token_credential is required");
  }
}

/// Every key and scalar in the file is UTF-8: a model name with a raw 0xFF byte would pass every
/// section's checks and then be refused as a metric label when the configuration is applied.
void check_utf8(config_document& doc, const YAML::Node& n, const std::string& path) {
  if (n.IsScalar()) {
    if (!is_valid_utf8(n.Scalar())) {
      doc.reader.fail(n, path, "is not valid UTF-8 text");
    }
    return;
  }
  if (n.IsSequence()) {
    std::size_t i = 0;
    for (auto it = n.begin(); it != n.end(); ++it, ++i) {
      check_utf8(doc, *it, index(path, i));
    }
    return;
  }
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node k = it->first;
      if (k.IsScalar() && !is_valid_utf8(k.Scalar())) {
        doc.reader.fail(k, path, "a key is not valid UTF-8 text");
        continue;
      }
      check_utf8(doc, it->second, k.IsScalar() ? child(path, k.Scalar()) : path);
    }
  }
}

/// The node at `section`[i] whose name is `name`, then `keys` below it; undefined when absent.
YAML::Node find_named(const YAML::Node& root,
                      std::string_view section,
                      std::string_view name,
                      std::initializer_list<std::string_view> keys) {
  const YAML::Node list = root[std::string(section)];
  if (!list.IsSequence()) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  for (auto it = list.begin(); it != list.end(); ++it) {
    const YAML::Node item = *it;
    if (!item.IsMap() || !item["name"].IsScalar() || item["name"].Scalar() != name) {
      continue;
    }
    // reset() rebinds; YAML::Node's operator= would write into the document instead.
    YAML::Node n;
    n.reset(item);
    for (const auto key : keys) {
      if (!n.IsMap()) {
        return YAML::Node(YAML::NodeType::Undefined);
      }
      const YAML::Node& current = n;
      const YAML::Node next = current[std::string(key)];
      if (!next.IsDefined()) {
        return YAML::Node(YAML::NodeType::Undefined);
      }
      n.reset(next);
    }
    return n;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

int line_or_zero(const YAML::Node& n) { return n.IsDefined() ? line_of(n) : 0; }

/// Why `file` is not a PEM bundle with at least one certificate, or empty.
std::string pem_error(const std::string& file) {
  const std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                      &X509_STORE_free);
  ERR_clear_error();
  if (!store || X509_STORE_load_file(store.get(), file.c_str()) != 1) {
    ERR_clear_error();
    return "is not a PEM file with at least one CA certificate";
  }
  return {};
}

/// CA files are the ones the TLS clients will load, and proxy URLs the ones they will use:
/// anything applying the configuration would refuse is refused here, by `validate` as well.
void check_client_files(config_document& doc, const YAML::Node& root) {
  const auto& cfg = doc.cfg;
  for (const auto& g : cfg.gateways) {
    const std::string path = "gateways." + g.name;
    if (!g.client.tls.ca_file.empty()) {
      if (const auto err = pem_error(g.client.tls.ca_file); !err.empty()) {
        doc.reader.fail(line_or_zero(find_named(root, "gateways", g.name, {"tls", "ca_file"})),
                        path + ".tls.ca_file",
                        err);
      }
    }
    if (!g.client.proxy_url.empty()) {
      try {
        (void)parse_proxy_url(g.client.proxy_url);
      } catch (const std::invalid_argument& e) {
        doc.reader.fail(line_or_zero(find_named(root, "gateways", g.name, {"proxy_url"})),
                        path + ".proxy_url",
                        e.what());
      }
    }
  }
  for (const auto& r : cfg.receivers) {
    if (!r.ca_file.empty()) {
      if (const auto err = pem_error(r.ca_file); !err.empty()) {
        doc.reader.fail(line_or_zero(find_named(root, "receivers", r.name, {"tls", "ca_file"})),
                        "receivers." + r.name + ".tls.ca_file",
                        err);
      }
    }
  }
  // A malformed proxy variable breaks exactly the clients that would send through it (an https
  // gateway and HTTPS_PROXY, say, unless NO_PROXY matches it): each of those is an error here,
  // naming the variable and never its value; clients it does not concern are not.
  const auto& env = doc.reader.env();
  const auto rules =
      proxy_rules::make("", true, [&env](const char* name) { return env(std::string(name)); });
  // The line is looked up only for an error: find_named scans its section, and doing that for
  // every gateway made loading a file of many gateways quadratic.
  const auto check_target = [&](const std::string& url,
                                std::string_view section,
                                const std::string& name,
                                std::string_view key) {
    std::string url_error;
    const auto t = parse_http_target(url, url_error);
    if (!t) {
      return;  // reported where the URL itself is read
    }
    if (const auto* err = rules.error_for(t->https, t->host, t->port)) {
      doc.reader.fail(line_or_zero(find_named(root, section, name, {key})),
                      std::string(section) + "." + name + "." + std::string(key),
                      *err);
    }
  };
  for (const auto& g : cfg.gateways) {
    if (g.client.proxy_url.empty() && g.client.use_env_proxy) {
      check_target(g.base_url, "gateways", g.name, "base_url");
    }
  }
  for (const auto& r : cfg.receivers) {
    check_target(r.url, "receivers", r.name, "url");
  }
}

void check_document(config_document& doc, const YAML::Node& root) {
  check_utf8(doc, root, "");
  resolve_references(doc);
  check_stream_routes(doc);
  check_admin_token(doc);
  check_client_files(doc, root);
  check_aws_routes(doc);
}

}  // namespace

void config_document::declare(name_lines& lines,
                              const map_reader& m,
                              std::string_view what,
                              const std::string& name) {
  const YAML::Node& n = *m.get("name");
  if (const auto prev = lines.find(name); prev != lines.end()) {
    reader.fail(n,
                m.at("name"),
                std::string(what) + " " + quote(n.Scalar()) + " is already defined at line " +
                    std::to_string(prev->second));
  } else {
    lines[name] = line_of(n);
  }
}

std::size_t count_nodes(const YAML::Node& n, std::size_t limit) {
  std::size_t seen = 0;
  std::vector<YAML::Node> todo{n};
  while (!todo.empty() && seen <= limit) {
    const YAML::Node node = todo.back();
    todo.pop_back();
    ++seen;
    if (node.IsSequence()) {
      for (const auto& item : node) {
        todo.push_back(item);
      }
    } else if (node.IsMap()) {
      for (const auto& kv : node) {
        todo.push_back(kv.first);
        todo.push_back(kv.second);
      }
    }
  }
  return seen;
}

void read_document(config_reader& reader, const YAML::Node& root, config& cfg) {
  if (root.IsNull() || !root.IsDefined()) {
    reader.fail(0, "", "the file is empty (expected global, gateways, routes, ...)");
    return;
  }
  // Before any section or check walks the tree: every later walk is bounded by this count.
  if (count_nodes(root, max_document_nodes) > max_document_nodes) {
    reader.fail(0,
                "",
                "the document expands to more than " + std::to_string(max_document_nodes) +
                    " YAML nodes (an alias counts each time it is used)");
    return;
  }
  map_reader top(reader, root, "", config_fields::document());
  if (!top.ok()) {
    return;
  }
  config_document doc(reader, cfg);
  if (const auto* n = top.get("global")) {
    parse_global(doc, *n);
  }
  doc.defaults = builtin_settings();
  if (const auto* n = top.get("defaults")) {
    parse_defaults(doc, *n);
  }
  if (const auto* n = top.get("gateways")) {
    parse_gateways(doc, *n);
  }
  if (const auto* n = top.get("receivers")) {
    parse_receivers(doc, *n);
  }
  if (const auto* n = top.get("routes")) {
    parse_routes(doc, *n);
  } else {
    reader.fail(top.line(), "routes", "at least one route is required");
  }
  if (const auto* n = top.get("silences")) {
    parse_silences(doc, *n);
  }
  check_document(doc, root);
}

}  // namespace visionwatch::config_reading
