#include "daemon/config/config_routes.hpp"

#include <string>
#include <utility>
#include <vector>

#include "daemon/config/config_route_settings.hpp"

namespace visionwatch::config_reading {
namespace {

std::string expand(std::string_view t, std::string_view gateway, std::string_view model) {
  std::string out;
  std::size_t pos = 0;
  while (pos < t.size()) {
    if (t.substr(pos, 9) == "{gateway}") {
      out += gateway;
      pos += 9;
    } else if (t.substr(pos, 7) == "{model}") {
      out += model;
      pos += 7;
    } else {
      out += t[pos++];
    }
  }
  return out;
}

std::string mib(std::size_t bytes) { return std::to_string(bytes / (std::size_t{1024} * 1024)) + " MiB"; }

const std::string settings_budget_hint =
    "more than " + mib(max_route_settings_bytes) +
    " of route settings in all (each route holds its own copy of the challenge texts and alert "
    "settings it inherits; shorten them or split the configuration)";

/// `shown` is the name as written (or expanded from what is written), for messages.
void add_route(config_document& doc,
               route_config r,
               const std::string& shown,
               const std::string& path,
               int name_line) {
  auto& reader = doc.reader;
  doc.route_bytes += route_settings_bytes(r.settings);
  if (doc.route_bytes > max_route_settings_bytes) {
    reader.fail(r.line, path, "the routes up to this one hold " + settings_budget_hint);
    doc.too_many_routes = true;
    return;
  }
  if (const auto prev = doc.route_names.find(r.name); prev != doc.route_names.end()) {
    reader.fail(name_line,
                path + ".name",
                "route name " + quote(shown) + " is also used by " + prev->second.first +
                    " (line " + std::to_string(prev->second.second) + ")");
    return;
  }
  doc.route_names.emplace(r.name, std::make_pair(path, name_line));
  doc.cfg.routes.push_back(std::move(r));
}

/// Checks that need the merged challenge (defaults + route).
void check_route_challenge(config_document& doc,
                           const challenge_config& c,
                           int line,
                           const std::string& path) {
  auto& reader = doc.reader;
  const std::string p = path + ".challenge";
  if (c.custom()) {
    if (c.prompt.empty()) {
      reader.fail(line, p, "a user-supplied probe (image_file or image_url) needs a prompt");
    }
    if (c.expect_pattern.empty() && c.expect_words.empty()) {
      reader.fail(line,
                  p,
                  "a user-supplied probe (image_file or image_url) needs expect.pattern or "
                  "expect.words");
    }
    if (!c.image_url.empty() && c.media != media_mode::remote_url) {
      reader.fail(line, p, "image_url needs media: remote_url (the gateway fetches the image)");
    }
    if (c.images != 1) {
      reader.fail(line, p + ".images", "images applies only to generated challenges");
    }
  } else if (!c.prompt.empty() || !c.expect_pattern.empty() || !c.expect_words.empty()) {
    reader.fail(
        line, p, "prompt and expect apply only to user-supplied probes (image_file or image_url)");
  }
  if (!c.custom()) {
    const int min_side = min_side_for(c.kind);
    if (c.width < min_side || c.height < min_side) {
      reader.fail(line,
                  p,
                  std::string(to_string(c.kind)) +
                      " challenges need width and height of at least " + std::to_string(min_side) +
                      " pixels (got " + std::to_string(c.width) + "x" + std::to_string(c.height) +
                      ")");
    }
  }
  if (c.media == media_mode::remote_url && c.image_url.empty() &&
      doc.cfg.global.media_base_url.empty()) {
    reader.fail(line,
                p + ".media",
                "remote_url needs global.media_base_url (the public URL gateways fetch images "
                "from)");
  }
}

/// Where a route's shapes come from, for check_route_shapes' messages.
struct shapes_at {
  int line = 0;
  std::string path;
};

void parse_matrix(config_document& doc,
                  const YAML::Node& n,
                  const map_reader& route,
                  const route_settings& s,
                  const shapes_at& shapes) {
  auto& reader = doc.reader;
  const std::string path = route.at("matrix");
  map_reader m(reader, n, path, config_fields::matrix());
  if (!m.ok()) {
    return;
  }
  std::vector<std::pair<std::string, std::string>> gateways;  // value, as written
  if (m.has("gateway") && m.has("gateways")) {
    reader.fail(*m.get("gateways"), m.at("gateways"), "set either gateway or gateways");
    return;
  }
  if (const auto* v = m.get("gateway")) {
    if (auto g = reader.string(*v, m.at("gateway"), true)) {
      gateways.emplace_back(*g, v->Scalar());
      doc.gateway_refs.push_back(reference{*g, v->Scalar(), m.at("gateway"), line_of(*v)});
    }
  } else if (const auto* gv = m.get("gateways")) {
    auto list = reader.items(*gv, m.at("gateways"));
    if (list) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string p = index(m.at("gateways"), i);
        if (auto g = reader.string((*list)[i], p, true)) {
          gateways.emplace_back(*g, (*list)[i].Scalar());
          doc.gateway_refs.push_back(reference{*g, (*list)[i].Scalar(), p, line_of((*list)[i])});
        }
      }
      if (list->empty()) {
        reader.fail(*gv, m.at("gateways"), "must list at least one gateway");
      }
    }
  } else {
    reader.fail(m.line(), path, R"(missing required key "gateway" (or "gateways"))");
  }
  std::vector<std::pair<std::string, std::string>> models;  // value, as written
  if (const auto* v = m.required("models")) {
    if (auto list = reader.items(*v, m.at("models"))) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        if (auto model = reader.string((*list)[i], index(m.at("models"), i), true)) {
          models.emplace_back(*model, (*list)[i].Scalar());
        }
      }
      if (list->empty()) {
        reader.fail(*v, m.at("models"), "must list at least one model");
      }
    }
  }
  std::string name_template = "{gateway}/{model}";
  std::string name_template_shown = name_template;
  int name_line = m.line();
  if (const auto* v = route.get("name")) {
    name_line = line_of(*v);
    auto t = reader.string(*v, route.at("name"), true);
    if (!t) {
      return;
    }
    if (auto bad = unknown_placeholder(*t, {"gateway", "model"})) {
      reader.fail(
          *v, route.at("name"), "unknown placeholder {" + *bad + "} (use {gateway} and {model})");
      return;
    }
    name_template = *t;
    name_template_shown = v->Scalar();
  }
  if (gateways.size() * models.size() + doc.cfg.routes.size() > max_routes) {
    reader.fail(m.line(), path, "expands to more than " + std::to_string(max_routes) + " routes");
    doc.too_many_routes = true;
    return;
  }
  // Every expanded route holds a copy of `s`: refused before any copy is made.
  const std::size_t count = gateways.size() * models.size();
  const std::size_t bytes = route_settings_bytes(s) * count;
  if (doc.route_bytes + bytes > max_route_settings_bytes) {
    reader.fail(m.line(),
                path,
                "its " + std::to_string(count) + " routes would hold " + mib(bytes) + ": " +
                    settings_budget_hint);
    doc.too_many_routes = true;
    return;
  }
  for (const auto& [gateway, gateway_shown] : gateways) {
    check_route_shapes(doc, s, gateway, shapes.line, shapes.path);
    for (const auto& [model, model_shown] : models) {
      route_config r;
      r.name = expand(name_template, gateway, model);
      r.gateway = gateway;
      r.model = model;
      r.settings = s;
      r.line = route.line();
      const std::string shown = expand(name_template_shown, gateway_shown, model_shown);
      if (!valid_route_name(r.name)) {
        reader.fail(name_line,
                    route.at("name"),
                    config_reader::name_error(shown, "route") + "; from gateway " +
                        quote(gateway_shown) + " and model " + quote(model_shown));
        continue;
      }
      add_route(doc, std::move(r), shown, route.path(), name_line);
      if (doc.too_many_routes) {
        return;
      }
    }
  }
}

