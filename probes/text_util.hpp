#pragma once
/// The one home of small text helpers, for probes/ and the folders that use it: UTF-8 hygiene,
/// ASCII case and white space, secret masking, base64. Pure functions, no allocation beyond the
/// returned string.
///
/// UTF-8 hygiene is for text that came off the wire (answers, error messages, HTML error pages).
/// Later stages write this text into JSON (status API, webhooks) and log lines, which need valid
/// UTF-8 and bounded sizes.

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
/// "Bearer abc..."), by shape: the key after "sk-", "Bearer ", "AIza" (Google), "gsk_" (Groq),
/// "xai-" (xAI), "AKIA"/"ASIA" (AWS access key ids) becomes "***"; so do whole words of exactly
/// 32 hex digits (Azure keys) and of 40 base64 characters with both letter cases (AWS secret
/// keys). Configured secrets of any shape are masked by `redactor` (probes/redactor.hpp), which
/// applies this too.
std::string redact_secrets(std::string_view text);

/// ASCII-only helpers for protocol text (URL schemes, host names, header names, HTML tags, HTTP
/// header values): bytes >= 0x80 pass through unchanged, whatever the process locale.
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
/// A copy with A-Z lowered.
std::string ascii_lower(std::string_view s);
/// Equal ignoring ASCII case ("Content-Type" == "content-type").
bool ascii_iequals(std::string_view a, std::string_view b) noexcept;
/// `needle` occurs in `haystack`, ignoring ASCII case (an empty needle always does).
bool ascii_icontains(std::string_view haystack, std::string_view needle) noexcept;

/// ASCII white space (what std::isspace accepts in the C locale).
inline constexpr std::string_view ascii_space = " \t\n\v\f\r";
/// HTTP optional white space (RFC 9110 5.6.3): space and horizontal tab only.
inline constexpr std::string_view http_ows = " \t";
/// `s` without leading and trailing characters from `chars`.
std::string_view trim(std::string_view s, std::string_view chars = ascii_space) noexcept;

/// Non-empty and only '0'-'9'.
bool all_digits(std::string_view s) noexcept;

/// `s` with every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - _ . ~) and those in
/// `keep` percent-encoded, in upper-case hex: a URL path segment, a form value, or with
/// `keep` "/" a whole path.
std::string percent_encode(std::string_view s, std::string_view keep = {});

/// Standard base64 with padding (RFC 4648), via OpenSSL.
std::string base64_encode(std::string_view bytes);
/// The same, appended to `out` (no string of its own: a data URL is built in place).
void base64_append(std::string& out, std::string_view bytes);
/// Decodes padded standard base64; nullopt for any other input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace visionwatch
