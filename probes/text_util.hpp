#pragma once
/// UTF-8 hygiene for text that came off the wire (answers, error messages, HTML error pages).
/// Later stages write this text into JSON (status API, webhooks) and log lines, which need valid
/// UTF-8 and bounded sizes. Pure functions, no allocation beyond the returned string.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

/// One decoded code point: `cp` is U+FFFD for an invalid sequence, `length` the bytes consumed
/// (for invalid input: the maximal ill-formed subpart, at least 1, as the Unicode standard
/// recommends for U+FFFD substitution).
struct utf8_decoded {
  char32_t cp = 0;
  std::size_t length = 0;
  bool valid = false;
};

/// Decodes the code point starting at `text[pos]` (pos < text.size()). Rejects overlongs,
/// surrogates and values above U+10FFFF.
utf8_decoded decode_utf8(std::string_view text, std::size_t pos) noexcept;

/// Appends the UTF-8 encoding of `cp` (U+FFFD for surrogates and out-of-range values).
void append_utf8(std::string& out, char32_t cp);

bool is_valid_utf8(std::string_view text) noexcept;

/// Valid UTF-8 of at most `max_bytes` bytes: each invalid sequence becomes U+FFFD, and a cut
/// never splits a code point. NUL and control characters are kept (they are valid UTF-8).
std::string sanitize_utf8(std::string_view text, std::size_t max_bytes);

/// A bounded one-line excerpt for reasons and log lines: valid UTF-8, control characters and
/// line breaks become single spaces, runs of white space collapse, ends trimmed; when the text is
/// cut, "…" is appended within `max_bytes` (max_bytes >= 4 for the marker to fit).
std::string one_line_excerpt(std::string_view text, std::size_t max_bytes);

}  // namespace visionwatch

namespace visionwatch {

/// Masks API keys that error bodies echo back ("Incorrect API key provided: sk-proj-****abcd",
/// "Bearer abc..."): every "sk-..." token and the token after "Bearer " become "***". Used on
/// upstream error messages before they reach reasons, logs and alerts.
std::string redact_secrets(std::string_view text);

/// Standard base64 with padding (RFC 4648), via OpenSSL.
std::string base64_encode(std::string_view bytes);
/// Decodes padded standard base64; nullopt for any other input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace visionwatch
