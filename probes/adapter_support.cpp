#include "probes/adapter_support.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>

#include "probes/reasoning_text.hpp"
#include "probes/retry_after.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::adapter_support {
namespace {

/// Real replies nest about 6 levels deep. The limit is checked before parsing so a hostile body
/// (100,000 nested arrays) costs one linear scan, not a deep tree.
constexpr int max_json_depth = 64;
constexpr std::size_t body_quote_bytes = 48;

/// Offset where nesting first exceeds `limit`, if it does. Brackets inside strings don't count.
std::optional<std::size_t> nesting_exceeds(std::string_view body, int limit) noexcept {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) {
        return i;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

/// nlohmann's messages quote the input ("last read: '...'"); keep only the description.
std::string describe_parse_error(const json::exception& e, std::size_t body_size) {
  std::string_view what = e.what();
  if (const auto p = what.find("] "); p != std::string_view::npos) {
    what.remove_prefix(p + 2);
  }
  if (const auto p = what.find(": "); p != std::string_view::npos && what.starts_with("parse")) {
    what.remove_prefix(p + 2);
  }
  if (const auto p = what.find("; last read"); p != std::string_view::npos) {
    what = what.substr(0, p);
  }
  std::string out;
  const auto* pe = dynamic_cast<const json::parse_error*>(&e);
  if (what.find("end of input") != std::string_view::npos ||
      (pe != nullptr && pe->byte >= body_size)) {
    out = "truncated JSON: unexpected end of input after " + std::to_string(body_size) + " bytes";
  } else if (pe != nullptr) {
    out = "invalid JSON at byte " + std::to_string(pe->byte) + ": " + std::string(what);
  } else {
    out = "invalid JSON: " + std::string(what);
  }
  return one_line_excerpt(out, reply_error_limit);
}

/// The <title> of an HTML error page ("502 Bad Gateway"), if any.
std::string html_title(std::string_view body) {
  const std::string_view head = body.substr(0, std::size_t{16} * 1024);
  const std::string folded = ascii_lower(head);
  const auto open = folded.find("<title");
  if (open == std::string::npos) {
    return {};
  }
  const auto gt = folded.find('>', open);
  if (gt == std::string::npos) {
    return {};
  }
  const auto close = folded.find("</title", gt);
  if (close == std::string::npos) {
    return {};
  }
  return one_line_excerpt(head.substr(gt + 1, close - gt - 1), reply_error_limit);
}

/// Error code preference: a string code ("invalid_value"), Gemini's status
/// ("RESOURCE_EXHAUSTED"), the type ("invalid_request_error"), then a numeric code (404).
void take_error_fields(const json& e, reply& r) {
  if (const auto* m = string_member(e, "message"); m != nullptr) {
    r.error_message = one_line_excerpt(*m, reply_error_limit);
  } else if (const auto* d = string_member(e, "detail"); d != nullptr) {
    r.error_message = one_line_excerpt(*d, reply_error_limit);
  }
  for (const char* key : {"code", "status", "type"}) {
    if (const auto* s = string_member(e, key); s != nullptr && !s->empty()) {
      r.error_code = one_line_excerpt(*s, max_code_bytes);
      return;
    }
  }
  if (const json* c = member(e, "code"); c != nullptr && c->is_number_integer()) {
    r.error_code = std::to_string(c->get<std::int64_t>());
  }
}

/// Gemini: error.details[] holds {"@type": ".../google.rpc.RetryInfo", "retryDelay": "37s"}.
std::optional<std::chrono::seconds> body_retry_delay(const json& error) {
  const json* details = member(error, "details");
  if (details == nullptr || !details->is_array()) {
    return std::nullopt;
  }
  for (const auto& d : *details) {
    const auto* type = string_member(d, "@type");
    if (type == nullptr || !type->ends_with("RetryInfo")) {
      continue;
    }
    if (const auto* delay = string_member(d, "retryDelay"); delay != nullptr) {
      return parse_duration_seconds(*delay);
    }
  }
  return std::nullopt;
}

std::string_view first_non_space(std::string_view s) noexcept {
  const auto i = s.find_first_not_of(" \t\r\n");
  return i == std::string_view::npos ? std::string_view{} : s.substr(i);
}

}  // namespace

void set_header(header_list& headers, std::string_view name, std::string_view value) {
  for (auto& [k, v] : headers) {
    if (ascii_iequals(k, name)) {
      v = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

std::string join_url(std::string_view base_url, std::string_view path) {
  const auto q = base_url.find_first_of("?#");
  std::string_view base_path = base_url.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : base_url.substr(q);
  while (!base_path.empty() && base_path.back() == '/') {
    base_path.remove_suffix(1);
  }
  std::string url(base_path);
  if (!base_path.ends_with(path)) {
    url += path;
  }
  url += query;
  return url;
}

std::string with_query_param(std::string url, std::string_view name, std::string_view value) {
  const auto q = url.find('?');
  if (q != std::string::npos) {
    // Parameters start after '?' or '&'.
    for (auto at = q; at != std::string::npos; at = url.find('&', at + 1)) {
      const std::string_view param = std::string_view(url).substr(at + 1);
      if (param.starts_with(name) &&
          (param.size() == name.size() || param[name.size()] == '=' || param[name.size()] == '&')) {
        return url;
      }
    }
  }
  if (q == std::string::npos) {
    url += '?';
  } else if (url.back() != '?' && url.back() != '&') {
    url += '&';
  }
  url += name;
  url += '=';
  url += percent_encode_segment(value);
  return url;
}

bool is_plain_json_string(std::string_view s) noexcept {
  const auto plain = [](char c) { return c >= 0x20 && c < 0x7F && c != '"' && c != '\\'; };
  // Eight bytes at a time (the data URLs are kilobytes): a byte fails when it is >= 0x80, below
  // 0x20, 0x7F, '"' or '\\'. `below(x, n)` flags the bytes under n of a word with no high bits
  // set; a zero byte of x ^ c is a byte equal to c.
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const auto below = [](std::uint64_t x, std::uint64_t n) { return (x - ones * n) & ~x & highs; };
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t x = 0;
    std::memcpy(&x, s.data() + i, sizeof x);
    if ((x & highs) != 0 || below(x, 0x20) != 0 || ((x + ones) & highs) != 0 ||
        below(x ^ (ones * '"'), 1) != 0 || below(x ^ (ones * '\\'), 1) != 0) {
      return false;
    }
  }
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(i), s.end(), plain);
}

std::string percent_encode_segment(std::string_view s) { return percent_encode(s); }

std::optional<data_url_parts> split_data_url(std::string_view url) noexcept {
  if (!url.starts_with("data:")) {
    return std::nullopt;
  }
  const auto comma = url.find(',');
  if (comma == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view meta = url.substr(5, comma - 5);
  if (!meta.ends_with(";base64")) {
    return std::nullopt;
  }
  meta.remove_suffix(7);
  return data_url_parts{meta.substr(0, meta.find(';')), url.substr(comma + 1)};
}

std::string_view image_mime_for_url(std::string_view url) noexcept {
  url = url.substr(0, url.find_first_of("?#"));
  const auto dot = url.rfind('.');
  const auto slash = url.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "image/jpeg";
  }
  const std::string ext = ascii_lower(url.substr(dot + 1));
  if (ext == "png") {
    return "image/png";
  }
  if (ext == "gif") {
    return "image/gif";
  }
  if (ext == "webp") {
    return "image/webp";
  }
  return "image/jpeg";
}

std::optional<long long> token_count(const json& j) {
  if (j.is_number_unsigned()) {
    const auto v = j.get<std::uint64_t>();
    return v <= static_cast<std::uint64_t>(max_token_count)
               ? std::optional<long long>{static_cast<long long>(v)}
               : std::nullopt;
  }
  if (j.is_number_integer()) {
    const auto v = j.get<std::int64_t>();
    return v >= 0 && v <= max_token_count ? std::optional<long long>{v} : std::nullopt;
  }
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (!std::isfinite(d) || d < 0 || d > static_cast<double>(max_token_count) ||
        d != std::floor(d)) {
      return std::nullopt;
    }
    return static_cast<long long>(d);
  }
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    long long v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || s.front() == '-' || ec != std::errc{} || ptr != s.data() + s.size() ||
        v > max_token_count) {
      return std::nullopt;
    }
    return v;
  }
  return std::nullopt;
}

