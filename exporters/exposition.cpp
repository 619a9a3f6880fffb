#include "exporters/exposition.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

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

bool valid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    std::uint32_t minimum = 0;
    if ((b0 & 0xE0U) == 0xC0U) {
      length = 2;
      code = b0 & 0x1FU;
      minimum = 0x80;
    } else if ((b0 & 0xF0U) == 0xE0U) {
      length = 3;
      code = b0 & 0x0FU;
      minimum = 0x800;
    } else if ((b0 & 0xF8U) == 0xF0U) {
      length = 4;
      code = b0 & 0x07U;
      minimum = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < length) {
      return false;
    }
    for (std::size_t k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0U) != 0x80U) {
        return false;
      }
      code = (code << 6U) | (b & 0x3FU);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
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

void append_sample(std::string& out,
                   std::string_view name,
                   std::initializer_list<std::string_view> label_fragments,
                   double value) {
  out.append(name);
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

}  // namespace visionwatch::exposition
