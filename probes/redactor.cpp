#include "probes/redactor.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <string_view>

#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

constexpr std::string_view mask = "***";
/// A secret cut by an excerpt's byte limit leaves its beginning at the end of the text; a
/// beginning this long is masked too.
constexpr std::size_t min_tail_prefix = 4;
/// URL path segments and query values at least this long are treated as tokens.
constexpr std::size_t min_url_token = 16;

/// JSON string escaping as serializers write it; `escape_slash` for those that write "\/".
std::string json_escape(std::string_view s, bool escape_slash) {
  constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || (escape_slash && c == '/')) {
      out += '\\';
      out += c;
    } else if (b < 0x20) {
      out += "\\u00";
      out += hex[b >> 4];
      out += hex[b & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

/// Masks every occurrence of `needle` in `text`.
void mask_all(std::string& text, std::string_view needle) {
  std::size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), mask);
    pos += mask.size();
  }
}

/// Masks a beginning of `needle` (at least min_tail_prefix bytes) that ends where the text was
/// cut: before a "…" cut marker, or at the very end.
void mask_cut_prefixes(std::string& text, std::string_view needle) {
  constexpr std::string_view ellipsis = "\xE2\x80\xA6";
  std::size_t cut = text.find(ellipsis);
  while (true) {
    const std::size_t end = cut == std::string::npos ? text.size() : cut;
    const std::string_view before(text.data(), end);
    std::size_t masked = 0;
    for (std::size_t len = std::min(needle.size() - 1, before.size()); len >= min_tail_prefix;
         --len) {
      if (before.ends_with(needle.substr(0, len))) {
        text.replace(end - len, len, mask);
        masked = len;
        break;
      }
    }
    if (cut == std::string::npos) {
      return;
    }
    cut = text.find(ellipsis, end - masked + (masked > 0 ? mask.size() : 0) + ellipsis.size());
  }
}

}  // namespace

redactor::redactor(const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    add(s);
  }
}

void redactor::add_form(std::string form) {
  if (form.size() < min_secret_bytes ||
      std::find(needles_.begin(), needles_.end(), form) != needles_.end()) {
    return;
  }
  const auto at = std::find_if(needles_.begin(), needles_.end(), [&](const std::string& n) {
    return n.size() < form.size();
  });
  needles_.insert(at, std::move(form));
}

void redactor::add(std::string_view secret) {
  if (secret.size() < min_secret_bytes) {
    return;
  }
  add_form(std::string(secret));
  add_form(percent_encode(secret));
  add_form(json_escape(secret, false));
  add_form(json_escape(secret, true));
}

void redactor::add_url(std::string_view url) {
  add(url);
  auto parsed = boost::urls::parse_uri_reference(url);
  if (!parsed) {
    return;
  }
  const auto& u = *parsed;
  if (u.has_userinfo()) {
    const std::string user = u.user();
    const std::string password = u.password();
    add(user);
    add(password);
    add(user + ":" + password);
    add(u.encoded_userinfo());
    add(base64_encode(user + ":" + password));
  }
  for (const auto& segment : u.segments()) {
    if (segment.size() >= min_url_token) {
      add(segment);
    }
  }
  for (const auto& param : u.params()) {
    if (param.has_value && param.value.size() >= min_url_token) {
      add(param.value);
    }
  }
}

std::string redactor::redact(std::string_view text) const {
  std::string out(text);
  for (const auto& n : needles_) {
    mask_all(out, n);
  }
  for (const auto& n : needles_) {
    mask_cut_prefixes(out, n);
  }
  return redact_secrets(out);
}

}  // namespace visionwatch
