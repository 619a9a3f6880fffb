#include "exporters/json_text.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "probes/text_util.hpp"

namespace visionwatch {

void json_text::separate() {
  if (comma_) {
    out_ += ',';
  }
  comma_ = true;
}

json_text& json_text::open(char bracket) {
  separate();
  out_ += bracket;
  comma_ = false;
  return *this;
}

json_text& json_text::close(char bracket) {
  out_ += bracket;
  comma_ = true;
  return *this;
}

json_text& json_text::key(std::string_view k) {
  separate();
  string(k);
  out_ += ':';
  comma_ = false;
  return *this;
}

json_text& json_text::value(std::string_view s) {
  separate();
  string(s);
  return *this;
}

json_text& json_text::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

json_text& json_text::value(double d) {
  if (!std::isfinite(d)) {
    return null();
  }
  separate();
  std::array<char, 32> buf{};
  const auto [end, ec] = std::to_chars(buf.begin(), buf.end(), d);
  const std::string_view text(buf.data(), static_cast<std::size_t>(end - buf.begin()));
  out_ += text;
  if (text.find_first_of(".e") == std::string_view::npos) {
    out_ += ".0";  // a double stays a double for readers that tell them apart, as nlohmann does
  }
  return *this;
}

json_text& json_text::null() {
  separate();
  out_ += "null";
  return *this;
}

void json_text::string(std::string_view s) {
  constexpr std::string_view hex = "0123456789abcdef";
  out_ += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    // The run of bytes that need nothing, appended at once.
    std::size_t plain = i;
    while (plain < s.size()) {
      const auto c = static_cast<unsigned char>(s[plain]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
        break;
      }
      ++plain;
    }
    out_.append(s.substr(i, plain - i));
    i = plain;
    if (i == s.size()) {
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const auto d = decode_utf8(s, i);
      out_.append(d.valid ? s.substr(i, d.length) : std::string_view("\xEF\xBF\xBD"));  // U+FFFD
      i += d.length;
      continue;
    }
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default:
        out_ += "\\u00";
        out_ += hex[c >> 4U];
        out_ += hex[c & 0xFU];
    }
    ++i;
  }
  out_ += '"';
}

}  // namespace visionwatch
