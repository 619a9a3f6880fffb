#include "probes/text_util.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>

namespace visionwatch {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view ellipsis = "\xE2\x80\xA6";     // U+2026

unsigned char byte_at(std::string_view s, std::size_t i) noexcept {
  return static_cast<unsigned char>(s[i]);
}

bool is_line_noise(char32_t cp) noexcept {
  // C0 controls (tab, CR, LF included), DEL, C1 controls, and the Unicode line/paragraph
  // separators: all would break a one-line reason or a log line.
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

/// The well-formed UTF-8 sequences by lead byte (The Unicode Standard, table 3-7): how many
/// continuation bytes follow, the lead's payload bits, and the range of the first continuation
/// byte (narrower after E0 and F0, which would be overlong, ED, which would be a surrogate, and
/// F4, which would pass U+10FFFF). Every later continuation byte is 80..BF.
struct utf8_lead {
  unsigned char first;  ///< the lead bytes first..last
  unsigned char last;
  std::size_t need;
  unsigned char payload_mask;
  unsigned char lo;
  unsigned char hi;
};

constexpr std::array<utf8_lead, 8> utf8_leads = {{
    {0xC2, 0xDF, 1, 0x1F, 0x80, 0xBF},
    {0xE0, 0xE0, 2, 0x0F, 0xA0, 0xBF},
    {0xE1, 0xEC, 2, 0x0F, 0x80, 0xBF},
    {0xED, 0xED, 2, 0x0F, 0x80, 0x9F},
    {0xEE, 0xEF, 2, 0x0F, 0x80, 0xBF},
    {0xF0, 0xF0, 3, 0x07, 0x90, 0xBF},
    {0xF1, 0xF3, 3, 0x07, 0x80, 0xBF},
    {0xF4, 0xF4, 3, 0x07, 0x80, 0x8F},
}};

}  // namespace

utf8_decoded decode_utf8(std::string_view text, std::size_t pos) noexcept {
  const unsigned char b0 = byte_at(text, pos);
  if (b0 < 0x80) {
    return {b0, 1, true};
  }
  const auto* lead = std::find_if(utf8_leads.begin(), utf8_leads.end(), [b0](const utf8_lead& l) {
    return b0 >= l.first && b0 <= l.last;
  });
  if (lead == utf8_leads.end()) {
    return {0xFFFD, 1, false};
  }
  const std::size_t need = lead->need;
  const unsigned char lo = lead->lo;
  const unsigned char hi = lead->hi;
  char32_t cp = b0 & lead->payload_mask;
  for (std::size_t k = 1; k <= need; ++k) {
    if (pos + k >= text.size()) {
      return {0xFFFD, k, false};
    }
    const unsigned char b = byte_at(text, pos + k);
    const unsigned char l = k == 1 ? lo : 0x80;
    const unsigned char h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      return {0xFFFD, k, false};
    }
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return {cp, need + 1, true};
}

void append_utf8(std::string& out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    cp = 0xFFFD;
  }
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    if (byte_at(text, i) < 0x80) {
      ++i;
      continue;
    }
    const auto d = decode_utf8(text, i);
    if (!d.valid) {
      return false;
    }
    i += d.length;
  }
  return true;
}

std::string sanitize_utf8(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(text.size() < max_bytes ? text.size() : max_bytes);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto d = decode_utf8(text, i);
    const std::string_view piece = d.valid ? text.substr(i, d.length) : replacement;
    if (out.size() + piece.size() > max_bytes) {
      break;
    }
    out.append(piece);
    i += d.length;
  }
  return out;
}

std::string one_line_excerpt(std::string_view text, std::size_t max_bytes) {
  std::string out;
  std::size_t i = 0;
  bool pending_space = false;
  bool cut = false;
  std::string piece;
  while (i < text.size()) {
    const auto d = decode_utf8(text, i);
    i += d.length;
    if (d.cp == ' ' || is_line_noise(d.cp)) {
      pending_space = !out.empty();
      continue;
    }
    piece.clear();
    if (pending_space) {
      piece.push_back(' ');
    }
    append_utf8(piece, d.cp);
    if (out.size() + piece.size() > max_bytes) {
      cut = true;
      break;
    }
    out += piece;
    pending_space = false;
  }
  if (!cut) {
    return out;
  }
  // Make room for the marker, removing whole code points only.
  while (!out.empty() && out.size() + ellipsis.size() > max_bytes) {
    std::size_t n = out.size() - 1;
    while (n > 0 && (byte_at(out, n) & 0xC0u) == 0x80u) {
      --n;
    }
    out.resize(n);
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  if (out.size() + ellipsis.size() <= max_bytes) {
    out += ellipsis;
  }
  return out;
}

}  // namespace visionwatch

namespace visionwatch {
namespace {

bool is_key_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '*' || c == '.' || c == '+' || c == '/' || c == '=';
}

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// `prefix` is lower case.
bool starts_with_icase(std::string_view s, std::size_t pos, std::string_view prefix) noexcept {
  return s.size() - pos >= prefix.size() && ascii_iequals(s.substr(pos, prefix.size()), prefix);
}

}  // namespace

