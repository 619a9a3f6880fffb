#pragma once
/// The configuration's JSON Schema (draft-07: what yaml-language-server, JetBrains IDEs and
/// python3-jsonschema all support), generated from the field tables the parser reads through
/// (config_fields.hpp), so it names exactly the keys the parser accepts. It accepts what the
/// parser accepts: ${VAR} in any value, the three forms of every secret, numbers written quoted,
/// null for an empty mapping or list. It checks keys, types, value syntaxes, allowed values,
/// bounds and required keys; what needs more than one value at a time (references between
/// sections, files, secrets, exclusive keys) is left to `visionwatch validate`.

#include <nlohmann/json.hpp>
#include <string>

namespace visionwatch {

/// The schema as a JSON value, keys in table order.
nlohmann::ordered_json config_schema();

/// The schema as `visionwatch config schema` prints it and docs/visionwatch.schema.json holds
/// it: indented by two spaces, one trailing newline, the same bytes on every run.
std::string config_schema_text();

}  // namespace visionwatch
