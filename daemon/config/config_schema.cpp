#include "daemon/config/config_schema.hpp"

#include <map>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "daemon/config/config_fields.hpp"

namespace visionwatch {
namespace {

using json = nlohmann::ordered_json;
namespace cf = config_fields;
using cf::value_type;

// The parser's value syntaxes (config_values.hpp) as ECMAScript patterns. Each also lets a
// ${VAR} reference through: the value is only known once the environment is read.
constexpr std::string_view boolean_pattern = "^(true|false)$";
constexpr std::string_view integer_pattern = "^-?[0-9]+$";
constexpr std::string_view number_pattern = R"(^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$)";
constexpr std::string_view size_pattern = "^[0-9]{1,16}(B|KiB|MiB|GiB|KB|kB|MB|GB)?$";
constexpr std::string_view url_pattern = "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]+[^#]*$";
constexpr std::string_view time_pattern =
    R"(^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$)";

std::string or_env(std::string_view pattern) {
  return std::string(pattern) + "|" + std::string(cf::patterns::env_reference);
}

std::string ref(const cf::table& t) { return "#/definitions/" + std::string(t.name); }

/// A scalar the parser reads as text: any YAML scalar (a number is its digits).
json text_schema(const cf::field& f) {
  json s;
  s["type"] = json::array({"string", "number", "boolean"});
  if (f.nullable) {
    s["type"].push_back("null");
  } else {
    s["minLength"] = 1;
  }
  if (!f.pattern.empty()) {
    s["pattern"] = or_env(f.pattern);
  }
  return s;
}

/// Integer and size bounds print as integers, number bounds as numbers.
json bound(const cf::field& f, double v) {
  if (f.type == value_type::number) {
    return v;
  }
  return static_cast<long long>(v);
}

json scalar_schema(const cf::field& f) {
  json s;
  switch (f.type) {
    case value_type::text:
      return text_schema(f);
    case value_type::boolean:
      s["type"] = json::array({"boolean", "string"});
      s["pattern"] = or_env(boolean_pattern);
      return s;
    case value_type::integer:
    case value_type::number:
    case value_type::size:
      s["type"] = json::array({f.type == value_type::number ? "number" : "integer", "string"});
      s[f.above_min ? "exclusiveMinimum" : "minimum"] = bound(f, f.min);
      s["maximum"] = bound(f, f.max);
      s["pattern"] = or_env(f.type == value_type::integer ? integer_pattern
                            : f.type == value_type::size  ? size_pattern
                                                          : number_pattern);
      return s;
    case value_type::duration:
      s["type"] = "string";
      s["minLength"] = 2;  // the pattern's parts are all optional; a duration has one
      s["pattern"] = or_env(cf::patterns::duration);
      return s;
    case value_type::url:
      s["type"] = "string";
      s["pattern"] = or_env(f.pattern.empty() ? url_pattern : f.pattern);
      return s;
    case value_type::time:
      s["type"] = "string";
      s["pattern"] = or_env(time_pattern);
      return s;
    case value_type::choice:
      s["anyOf"] = json::array(
          {json{{"enum", f.values}},
           json{{"type", "string"}, {"pattern", std::string(cf::patterns::env_reference)}}});
      return s;
    case value_type::list:
    case value_type::map:
    case value_type::map_list:
    case value_type::text_map:
      break;
  }
  throw std::logic_error("config_schema: " + f.key + " is not a scalar");
}

json property(const cf::field& f) {
  json p;
  p["description"] = f.description;
  switch (f.type) {
    case value_type::list: {
      cf::field item = f;
      item.type = f.item;
      item.nullable = false;
      p["type"] = json::array({"array", "null"});
      p["items"] = scalar_schema(item);
      break;
    }
    case value_type::map:
      p["allOf"] = json::array({json{{"$ref", ref(f.nested())}}});
      break;
    case value_type::map_list:
      p["type"] = json::array({"array", "null"});
      p["items"] = json{{"$ref", ref(f.nested())}};
      break;
    case value_type::text_map: {
      cf::field value = f;
      value.type = value_type::text;
      value.pattern = {};
      p["type"] = json::array({"object", "null"});
      p["propertyNames"] = json{{"pattern", f.pattern}};
      p["additionalProperties"] = text_schema(value);
      break;
    }
    default:
      p.update(scalar_schema(f));
      break;
  }
  if (f.min_items > 0) {
    p["minItems"] = f.min_items;
  }
  if (f.unique) {
    p["uniqueItems"] = true;
  }
  return p;
}

/// The mapping of table `t`: its keys and no others, null allowed (an empty mapping).
json mapping(const cf::table& t, bool nullable) {
  json d;
  d["description"] = t.description;
  d["type"] = nullable ? json::array({"object", "null"}) : json("object");
  json props = json::object();
  json required = json::array();
  // Keys required unless another is present, grouped by that other key (in table order).
  std::vector<std::string_view> unless_order;
  std::map<std::string_view, json> unless;
  for (const auto& f : t.fields) {
    props[f.key] = property(f);
    if (f.required) {
      required.push_back(f.key);
    }
    if (!f.required_unless.empty()) {
      if (unless.count(f.required_unless) == 0) {
        unless_order.push_back(f.required_unless);
        unless[f.required_unless] = json::array();
      }
      unless[f.required_unless].push_back(f.key);
    }
  }
  d["properties"] = std::move(props);
  if (t.extensions) {
    d["patternProperties"] =
        json{{"^x-", json{{"description", "Ignored: holds YAML anchors for reuse."}}}};
  }
  d["additionalProperties"] = false;
  if (!required.empty()) {
    d["required"] = std::move(required);
  }
  if (!unless_order.empty()) {
    json all = json::array();
    for (const auto other : unless_order) {
      all.push_back(json{{"if", json{{"required", json::array({other})}}},
                         {"else", json{{"required", unless[other]}}}});
    }
    d["allOf"] = std::move(all);
  }
  return d;
}

}  // namespace

nlohmann::ordered_json config_schema() {
  const auto& root = cf::document();
  json s;
  s["$schema"] = "http://json-schema.org/draft-07/schema#";
  s["title"] = "visionwatch configuration";
  s.update(mapping(root, false));
  json defs = json::object();
  for (const auto* t : cf::all_tables()) {
    if (t != &root) {
      defs[std::string(t->name)] = mapping(*t, true);
    }
  }
  s["definitions"] = std::move(defs);
  return s;
}

std::string config_schema_text() { return config_schema().dump(2) + "\n"; }

}  // namespace visionwatch