const json* member(const json& obj, std::string_view key) {
  if (!obj.is_object()) {
    return nullptr;
  }
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const std::string* string_member(const json& obj, std::string_view key) {
  const json* m = member(obj, key);
  return m != nullptr && m->is_string() ? &m->get_ref<const std::string&>() : nullptr;
}

std::optional<long long> count_member(const json& obj, std::string_view key) {
  const json* m = member(obj, key);
  return m != nullptr ? token_count(*m) : std::nullopt;
}

std::string type_error(std::string_view path, const json& j, std::string_view expected) {
  return std::string(path) + " is " + (j.is_array() || j.is_object() ? "an " : "a ") +
         j.type_name() + ", expected " + std::string(expected);
}

const json* object_member(const json& obj, std::string_view key) {
  const json* m = member(obj, key);
  return m != nullptr && m->is_object() ? m : nullptr;
}

void take_model(const json& root, std::string_view key, reply& r) {
  if (const auto* m = string_member(root, key); m != nullptr) {
    r.model = one_line_excerpt(*m, reply_model_limit);
  }
}

std::string missing_member_error(std::string_view key, const reply& r) {
  std::string out = "no \"" + std::string(key) + "\" in the body";
  if (!r.error_message.empty()) {
    out += "; error: " + r.error_message;
  }
  return out;
}

const json* payload_member(const json& root,
                           std::string_view key,
                           json::value_t type,
                           const reply& r,
                           std::string& error) {
  if (!root.is_object()) {
    error = type_error("the body", root, "an object");
    return nullptr;
  }
  const json* m = member(root, key);
  if (m == nullptr || m->is_null()) {
    error = missing_member_error(key, r);
    return nullptr;
  }
  if (m->type() != type) {
    error = type_error(key, *m, type == json::value_t::object ? "object" : "array");
    return nullptr;
  }
  return m;
}

const json* read_usage_counts(const json& root, const usage_fields& fields, usage& u) {
  const json* block = object_member(root, fields.block);
  if (block == nullptr) {
    return nullptr;
  }
  u.prompt_tokens = count_member(*block, fields.prompt);
  u.completion_tokens = count_member(*block, fields.completion);
  u.total_tokens = count_member(*block, fields.total);
  const json* cached_in = fields.details.empty() ? block : object_member(*block, fields.details);
  if (cached_in != nullptr) {
    u.cached_tokens = count_member(*cached_in, fields.cached);
  }
  return block;
}

void take_typed_parts(const json& parts, std::initializer_list<typed_part> kinds, reply& r) {
  for (const auto& part : parts) {
    const auto* type = string_member(part, "type");
    if (type == nullptr) {
      continue;
    }
    for (const typed_part& kind : kinds) {
      if (*type == kind.type) {
        if (const auto* t = string_member(part, kind.key); t != nullptr) {
          r.*kind.into += *t;
        }
        break;
      }
    }
    if (r.text.size() > reply_text_limit) {
      break;
    }
  }
}

void parse_json_reply(std::string_view body, reply& r, const json_reply_reader& reader) {
  const auto root = parse_json(body, r);
  if (!root) {
    return;
  }
  const json& obj = reader.unwrap_one_element_array && root->is_array() && root->size() == 1
                        ? root->front()
                        : *root;
  const json* payload = member(obj, reader.payload_key);
  const bool has_payload =
      payload != nullptr &&
      (reader.payload == payload_test::array ? payload->is_array() : !payload->is_null());
  parse_error_body(*root, has_payload, r);
  if (reader.read_errors != nullptr) {
    reader.read_errors(*root, has_payload, r);
  }
  r.parse_error = reader.read_payload(obj, r);
  reader.read_usage(obj, r.tokens);
  r.well_formed = r.parse_error.empty();
  cap_reply_text(r);
}

std::optional<json> parse_json(std::string_view body, reply& r) {
  const std::string_view start = first_non_space(body);
  if (start.empty()) {
    r.parse_error = "empty body";
    return std::nullopt;
  }
  if (start.front() != '{' && start.front() != '[') {
    // An HTML error page from a proxy or a CDN, plain text, ...
    r.parse_error =
        "body is not JSON: starts with '" + one_line_excerpt(start, body_quote_bytes) + "'";
    return std::nullopt;
  }
  if (const auto at = nesting_exceeds(body, max_json_depth)) {
    r.parse_error = "JSON nested deeper than " + std::to_string(max_json_depth) +
                    " levels (at byte " + std::to_string(*at) + ")";
    return std::nullopt;
  }
  // Replies with invalid UTF-8 (a Latin-1 gateway, a cut multi-byte character) still parse:
  // invalid sequences become U+FFFD first. Valid bodies are not copied.
  std::string repaired;
  if (!is_valid_utf8(body)) {
    repaired = sanitize_utf8(body, body.size() * 3);
    body = repaired;
  }
  try {
    return json::parse(body.begin(), body.end(), nullptr, true, false);
  } catch (const json::exception& e) {
    r.parse_error = describe_parse_error(e, body.size());
    return std::nullopt;
  }
}

/// Every error shape seen in the wild: {"error": {...}} (OpenAI, Ollama, OpenRouter, Gemini),
/// {"type": "error", "error": {...}} (Anthropic), {"error": "text"} (Ollama native, proxies),
/// top-level {"message", "type", "code"} (vLLM), {"detail": "..."} (FastAPI servers), and
/// Gemini's occasional one-element array wrapping.
void parse_error_body(const json& root, bool has_result, reply& r) {
  const json* obj = &root;
  if (root.is_array() && !root.empty() && root.front().is_object()) {
    obj = &root.front();
  }
  if (!obj->is_object()) {
    return;
  }
  if (const json* e = member(*obj, "error"); e != nullptr) {
    if (e->is_object()) {
      take_error_fields(*e, r);
      if (!r.retry_after) {
        r.retry_after = body_retry_delay(*e);
      }
    } else if (e->is_string()) {
      r.error_message = one_line_excerpt(e->get_ref<const std::string&>(), reply_error_limit);
    }
    return;
  }
  if (!has_result &&
      (string_member(*obj, "message") != nullptr || string_member(*obj, "detail") != nullptr)) {
    take_error_fields(*obj, r);
  }
}

void note_tool_call(reply& r) {
  if (r.finish_reason.empty() || r.finish_reason == "stop") {
    r.finish_reason = tool_calls_finish_reason;
  }
}

void append_reasoning(reply& r, std::string_view part) {
  if (part.empty() || r.reasoning.size() > reply_text_limit) {
    return;
  }
  if (!r.reasoning.empty()) {
    r.reasoning += "\n\n";
  }
  r.reasoning += part.substr(0, reply_text_limit + 1 - r.reasoning.size());
}

void cap_reply_text(reply& r) {
  if (has_thinking_tags(r.text)) {
    auto split = split_reasoning(r.text);
    r.text = std::move(split.answer);
    append_reasoning(r, split.reasoning);
  }
  if (r.reasoning.size() > reply_text_limit || !is_valid_utf8(r.reasoning)) {
    r.reasoning = sanitize_utf8(r.reasoning, reply_text_limit);
  }
  r.model = one_line_excerpt(r.model, reply_model_limit);
  if (r.text.size() > reply_text_limit || !is_valid_utf8(r.text)) {
    r.text = sanitize_utf8(r.text, reply_text_limit);
  }
  if (r.refusal.size() > reply_text_limit || !is_valid_utf8(r.refusal)) {
    r.refusal = sanitize_utf8(r.refusal, reply_text_limit);
  }
  r.parse_error = one_line_excerpt(r.parse_error, reply_error_limit);
}

reply parse_reply_with(const http_result& result,
                       std::chrono::system_clock::time_point now,
                       void (*parse_body)(std::string_view body, reply& r)) {
  reply r;
  try {
    if (result.transport_error) {
      r.parse_error = "no response: " + one_line_excerpt(result.reason, reply_error_limit);
      return r;
    }
    if (const auto ra = result.header("retry-after"); !ra.empty()) {
      // The server's Date is on the same clock as its Retry-After date.
      const auto date = parse_http_date(result.header("date"));
      r.retry_after = parse_retry_after(ra, date.value_or(now));
    }
    parse_body(result.body, r);
    const bool success = result.status >= 200 && result.status < 300;
    if (!success && r.error_message.empty() && !first_non_space(result.body).empty()) {
      // No structured error: name the page (<title>) or quote the body's start.
      r.error_message = html_title(result.body);
      if (r.error_message.empty()) {
        r.error_message = one_line_excerpt(first_non_space(result.body), 160);
      }
    }
  } catch (const std::exception& e) {
    // Only std::bad_alloc is expected here; a probe must never take the daemon down.
    r = reply{};
    r.parse_error =
        one_line_excerpt(std::string("cannot parse the reply: ") + e.what(), reply_error_limit);
  }
  return r;
}

}  // namespace visionwatch::adapter_support
