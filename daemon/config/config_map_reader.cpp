#include "daemon/config/config_map_reader.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "daemon/config/config_values.hpp"

namespace visionwatch::config_reading {
namespace {

using config_fields::value_type;
using std::chrono::milliseconds;

}  // namespace

map_reader::map_reader(config_reader& reader,
                       const YAML::Node& node,
                       std::string path,
                       const config_fields::table& fields)
    : reader_(reader), fields_(&fields), path_(std::move(path)), line_(line_of(node)) {
  auto all = reader_.entries(node, path_);
  if (!all) {
    return;
  }
  ok_ = true;
  for (auto& e : *all) {
    if (fields.find(e.key) != nullptr) {
      entries_.push_back(std::move(e));
      continue;
    }
    if (fields.extensions && e.key.rfind("x-", 0) == 0) {
      continue;  // free-form extension keys hold YAML anchors for reuse
    }
    std::string message = "unknown key";
    std::string_view best;
    std::size_t best_distance = 3;
    for (const auto& candidate : fields.fields) {
      const auto d = edit_distance(e.key, candidate.key);
      if (d < best_distance && d < e.key.size()) {
        best = candidate.key;
        best_distance = d;
      }
    }
    if (fields.find(e.key + "_env") != nullptr) {
      // Inline secrets would end up in config backups and diffs; point at the three forms.
      message += " (secrets are read from " + e.key + "_env, " + e.key + "_file or " + e.key +
                 "_credential)";
    } else if (!best.empty()) {
      message += " (did you mean " + std::string(best) + "?)";
    }
    reader_.fail(e.key_node, child(path_, e.key), std::move(message));
  }
  looked_up_.assign(entries_.size(), false);
}

map_reader::~map_reader() {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (!looked_up_[i]) {
      reader_.note_unread(child(path_, entries_[i].key));
    }
  }
}

const YAML::Node* map_reader::get(std::string_view key) const noexcept {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].key == key) {
      looked_up_[i] = true;
      return &entries_[i].value;
    }
  }
  return nullptr;
}

const config_fields::field& map_reader::spec(std::string_view key,
                                             config_fields::value_type type) const {
  const auto* f = fields_->find(key);
  if (f == nullptr || f->type != type) {
    throw std::logic_error("the field table " + std::string(fields_->name) + " has no " +
                           std::string(config_fields::to_string(type)) + " key " +
                           std::string(key));
  }
  return *f;
}

const YAML::Node* map_reader::required(std::string_view key) const {
  const YAML::Node* n = get(key);
  if (n == nullptr) {
    reader_.fail(line(), path(), "missing required key \"" + std::string(key) + "\"");
  }
  return n;
}

std::optional<map_reader> map_reader::nested(std::string_view key,
                                             const config_fields::table& fields) const {
  const YAML::Node* n = get(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  std::optional<map_reader> out(std::in_place, reader_, *n, at(key), fields);
  if (!out->ok()) {
    out.reset();
  }
  return out;
}

std::optional<std::string> map_reader::name(std::string_view what) const {
  const YAML::Node* n = required("name");
  if (n == nullptr) {
    return std::nullopt;
  }
  auto v = reader_.scalar(*n, at("name"), "a name");
  if (!v) {
    return std::nullopt;
  }
  if (!valid_route_name(v->value)) {
    reader_.fail(*n, at("name"), config_reader::name_error(v->shown, what));
    return std::nullopt;
  }
  return v->value;
}

std::optional<long long> map_reader::integer(std::string_view key) const {
  const auto* v = get(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  const auto& f = spec(key, value_type::integer);
  return reader_.integer(*v, at(key), static_cast<long long>(f.min), static_cast<long long>(f.max));
}

std::optional<double> map_reader::number(std::string_view key) const {
  const auto* v = get(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  const auto& f = spec(key, value_type::number);
  return reader_.number(*v, at(key), f.min, f.max, f.range_text);
}

std::optional<std::uint64_t> map_reader::size(std::string_view key) const {
  const auto* v = get(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  const auto& f = spec(key, value_type::size);
  return reader_.size(*v,
                      at(key),
                      static_cast<std::uint64_t>(f.min),
                      static_cast<std::uint64_t>(f.max),
                      f.range_text);
}

std::optional<std::string_view> map_reader::choice(std::string_view key,
                                                   std::string_view what) const {
  const auto* v = get(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  const auto& f = spec(key, value_type::choice);
  auto s = reader_.scalar(*v, at(key), what);
  if (!s) {
    return std::nullopt;
  }
  const auto it = std::find(f.values.begin(), f.values.end(), s->value);
  if (it == f.values.end()) {
    std::string names;
    for (const auto name : f.values) {
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    reader_.fail(
        *v, at(key), quote(s->shown) + " is not " + std::string(what) + " (use " + names + ")");
    return std::nullopt;
  }
  return *it;
}

template <class Read, class Out>
void map_reader::read_into(std::string_view key,
                           config_fields::value_type type,
                           Out& out,
                           Read read) const {
  if (const auto* v = get(key)) {
    (void)spec(key, type);
    if (auto value = read(*v, at(key))) {
      out = std::move(*value);
    }
  }
}

void map_reader::read_duration(std::string_view key, milliseconds& out) const {
  read_into(key, value_type::duration, out, [this](const YAML::Node& n, const std::string& p) {
    return reader_.duration(n, p);
  });
}

void map_reader::read_whole_seconds(std::string_view key, std::chrono::seconds& out) const {
  read_into(key, value_type::duration, out, [this](const YAML::Node& n, const std::string& p) {
    return reader_.whole_seconds(n, p);
  });
}

void map_reader::read_boolean(std::string_view key, bool& out) const {
  read_into(key, value_type::boolean, out, [this](const YAML::Node& n, const std::string& p) {
    return reader_.boolean(n, p);
  });
}

void map_reader::read_string(std::string_view key, std::string& out, bool required) const {
  read_into(
      key, value_type::text, out, [this, required](const YAML::Node& n, const std::string& p) {
        return reader_.string(n, p, required);
      });
}

void map_reader::read_url(std::string_view key, std::string& out) const {
  read_into(key, value_type::url, out, [this](const YAML::Node& n, const std::string& p) {
    return reader_.url(n, p);
  });
}

void map_reader::read_number(std::string_view key, double& out) const {
  if (auto d = number(key)) {
    out = *d;
  }
}

}  // namespace visionwatch::config_reading
