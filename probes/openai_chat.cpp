#include "probes/openai_chat.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>

#include "probes/retry_after.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::openai_chat {
namespace {

using json = nlohmann::json;

/// Real replies nest about 6 levels deep. The limit is checked before parsing so a hostile body
/// (100,000 nested arrays) costs one linear scan, not a deep tree.
constexpr int max_json_depth = 64;
constexpr std::size_t max_code_bytes = 128;
constexpr std::size_t max_finish_reason_bytes = 64;
constexpr std::size_t body_quote_bytes = 48;

char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
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

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// Sets or replaces a header, matching names case-insensitively: a header is never sent twice.
void set_header(header_list& headers, std::string_view name, std::string_view value) {
  for (auto& [k, v] : headers) {
    if (iequals(k, name)) {
      v = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

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

std::string_view first_non_space(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
    ++i;
  }
  return s.substr(i);
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
  const std::string_view head = body.substr(0, 16 * 1024);
  std::string lower(head);
  for (char& c : lower) {
    c = ascii_lower(c);
  }
  const auto open = lower.find("<title");
  if (open == std::string::npos) {
    return {};
  }
  const auto gt = lower.find('>', open);
  if (gt == std::string::npos) {
    return {};
  }
  const auto close = lower.find("</title", gt);
  if (close == std::string::npos) {
    return {};
  }
  return one_line_excerpt(head.substr(gt + 1, close - gt - 1), reply_error_limit);
}

/// A token count: a non-negative integer, an integral float (159.0) or a decimal string ("159").
/// Negative, fractional, non-finite or absurd (> max_token_count) values count as absent.
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

void parse_usage(const json& root, usage& u) {
  const json* us = member(root, "usage");
  if (us == nullptr || !us->is_object()) {
    return;  // absent or null: the verdict records usage_missing
  }
  u.prompt_tokens = count_member(*us, "prompt_tokens");
  u.completion_tokens = count_member(*us, "completion_tokens");
  // Anthropic-style names, as some gateways pass them through unchanged.
  if (!u.prompt_tokens) {
    u.prompt_tokens = count_member(*us, "input_tokens");
  }
  if (!u.completion_tokens) {
    u.completion_tokens = count_member(*us, "output_tokens");
  }
  u.total_tokens = count_member(*us, "total_tokens");
  // Gemini's OpenAI-compatible endpoint sends "prompt_tokens_details": null.
  if (const json* details = member(*us, "prompt_tokens_details");
      details != nullptr && details->is_object()) {
    u.image_tokens = count_member(*details, "image_tokens");
    u.cached_tokens = count_member(*details, "cached_tokens");
  }
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
    if (type == nullptr || !ends_with(*type, "RetryInfo")) {
      continue;
    }
    if (const auto* delay = string_member(d, "retryDelay"); delay != nullptr) {
      return parse_duration_seconds(*delay);
    }
  }
  return std::nullopt;
}

/// Every error shape seen in the wild: {"error": {...}} (OpenAI, Ollama, OpenRouter, Gemini),
/// {"type": "error", "error": {...}} (Anthropic), {"error": "text"} (Ollama native, proxies),
/// top-level {"message", "type", "code"} (vLLM), {"detail": "..."} (FastAPI servers), and
/// Gemini's occasional one-element array wrapping.
void parse_error_body(const json& root, bool has_choices, reply& r) {
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
  if (!has_choices &&
      (string_member(*obj, "message") != nullptr || string_member(*obj, "detail") != nullptr)) {
    take_error_fields(*obj, r);
  }
}

/// Appends the text parts of an array content ([{type: text, text}, ...]); "refusal" parts go to
/// the refusal; images, audio and reasoning parts are skipped.
void take_content_parts(const json& parts, reply& r) {
  for (const auto& part : parts) {
    if (part.is_string()) {
      r.text += part.get_ref<const std::string&>();
    } else if (part.is_object()) {
      const auto* type = string_member(part, "type");
      if (type != nullptr && *type == "refusal") {
        if (const auto* ref = string_member(part, "refusal"); ref != nullptr) {
          r.refusal += *ref;
        }
        continue;
      }
      if (type == nullptr || *type == "text" || *type == "output_text") {
        if (const auto* t = string_member(part, "text"); t != nullptr) {
          r.text += *t;
        }
      }
    }
    if (r.text.size() > reply_text_limit) {
      break;  // the rest would be cut anyway
    }
  }
}

std::string type_error(std::string_view path, const json& j, std::string_view expected) {
  return std::string(path) + " is " + (j.is_array() || j.is_object() ? "an " : "a ") +
         j.type_name() + ", expected " + std::string(expected);
}

/// The success shape: choices[0].message.{content, refusal} and choices[0].finish_reason.
/// Returns an empty string when well formed, else what is wrong.
std::string parse_choice(const json& root, reply& r) {
  if (!root.is_object()) {
    return type_error("the body", root, "an object");
  }
  const json* choices = member(root, "choices");
  if (choices == nullptr || choices->is_null()) {
    if (!r.error_message.empty()) {
      return "no \"choices\" in the body; error: " + r.error_message;
    }
    return "no \"choices\" in the body";
  }
  if (!choices->is_array()) {
    return type_error("choices", *choices, "array");
  }
  if (choices->empty()) {
    return "choices is empty";
  }
  const json& choice = choices->front();
  if (!choice.is_object()) {
    return type_error("choices[0]", choice, "object");
  }
  if (const auto* fr = string_member(choice, "finish_reason"); fr != nullptr) {
    r.finish_reason = one_line_excerpt(*fr, max_finish_reason_bytes);
  }
  const json* message = member(choice, "message");
  if (message == nullptr || message->is_null()) {
    // Legacy completions shape ({"text": ...}) that a few gateways still return.
    if (const auto* t = string_member(choice, "text"); t != nullptr) {
      r.text = *t;
      return {};
    }
    return "no choices[0].message in the body";
  }
  if (!message->is_object()) {
    return type_error("choices[0].message", *message, "object");
  }
  if (const json* refusal = member(*message, "refusal"); refusal != nullptr) {
    if (refusal->is_string()) {
      r.refusal = refusal->get_ref<const std::string&>();
    } else if (!refusal->is_null()) {
      return type_error("choices[0].message.refusal", *refusal, "string or null");
    }
  }
  // A missing or null content is well formed (tool calls, refusals); the verdict sees no text.
  if (const json* content = member(*message, "content"); content != nullptr) {
    if (content->is_string()) {
      r.text = content->get_ref<const std::string&>();
    } else if (content->is_array()) {
      take_content_parts(*content, r);
    } else if (!content->is_null()) {
      return type_error("choices[0].message.content", *content, "string or array");
    }
  }
  return {};
}

void parse_json_body(std::string_view body, reply& r) {
  if (first_non_space(body).empty()) {
    r.parse_error = "empty body";
    return;
  }
  const char first = first_non_space(body).front();
  if (first != '{' && first != '[') {
    // An HTML error page from a proxy or a CDN, plain text, ...
    r.parse_error = "body is not JSON: starts with '" +
                    one_line_excerpt(first_non_space(body), body_quote_bytes) + "'";
    return;
  }
  if (const auto at = nesting_exceeds(body, max_json_depth)) {
    r.parse_error = "JSON nested deeper than " + std::to_string(max_json_depth) +
                    " levels (at byte " + std::to_string(*at) + ")";
    return;
  }
  // Replies with invalid UTF-8 (a Latin-1 gateway, a cut multi-byte character) still parse:
  // invalid sequences become U+FFFD first. Valid bodies are not copied.
  std::string repaired;
  if (!is_valid_utf8(body)) {
    repaired = sanitize_utf8(body, body.size() * 3);
    body = repaired;
  }
  json root;
  try {
    root = json::parse(body.begin(), body.end(), nullptr, true, false);
  } catch (const json::exception& e) {
    r.parse_error = describe_parse_error(e, body.size());
    return;
  }
  const json* choices = member(root, "choices");
  parse_error_body(root, choices != nullptr && !choices->is_null(), r);
  r.parse_error = parse_choice(root, r);
  parse_usage(root, r.tokens);
  r.well_formed = r.parse_error.empty();
  if (r.text.size() > reply_text_limit || !is_valid_utf8(r.text)) {
    r.text = sanitize_utf8(r.text, reply_text_limit);
  }
  if (r.refusal.size() > reply_text_limit || !is_valid_utf8(r.refusal)) {
    r.refusal = sanitize_utf8(r.refusal, reply_text_limit);
  }
  r.parse_error = one_line_excerpt(r.parse_error, reply_error_limit);
}

/// Printable ASCII without '"' and '\\': serialises to itself.
bool is_plain_json_string(std::string_view s) noexcept {
  return std::all_of(
      s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F && c != '"' && c != '\\'; });
}

}  // namespace

