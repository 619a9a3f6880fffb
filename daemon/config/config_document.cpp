#include "daemon/config/config_document.hpp"

#include "daemon/config/config_alerts.hpp"
#include "daemon/config/config_gateways.hpp"
#include "daemon/config/config_global.hpp"
#include "daemon/config/config_receivers.hpp"
#include "daemon/config/config_route_settings.hpp"
#include "daemon/config/config_routes.hpp"

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

void check_document(config_document& doc) {
  resolve_references(doc);
  check_admin_token(doc);
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

void read_document(config_reader& reader, const YAML::Node& root, config& cfg) {
  if (root.IsNull() || !root.IsDefined()) {
    reader.fail(0, "", "the file is empty (expected global, gateways, routes, ...)");
    return;
  }
  map_reader top(reader,
                 root,
                 "",
                 {"global", "defaults", "gateways", "routes", "receivers", "silences"},
                 true);
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
  check_document(doc);
}

}  // namespace visionwatch::config_reading