namespace {

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
bool is_b64(char c) noexcept { return is_alnum(c) || c == '+' || c == '/'; }

/// A key that starts with a fixed prefix: what follows must be at least `min_key` key characters.
struct prefixed_key {
  std::string_view prefix;
  bool ignore_case;
  std::size_t min_key;
  bool (*key_char)(char) noexcept;
};

bool is_id_char(char c) noexcept { return is_upper(c) || (c >= '0' && c <= '9'); }

constexpr auto prefixed_keys = std::to_array<prefixed_key>({
    {"sk-", true, 1, is_key_char},      // OpenAI, Anthropic, DeepSeek, OpenRouter ...
    {"bearer ", true, 8, is_key_char},  // "Missing bearer or basic authentication" names no key
    {"AIza", false, 8, is_key_char},    // Google API keys
    {"gsk_", false, 8, is_key_char},    // Groq
    {"xai-", false, 8, is_key_char},    // xAI
    {"AKIA", false, 12, is_id_char},    // AWS access key ids
    {"ASIA", false, 12, is_id_char},    // AWS temporary access key ids
});

/// Length of the run of `pred` characters starting at `pos`.
std::size_t run_length(std::string_view s, std::size_t pos, bool (*pred)(char) noexcept) {
  std::size_t end = pos;
  while (end < s.size() && pred(s[end])) {
    ++end;
  }
  return end - pos;
}

/// A whole-word key without a prefix, at `i`: 0 or its length. A 40-character base64 run with
/// upper and lower case letters is an AWS secret access key; exactly 32 hex digits is an Azure
/// (OpenAI/AI services) key; both shapes also cover hashes and request ids, masked alike.
std::size_t bare_key_length(std::string_view text, std::size_t i) {
  if (i == 0 || !is_b64(text[i - 1])) {
    const std::size_t n = run_length(text, i, is_b64);
    if (n == 40) {
      const auto key = text.substr(i, n);
      const bool upper = std::any_of(key.begin(), key.end(), is_upper);
      const bool lower = std::any_of(key.begin(), key.end(), is_lower);
      if (upper && lower) {
        return n;
      }
    }
  }
  if (i == 0 || !is_alnum(text[i - 1])) {
    const std::size_t n = run_length(text, i, is_hex);
    if (n == 32 && (i + n == text.size() || !is_alnum(text[i + n]))) {
      return n;
    }
  }
  return 0;
}

}  // namespace

std::string redact_secrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const bool at_word_start = i == 0 || !is_alnum(text[i - 1]);
    if (!at_word_start) {
      out.push_back(text[i++]);
      continue;
    }
    bool masked = false;
    for (const auto& k : prefixed_keys) {
      const bool starts = k.ignore_case ? starts_with_icase(text, i, k.prefix)
                                        : text.substr(i).starts_with(k.prefix);
      if (!starts) {
        continue;
      }
      const std::size_t from = i + k.prefix.size();
      std::size_t end = from + run_length(text, from, k.key_char);
      // A sentence's final full stop is not part of the key.
      if (end > from && text[end - 1] == '.') {
        --end;
      }
      if (end - from < k.min_key) {
        continue;
      }
      out.append(text.substr(i, k.prefix.size()));
      out += "***";
      i = end;
      masked = true;
      break;
    }
    if (masked) {
      continue;
    }
    if (const std::size_t n = bare_key_length(text, i); n > 0) {
      out += "***";
      i += n;
      continue;
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    c = ascii_lower(c);
  }
  return out;
}

bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

bool ascii_icontains(std::string_view haystack, std::string_view needle) noexcept {
  return std::search(
             haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
               return ascii_lower(a) == ascii_lower(b);
             }) != haystack.end();
}

std::string_view trim(std::string_view s, std::string_view chars) noexcept {
  const auto first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(chars) - first + 1);
}

std::string percent_encode(std::string_view s, std::string_view keep) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 0x0F];
    }
  }
  return out;
}

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) {
    return false;
  }
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

namespace {
const unsigned char* base64_bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  base64_append(out, bytes);
  return out;
}

void base64_append(std::string& out, std::string_view bytes) {
  const std::size_t at = out.size();
  out.resize(at + 4 * ((bytes.size() + 2) / 3) + 1);  // EVP_EncodeBlock adds a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                                base64_bytes_of(bytes),
                                static_cast<int>(bytes.size()));
  out.resize(at + static_cast<std::size_t>(n));
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/';
    // '=' only as the last one or two characters.
    const bool pad =
        c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!alpha && !pad) {
      return std::nullopt;
    }
  }
  std::string out(3 * text.size() / 4 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                base64_bytes_of(text),
                                static_cast<int>(text.size()));
  if (n < 0) {
    return std::nullopt;
  }
  // EVP_DecodeBlock counts the zero bytes that padding stands for.
  auto size = static_cast<std::size_t>(n);
  if (!text.empty() && text.back() == '=') {
    --size;
    if (text[text.size() - 2] == '=') {
      --size;
    }
  }
  out.resize(size);
  return out;
}

}  // namespace visionwatch