std::string endpoint_url(std::string_view base_url) {
  while (!base_url.empty() && base_url.back() == '/') {
    base_url.remove_suffix(1);
  }
  if (ends_with(base_url, "/chat/completions")) {
    return std::string(base_url);
  }
  std::string url(base_url);
  url += "/chat/completions";
  return url;
}

http_request build_request(const probe_request& request) {
  http_request out;
  out.method = "POST";
  out.url = endpoint_url(request.base_url);

  // A data URL is hundreds of kilobytes of base64, which needs no JSON escaping: it is spliced
  // into the serialised body instead of going through the serialiser's per-byte escaping.
  const bool splice_url = request.image && is_plain_json_string(request.image->url);
  json content = json::array();
  content.push_back({{"type", "text"}, {"text", request.prompt}});
  if (request.image) {
    json image_url = {{"url", splice_url ? std::string() : request.image->url}};
    if (!request.image->detail.empty()) {
      image_url["detail"] = request.image->detail;
    }
    content.push_back({{"type", "image_url"}, {"image_url", std::move(image_url)}});
  }
  json message = {{"role", "user"}, {"content", std::move(content)}};
  json body = {{"model", request.model}, {"messages", json::array({std::move(message)})}};
  if (request.max_tokens) {
    body[request.use_max_completion_tokens ? "max_completion_tokens" : "max_tokens"] =
        *request.max_tokens;
  }
  if (request.temperature) {
    body["temperature"] = *request.temperature;
  }
  // `replace`: a prompt with invalid UTF-8 is sent with U+FFFD instead of throwing.
  out.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  if (splice_url) {
    // `"url":""` can only be the key itself: the same bytes inside a string would be escaped.
    static constexpr std::string_view empty_url = R"("url":"")";
    if (const auto at = out.body.find(empty_url); at != std::string::npos) {
      out.body.insert(at + empty_url.size() - 1, request.image->url);
    }
  }

  set_header(out.headers, "Content-Type", "application/json");
  set_header(out.headers, "Accept", "application/json");
  set_header(out.headers, "User-Agent", default_user_agent());
  if (!request.api_key.empty()) {
    set_header(out.headers, "Authorization", "Bearer " + request.api_key);
  }
  for (const auto& [name, value] : request.extra_headers) {
    set_header(out.headers, name, value);
  }
  return out;
}

reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now) {
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
    parse_json_body(result.body, r);
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

}  // namespace visionwatch::openai_chat
