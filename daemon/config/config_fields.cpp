#include "daemon/config/config_fields.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "daemon/config/config_fields_support.hpp"

namespace visionwatch::config_fields {
namespace {

constexpr std::string_view env_name_pattern = "^[A-Za-z_][A-Za-z0-9_]*$";

void collect(const table& t, std::vector<const table*>& out, std::set<const table*>& seen) {
  if (!seen.insert(&t).second) {
    return;
  }
  out.push_back(&t);
  for (const auto& f : t.fields) {
    if (f.nested != nullptr) {
      collect(f.nested(), out, seen);
    }
  }
}

/// A field of `type` under `key`: what text() and every other kind start from.
field of_type(std::string_view key, value_type type, std::string description) {
  field f;
  f.key = key;
  f.type = type;
  f.description = std::move(description);
  return f;
}

}  // namespace

std::vector<field> joined(std::initializer_list<std::vector<field>> parts) {
  std::vector<field> out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

std::vector<field> tls_fields(bool server_name) {
  std::vector<field> out = {text("ca_file",
                                 "PEM bundle to trust instead of the system store (relative to "
                                 "the configuration's directory).")};
  if (server_name) {
    out.push_back(text("server_name", "SNI and verification name. Default: the URL's host."));
  }
  out.push_back(boolean("insecure_skip_verify", "Skip certificate verification. Default false."));
  return out;
}

std::string_view to_string(value_type t) noexcept {
  static constexpr std::array<std::string_view, 13> names = {"text",
                                                             "boolean",
                                                             "integer",
                                                             "number",
                                                             "duration",
                                                             "size",
                                                             "url",
                                                             "time",
                                                             "choice",
                                                             "list",
                                                             "map",
                                                             "map_list",
                                                             "text_map"};
  const auto i = static_cast<std::size_t>(t);
  return i < names.size() ? names[i] : "unknown";
}

// --- field and table ---------------------------------------------------------------------------

template <class Member, class Value>
field field::with(Member field::*member, Value value) && {
  this->*member = value;
  return std::move(*this);
}

field field::needed() && { return std::move(*this).with(&field::required, true); }
field field::needed_unless(std::string_view other) && {
  return std::move(*this).with(&field::required_unless, other);
}
field field::or_null() && { return std::move(*this).with(&field::nullable, true); }
field field::matching(std::string_view regex) && {
  return std::move(*this).with(&field::pattern, regex);
}
field field::at_least(std::size_t items) && {
  return std::move(*this).with(&field::min_items, items);
}
field field::excluding_min() && { return std::move(*this).with(&field::above_min, true); }

const field* table::find(std::string_view key) const noexcept {
  const auto it =
      std::find_if(fields.begin(), fields.end(), [key](const field& f) { return f.key == key; });
  return it == fields.end() ? nullptr : &*it;
}

field text(std::string_view key, std::string description) {
  return of_type(key, value_type::text, std::move(description));
}
field boolean(std::string_view key, std::string description) {
  return of_type(key, value_type::boolean, std::move(description));
}
field integer(std::string_view key, long long min, long long max, std::string description) {
  auto f = of_type(key, value_type::integer, std::move(description));
  f.min = static_cast<double>(min);
  f.max = static_cast<double>(max);
  return f;
}
field number(std::string_view key,
             double min,
             double max,
             std::string_view range_text,
             std::string description) {
  auto f = of_type(key, value_type::number, std::move(description));
  f.min = min;
  f.max = max;
  f.range_text = range_text;
  return f;
}
field duration(std::string_view key, std::string description) {
  return of_type(key, value_type::duration, std::move(description));
}
field size(std::string_view key,
           double min,
           double max,
           std::string_view range_text,
           std::string description) {
  auto f = number(key, min, max, range_text, std::move(description));
  f.type = value_type::size;
  return f;
}
field url(std::string_view key, std::string description) {
  return of_type(key, value_type::url, std::move(description));
}
field time(std::string_view key, std::string description) {
  return of_type(key, value_type::time, std::move(description));
}
field choice(std::string_view key, std::vector<std::string_view> values, std::string description) {
  auto f = of_type(key, value_type::choice, std::move(description));
  f.values = std::move(values);
  return f;
}
field list(std::string_view key, std::string description) {
  return of_type(key, value_type::list, std::move(description));
}
field choice_list(std::string_view key,
                  std::vector<std::string_view> values,
                  std::string description) {
  auto f = list(key, std::move(description));
  f.item = value_type::choice;
  f.values = std::move(values);
  f.unique = true;
  return f;
}
field map(std::string_view key, const table& (*nested)(), std::string description) {
  auto f = of_type(key, value_type::map, std::move(description));
  f.nested = nested;
  return f;
}
field map_list(std::string_view key, const table& (*nested)(), std::string description) {
  auto f = map(key, nested, std::move(description));
  f.type = value_type::map_list;
  return f;
}
field text_map(std::string_view key, std::string_view key_pattern, std::string description) {
  auto f = of_type(key, value_type::text_map, std::move(description));
  f.pattern = key_pattern;
  return f;
}

std::vector<field> secret(std::string_view base, std::string_view what) {
  const std::string b(base);
  const std::string w(what);
  return {
      text(b + "_env", w + ", from this environment variable.").matching(env_name_pattern),
      text(b + "_file",
           w + ", from this file (relative to the configuration's directory; one trailing "
               "newline is stripped)."),
      text(b + "_credential",
           w + ", from $CREDENTIALS_DIRECTORY/<this name> (systemd LoadCredential=).")
          .matching("^[^/]+$"),
  };
}

std::vector<const table*> all_tables() {
  std::vector<const table*> out;
  std::set<const table*> seen;
  collect(document(), out, seen);
  return out;
}

}  // namespace visionwatch::config_fields