void parse_route(config_document& doc, const YAML::Node& n, const std::string& path) {
  auto& reader = doc.reader;
  map_reader m(reader, n, path, config_fields::route());
  if (!m.ok()) {
    return;
  }
  route_settings s = doc.defaults;
  const auto seen = parse_settings(doc, m, s);
  check_timeout(reader, m, s, seen);
  check_route_challenge(
      doc, s.challenge, m.has("challenge") ? line_of(*m.get("challenge")) : m.line(), path);
  const shapes_at shapes{seen.shapes_line != 0           ? seen.shapes_line
                         : doc.defaults_shapes_line != 0 ? doc.defaults_shapes_line
                                                         : m.line(),
                         m.at("shapes")};
  if (const auto* mx = m.get("matrix")) {
    for (const char* key : {"gateway", "model"}) {
      if (const auto* v = m.get(key)) {
        reader.fail(*v,
                    m.at(key),
                    std::string("not allowed beside matrix (list ") + key + "s under matrix)");
      }
    }
    parse_matrix(doc, *mx, m, s, shapes);
    return;
  }
  route_config r;
  r.line = m.line();
  r.settings = std::move(s);
  bool ok = true;
  if (auto name = m.name("route")) {
    r.name = *name;
  } else {
    ok = false;
  }
  if (const auto* v = m.required("gateway")) {
    if (auto g = reader.string(*v, m.at("gateway"), true)) {
      r.gateway = *g;
      doc.gateway_refs.push_back(reference{*g, v->Scalar(), m.at("gateway"), line_of(*v)});
      check_route_shapes(doc, r.settings, r.gateway, shapes.line, shapes.path);
    }
  }
  if (const auto* v = m.required("model")) {
    if (auto model = reader.string(*v, m.at("model"), true)) {
      r.model = *model;
    }
  }
  if (ok) {
    add_route(doc, std::move(r), m.get("name")->Scalar(), path, line_of(*m.get("name")));
  }
}

}  // namespace

std::size_t route_settings_bytes(const route_settings& s) noexcept {
  const auto text = [](const std::string& t) { return t.size(); };
  const auto list = [&](const std::vector<std::string>& l) {
    std::size_t n = 0;
    for (const auto& t : l) {
      n += sizeof(std::string) + text(t);
    }
    return n;
  };
  const auto& c = s.challenge;
  std::size_t n = sizeof(route_settings) + s.shapes.size() * sizeof(probe_shape) + text(c.detail) +
                  text(c.image_file) + text(c.image_url) + text(c.prompt) + text(c.expect_pattern) +
                  list(c.expect_words);
  for (const auto& rule : s.alerts.rules) {
    n += sizeof(rule) + text(rule.severity) + text(rule.description) + list(rule.receivers);
  }
  return n;
}

void parse_routes(config_document& doc, const YAML::Node& n) {
  auto& reader = doc.reader;
  auto list = reader.items(n, "routes");
  if (!list) {
    return;
  }
  if (list->empty()) {
    reader.fail(n, "routes", "at least one route is required");
  }
  if (list->size() > max_routes) {
    reader.fail(n, "routes", "more than " + std::to_string(max_routes) + " routes");
    return;
  }
  for (std::size_t i = 0; i < list->size() && !doc.too_many_routes; ++i) {
    parse_route(doc, (*list)[i], index("routes", i));
  }
}

}  // namespace visionwatch::config_reading
