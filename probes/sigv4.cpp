#include "probes/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <map>
#include <vector>

#include "probes/adapter_support.hpp"
#include "probes/http_url.hpp"
#include "probes/text_util.hpp"
#include "probes/utc_time.hpp"

namespace visionwatch::sigv4 {
namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";

std::string to_hex(std::string_view bytes) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4];
    out += digits[b & 0x0F];
  }
  return out;
}

/// RFC 3986 5.2.4 plus what AWS requires besides: empty segments ("//") are dropped too.
std::string remove_dot_segments(std::string_view path) {
  if (path.empty()) {
    return "/";
  }
  std::vector<std::string_view> out;
  std::size_t from = 0;
  while (from <= path.size()) {
    const auto slash = path.find('/', from);
    const auto seg =
        path.substr(from, slash == std::string_view::npos ? std::string_view::npos : slash - from);
    if (seg == "..") {
      if (!out.empty()) {
        out.pop_back();
      }
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    if (slash == std::string_view::npos) {
      break;
    }
    from = slash + 1;
  }
  std::string result = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < out.size(); ++i) {
    result += i == 0 ? "" : "/";
    result += out[i];
  }
  if (path.back() == '/' && !out.empty()) {
    result += '/';
  }
  return result.empty() ? "/" : result;
}

/// The query as botocore signs a URL's own query: pairs split at '&' and '=', kept as sent
/// (already encoded), sorted by key then value.
std::string canonical_query(std::string_view query) {
  if (query.empty()) {
    return {};
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t from = 0;
  while (from <= query.size()) {
    const auto amp = query.find('&', from);
    const auto pair =
        query.substr(from, amp == std::string_view::npos ? std::string_view::npos : amp - from);
    const auto eq = pair.find('=');
    pairs.emplace_back(
        std::string(pair.substr(0, eq)),
        eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) {
      break;
    }
    from = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    out += out.empty() ? "" : "&";
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

/// A header value as signed: leading and trailing white space removed, inner runs collapsed.
std::string canonical_value(std::string_view v) {
  std::string out;
  bool space = false;
  for (const char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(),
       key.data(),
       static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()),
       data.size(),
       out.data(),
       &len);
  return {reinterpret_cast<const char*>(out.data()), len};
}

std::string canonical_uri(std::string_view path) {
  return percent_encode(remove_dot_segments(path), "/");
}

bool is_unsigned_header(std::string_view name) noexcept {
  for (const std::string_view n :
       {"expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"}) {
    if (ascii_iequals(name, n)) {
      return true;
    }
  }
  return false;
}

signature compute(std::string_view method,
                  std::string_view target,
                  const header_list& headers,
                  std::string_view body,
                  const credentials& creds,
                  const scope& where) {
  signature s;
  s.amz_date = format_compact_utc(where.time);
  const std::string date = s.amz_date.substr(0, 8);
  s.credential_scope = date + "/" + where.region + "/" + where.service + "/aws4_request";

  // Lower-case names in order; repeated headers are joined with ','.
  std::map<std::string, std::string, std::less<>> canonical;
  for (const auto& [name, value] : headers) {
    if (is_unsigned_header(name) || ascii_iequals(name, "authorization")) {
      continue;
    }
    auto [it, fresh] = canonical.try_emplace(ascii_lower(name), canonical_value(value));
    if (!fresh) {
      it->second += "," + canonical_value(value);
    }
  }
  std::string canonical_headers;
  for (const auto& [name, value] : canonical) {
    canonical_headers += name;
    canonical_headers += ':';
    canonical_headers += value;
    canonical_headers += '\n';
    s.signed_headers += s.signed_headers.empty() ? "" : ";";
    s.signed_headers += name;
  }

  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query =
      q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  std::string verb(method);
  for (char& c : verb) {
    c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  s.canonical_request = verb + "\n" + canonical_uri(path) + "\n" + canonical_query(query) + "\n" +
                        canonical_headers + "\n" + s.signed_headers + "\n" + sha256_hex(body);
  s.string_to_sign = std::string(algorithm) + "\n" + s.amz_date + "\n" + s.credential_scope + "\n" +
                     sha256_hex(s.canonical_request);

  const std::string k_date = hmac_sha256("AWS4" + creds.secret_access_key, date);
  const std::string k_region = hmac_sha256(k_date, where.region);
  const std::string k_service = hmac_sha256(k_region, where.service);
  const std::string k_signing = hmac_sha256(k_service, "aws4_request");
  s.signature_hex = to_hex(hmac_sha256(k_signing, s.string_to_sign));
  s.authorization = std::string(algorithm) + " Credential=" + creds.access_key_id + "/" +
                    s.credential_scope + ", SignedHeaders=" + s.signed_headers +
                    ", Signature=" + s.signature_hex;
  return s;
}

bool sign_request(http_request& request, const credentials& creds, const scope& where) {
  std::string error;
  const auto t = parse_http_target(request.url, error);
  if (!t) {
    return false;
  }
  bool has_host = false;
  for (const auto& [name, value] : request.headers) {
    has_host = has_host || ascii_iequals(name, "host");
  }
  if (!has_host) {
    adapter_support::set_header(request.headers, "Host", t->host_header);
  }
  adapter_support::set_header(request.headers, "X-Amz-Date", format_compact_utc(where.time));
  if (!creds.session_token.empty()) {
    adapter_support::set_header(request.headers, "X-Amz-Security-Token", creds.session_token);
  }
  // A stale Authorization (an extra header) must neither be signed nor sent beside ours.
  std::erase_if(request.headers,
                [](const auto& h) { return ascii_iequals(h.first, "authorization"); });
  const signature s =
      compute(request.method, t->origin_form, request.headers, request.body, creds, where);
  request.headers.emplace_back("Authorization", s.authorization);
  return true;
}

}  // namespace visionwatch::sigv4
