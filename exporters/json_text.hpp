#pragma once
/// Writes JSON text straight into a string: the status API's pages of routes, where building a
/// nlohmann tree and dumping it cost ten times the writing (bench/status_bench). Commas are
/// placed by the writer; the caller pairs begin and end and gives every key one value.
///
/// Strings come out as valid UTF-8 (an invalid sequence becomes U+FFFD, as nlohmann's `replace`
/// error handler does) with the escapes JSON requires; doubles in their shortest round-trip form
/// (NaN and the infinities as null, as nlohmann writes them). Not thread-safe; one per text.

#include <array>
#include <charconv>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

class json_text {
 public:
  explicit json_text(std::string& out) : out_(out) {}

  json_text& begin_object() { return open('{'); }
  json_text& end_object() { return close('}'); }
  json_text& begin_array() { return open('['); }
  json_text& end_array() { return close(']'); }
  /// An object member's name; the next call writes its value.
  json_text& key(std::string_view k);

  json_text& value(std::string_view s);
  json_text& value(const char* s) { return value(std::string_view(s)); }
  json_text& value(bool b);
  json_text& value(double d);
  template <std::integral T>
  requires(!std::same_as<T, bool>) json_text& value(T v) {
    separate();
    std::array<char, 24> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out_.append(buf.data(), end);
    return *this;
  }
  template <typename T>
  json_text& value(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }
  json_text& null();

  /// key(k) and value(v).
  template <typename T>
  json_text& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

 private:
  void separate();
  json_text& open(char bracket);
  json_text& close(char bracket);
  void string(std::string_view s);

  std::string& out_;
  bool comma_ = false;  ///< the next element needs a comma before it
};

}  // namespace visionwatch
