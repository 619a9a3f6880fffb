#pragma once
/// What the field tables share (config_fields*.cpp only): enum names as choices, joining lists of
/// fields, the name syntax, the tls keys of gateways and receivers.

#include <initializer_list>
#include <string_view>
#include <vector>

#include "daemon/config/config_fields.hpp"

namespace visionwatch::config_fields {

/// Every name of an enum whose to_string comes from an enum_table (probes/enum_table.hpp): the
/// values 0, 1, 2, ... until the table answers "unknown".
template <class E>
std::vector<std::string_view> names_of() {
  std::vector<std::string_view> out;
  for (unsigned i = 0; i < 256; ++i) {
    const auto name = to_string(static_cast<E>(i));
    if (name == "unknown") {
      break;
    }
    out.push_back(name);
  }
  return out;
}

std::vector<field> joined(std::initializer_list<std::vector<field>> parts);

/// A gateway's or receiver's name (the parser's, config_values.hpp).
inline constexpr std::string_view name_pattern = "^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$";

/// The keys of a `tls:` mapping; `server_name` only where SNI is ours to choose (gateways).
std::vector<field> tls_fields(bool server_name);

}  // namespace visionwatch::config_fields
