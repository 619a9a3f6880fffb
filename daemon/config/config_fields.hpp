#pragma once
/// The configuration's field tables: for every mapping the parser reads (the document, global,
/// defaults and routes, challenge, expect, checks, price, alerts and each alert rule, gateways
/// with tls, aws_credentials and budget, receivers, silences, matrix), its keys in order with
/// their type, bounds, allowed values, required-ness and a description. map_reader takes its
/// allowed keys and its integer, number and size bounds from here, and config_schema turns the
/// same tables into the JSON Schema of `visionwatch config schema`: a key is added to both with
/// one line in config_fields.cpp. Read-only after first use; safe from any thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert_config.hpp"

namespace visionwatch::config_fields {

/// How a value is written; the parser's read call for a key must match (map_reader checks).
enum class value_type : std::uint8_t {
  text,      ///< any scalar read as text (a number is its digits); `pattern` narrows it
  boolean,   ///< true or false
  integer,   ///< a whole number in [min, max]
  number,    ///< a number in [min, max] (min excluded with `above_min`)
  duration,  ///< 500ms, 30s, 5m, 1h30m, 2d
  size,      ///< bytes, or 512KiB, 4MiB, 1GiB, 4MB; in [min, max] bytes
  url,       ///< an absolute http(s) URL; `pattern` replaces the URL syntax when set
  time,      ///< an RFC 3339 date-time
  choice,    ///< one of `values`
  list,      ///< a list of `item` values (text, or choice of `values`)
  map,       ///< a mapping read through the table `nested`
  map_list,  ///< a list of mappings, each read through `nested`
  text_map,  ///< a mapping of free-form keys (matching `pattern`) to text values
};

std::string_view to_string(value_type t) noexcept;

struct table;

/// One key of a mapping. Built with the factories below, then narrowed with the modifiers:
/// `integer("window", 1, 100'000, "...")`, `text("name", "...").needed()`.
struct field {
  // Largest members first (no padding to speak of): the tables hold a few hundred of these.
  std::string key;
  std::string description;
  std::vector<std::string_view> values;  ///< choice, and list items of type choice
  std::string_view required_unless;      ///< required when this other key is absent
  std::string_view range_text;           ///< number, size: the range as messages show it
  std::string_view pattern;              ///< text, url, list items, text_map keys (anchored)
  const table& (*nested)() = nullptr;    ///< map, map_list
  double min = 0;                        ///< integer, number, size
  double max = 0;
  std::size_t min_items = 0;  ///< list, map_list
  value_type type = value_type::text;
  value_type item = value_type::text;  ///< list
  bool required = false;
  bool nullable = false;   ///< text, text_map values: null (empty) is allowed
  bool above_min = false;  ///< number: `min` itself is refused
  bool unique = false;     ///< list

  field needed() &&;
  field needed_unless(std::string_view other) &&;
  field or_null() &&;
  field matching(std::string_view regex) &&;
  field at_least(std::size_t items) &&;
  field excluding_min() &&;

 private:
  /// What each modifier does: sets `member` to `value` and hands the field on.
  template <class Member, class Value>
  field with(Member field::*member, Value value) &&;
};

/// One mapping: its name (the schema's definition name), what it is, and its keys in the order
/// the parser lists them ("did you mean" takes the first closest key).
struct table {
  std::string_view name;
  std::string_view description;
  std::vector<field> fields;
  bool extensions = false;  ///< keys starting with "x-" are allowed and ignored (YAML anchors)

  /// The field named `key`, or null.
  [[nodiscard]] const field* find(std::string_view key) const noexcept;
};

// Field factories, one per value type.
field text(std::string_view key, std::string description);
field boolean(std::string_view key, std::string description);
field integer(std::string_view key, long long min, long long max, std::string description);
field number(std::string_view key,
             double min,
             double max,
             std::string_view range_text,
             std::string description);
field duration(std::string_view key, std::string description);
field size(std::string_view key,
           double min,
           double max,
           std::string_view range_text,
           std::string description);
field url(std::string_view key, std::string description);
field time(std::string_view key, std::string description);
field choice(std::string_view key, std::vector<std::string_view> values, std::string description);
field list(std::string_view key, std::string description);
field choice_list(std::string_view key,
                  std::vector<std::string_view> values,
                  std::string description);
field map(std::string_view key, const table& (*nested)(), std::string description);
field map_list(std::string_view key, const table& (*nested)(), std::string description);
field text_map(std::string_view key, std::string_view key_pattern, std::string description);
/// `<base>_env`, `<base>_file` and `<base>_credential`: a secret given one of three ways
/// (config_secrets.hpp).
std::vector<field> secret(std::string_view base, std::string_view what);

// The tables. document() is the root; every other table is reachable from it.
const table& document();
const table& global();
const table& budget();
const table& defaults();
const table& route();
const table& matrix();
const table& challenge();
const table& expect();
const table& checks();
const table& price();
const table& alerts();
const table& alert_rules();
/// The keys of one alert rule (`threshold` and `metric` depend on the kind).
const table& rule(alert_rule_kind kind);
const table& gateway();
const table& gateway_tls();
const table& aws_credentials();
const table& receiver();
const table& receiver_tls();
const table& silence();

/// Every table reachable from document(), each once, in the order a depth-first walk meets them.
std::vector<const table*> all_tables();

/// The regular expressions the schema and the tables share (ECMAScript, anchored).
namespace patterns {
/// A ${VAR} reference: a value the parser takes from the environment (unanchored).
inline constexpr std::string_view env_reference = R"(\$\{[A-Za-z_][A-Za-z0-9_]*\})";
inline constexpr std::string_view duration =
    "^([0-9]{1,9}d)?([0-9]{1,9}h)?([0-9]{1,9}m)?([0-9]{1,9}s)?([0-9]{1,9}ms)?$";
}  // namespace patterns

}  // namespace visionwatch::config_fields
