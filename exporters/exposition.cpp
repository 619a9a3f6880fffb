#include "exporters/exposition.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace visionwatch::exposition {

namespace {
bool name_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) noexcept { return name_start(c) || (c >= '0' && c <= '9'); }
}  // namespace

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || !name_start(name.front()) || name.starts_with("__")) {
    return false;
  }
  for (char c : name) {
    if (!name_char(c)) {
      return false;
    }
  }
  return true;
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  std::size_t plain = 0;  // start of the run of characters that need no escaping
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') {
      continue;
    }
    out.append(value.substr(plain, i - plain));
    out += '\\';
    out += c == '\n' ? 'n' : c;
    plain = i + 1;
  }
  out.append(value.substr(plain));
}

std::string label(std::string_view name, std::string_view value) {
  std::string out;
  out.reserve(name.size() + value.size() + 3);
  out.append(name);
  out += "=\"";
  append_escaped_label_value(out, value);
  out += '"';
  return out;
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  std::array<char, 64> buffer{};  // fixed notation below 1e15 needs at most ~40
  std::to_chars_result r{};
  // Counters and token counts are integers: print them as such ("1000000", not "1e+06").
  // Timestamps and latencies read best in fixed notation ("1700000000.25", not
  // "1.70000000025e+09"); only the very small and the very large take an exponent.
  const double magnitude = std::abs(value);
  if (magnitude < 1e15 && value == std::trunc(value)) {
    r = std::to_chars(buffer.data(), buffer.data() + buffer.size(), static_cast<long long>(value));
  } else if (magnitude >= 1e-4 && magnitude < 1e15) {
    r = std::to_chars(
        buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed);
  } else {
    r = std::to_chars(
        buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::general);
  }
  out.append(buffer.data(), r.ptr);
}

void append_family_header(std::string& out,
                          std::string_view name,
                          std::string_view help,
                          std::string_view type) {
  out += "# HELP ";
  out.append(name);
  out += ' ';
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += "\n# TYPE ";
  out.append(name);
  out += ' ';
  out.append(type);
  out += '\n';
}

namespace {
// Both append_sample overloads in one body, inlined into each (the per-sample hot path).
inline void write_sample(std::string& out,
                         std::string_view name,
                         std::string_view suffix,
                         std::initializer_list<std::string_view> label_fragments,
                         double value) {
  out.append(name);
  out.append(suffix);
  bool open = false;
  for (std::string_view fragment : label_fragments) {
    if (fragment.empty()) {
      continue;
    }
    out += open ? ',' : '{';
    open = true;
    out.append(fragment);
  }
  if (open) {
    out += '}';
  }
  out += ' ';
  append_value(out, value);
  out += '\n';
}
}  // namespace

void append_sample(std::string& out,
                   std::string_view name,
                   std::initializer_list<std::string_view> label_fragments,
                   double value) {
  write_sample(out, name, {}, label_fragments, value);
}

void append_sample(std::string& out,
                   std::string_view name,
                   std::string_view suffix,
                   std::initializer_list<std::string_view> label_fragments,
                   double value) {
  write_sample(out, name, suffix, label_fragments, value);
}

}  // namespace visionwatch::exposition
