#pragma once
/// The pieces every API flavour shares, so a flavour file (openai_chat.cpp, ...) holds only its
/// own schema. Internal to probes/: callers go through adapter.hpp. Pure, no I/O.

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "probes/http_types.hpp"
#include "probes/reply.hpp"

namespace visionwatch::adapter_support {

using json = nlohmann::json;

/// Bytes of an upstream error code kept in a probe result (a code longer than a name is cut).
inline constexpr std::size_t max_code_bytes = 128;

// ---- Requests

/// Sets or replaces a header, matching names case-insensitively: a header is never sent twice.
void set_header(header_list& headers, std::string_view name, std::string_view value);

/// `base_url` with `path` ("/chat/completions") appended to its path, before its query string:
/// "https://x/openai?api-version=1" + "/chat/completions" gives
/// "https://x/openai/chat/completions?api-version=1". Trailing slashes of the base path are
/// dropped (no "//"); a base path that already ends with `path` is used as is. Every flavour
/// builds its endpoint with this.
std::string join_url(std::string_view base_url, std::string_view path);

/// `url` with `name=value` (value percent-encoded) added to its query string, unless the query
/// already has a parameter `name` (a base_url's own ?api-version= wins over the default).
std::string with_query_param(std::string url, std::string_view name, std::string_view value);

/// Printable ASCII without '"' and '\\': serialises to itself, so a flavour may splice such a
/// value (a data URL of hundreds of kilobytes) into the serialised body unescaped.
bool is_plain_json_string(std::string_view s) noexcept;

/// `s` with every byte other than RFC 3986 unreserved characters percent-encoded (upper-case
/// hex; text_util's percent_encode): a value placed in one URL path segment (a model id with
/// ':' or '/').
std::string percent_encode_segment(std::string_view s);

/// The parts of a base64 data: URL ("data:image/png;base64,AAAA").
struct data_url_parts {
  std::string_view mime;  ///< "image/png"; empty when the URL names none
  std::string_view base64;
};
/// The parts of `url` when it is a base64 data: URL, else nullopt.
std::optional<data_url_parts> split_data_url(std::string_view url) noexcept;

/// The image media type a remote URL's file extension names (png, jpeg, gif, webp; the query is
/// ignored); "image/jpeg", the common photo type, when the extension says nothing.
std::string_view image_mime_for_url(std::string_view url) noexcept;

// ---- Replies

/// The steps of every flavour's parse_reply around its own `parse_body`: a transport failure
/// gives a malformed reply ("no response: ...") without touching the body; Retry-After is read
/// (an HTTP date against the response's own Date header, else `now`); a non-2xx response
/// without a structured error gets the HTML <title> or the body's start as `error_message`;
/// an exception (only std::bad_alloc is expected) becomes a `parse_error`. Never throws.
reply parse_reply_with(const http_result& result,
                       std::chrono::system_clock::time_point now,
                       void (*parse_body)(std::string_view body, reply& r));

/// Parses a JSON body after the checks every flavour needs: empty body, not JSON (an HTML page),
/// nesting deeper than 64 levels (checked before parsing, in one linear scan), invalid UTF-8
/// (repaired to U+FFFD). nullopt, with `r.parse_error` set, when the body is not usable JSON.
std::optional<json> parse_json(std::string_view body, reply& r);

/// Reads the error fields of every error shape seen in the wild into `r` (error_message,
/// error_code, a Gemini RetryInfo delay): {"error": {...}} (OpenAI, Ollama, OpenRouter, Gemini),
/// {"type": "error", "error": {...}} (Anthropic), {"error": "text"} (Ollama native, proxies),
/// top-level {"message", "type", "code"} (vLLM), {"detail": "..."} (FastAPI servers), and
/// Gemini's occasional one-element array wrapping. `has_result`: the body holds the flavour's
/// success payload, so a top-level "message" belongs to it and is no error.
void parse_error_body(const json& root, bool has_result, reply& r);

/// Ends every parse: moves thinking blocks (`<think>…</think>`, `<thinking>…</thinking>`) from
/// the text to `reasoning` (after any reasoning field the flavour already read), so the text is
/// the final answer; then applies reply.hpp's caps: text, refusal and reasoning valid UTF-8
/// within reply_text_limit, model one line within reply_model_limit, parse_error one line within
/// reply_error_limit.
void cap_reply_text(reply& r);

/// The neutral finish reason of a reply that called a tool (chat's own spelling): a tool_calls
/// message, a function_call output item, a tool_use stop, a functionCall part.
inline constexpr std::string_view tool_calls_finish_reason = "tool_calls";

/// The reply holds a tool call: a finish reason that says nothing more ("stop" or none) becomes
/// tool_calls_finish_reason, so the verdict can say why no answer came (a cut or filtered reply
/// keeps its reason). Flavours whose API names the tool call in the finish reason map it there.
void note_tool_call(reply& r);

/// Appends `part` to a reply's reasoning (a blank line between parts), stopping at
/// reply_text_limit.
void append_reasoning(reply& r, std::string_view part);

/// The member `key` of an object, or nullptr (also when `obj` is no object).
const json* member(const json& obj, std::string_view key);
/// The member `key` when it is a string, else nullptr.
const std::string* string_member(const json& obj, std::string_view key);
/// token_count() of the member `key`; nullopt when absent.
std::optional<long long> count_member(const json& obj, std::string_view key);

/// A token count: a non-negative integer, an integral float (159.0) or a decimal string ("159").
/// Negative, fractional, non-finite or absurd (> max_token_count) values count as absent.
std::optional<long long> token_count(const json& j);

/// "choices is a string, expected array": the parse_error for a value of the wrong type.
std::string type_error(std::string_view path, const json& j, std::string_view expected);

/// The longest finish reason a flavour keeps in its API's own spelling (one line).
inline constexpr std::size_t finish_reason_limit = 64;

/// The member `key` when it is an object, else nullptr: a usage block ("usage") that is absent
/// or null leaves the counts missing (the verdict records usage_missing).
const json* object_member(const json& obj, std::string_view key);

/// The served model named by the member `key` ("model", "modelVersion") into `r.model`, one
/// line; nothing when there is no such string.
void take_model(const json& root, std::string_view key, reply& r);

/// "no \"output\" in the body", followed by "; error: <error_message>" when the body carried one.
std::string missing_member_error(std::string_view key, const reply& r);

/// A flavour reader's first step: the body is an object with a non-null member `key` (its
/// success payload) of type `type` (json::value_t::array or object). The member, or nullptr
/// with `error` saying what is wrong ("no \"choices\" in the body", "output is a string,
/// expected object").
const json* payload_member(
    const json& root, std::string_view key, json::value_t type, const reply& r, std::string& error);

/// Where a flavour's usage block keeps the counts most flavours have.
struct usage_fields {
  std::string_view block;       ///< "usage", "usageMetadata"
  std::string_view prompt;      ///< "prompt_tokens", "input_tokens", "promptTokenCount", ...
  std::string_view completion;  ///< "completion_tokens", "output_tokens", ...
  std::string_view total;       ///< "total_tokens", "totalTokenCount", ...
  /// The object inside the block that holds the cached count ("prompt_tokens_details"), or
  /// empty when the block itself holds it.
  std::string_view details = {};
  std::string_view cached;  ///< "cached_tokens", "cacheReadInputTokens", ...
};

/// Reads the prompt, completion, total and cached counts named by `fields` into `u` (cached
/// stays missing when `details` is not an object). The usage block (for the flavour's own
/// counts: image, thinking), or nullptr, `u` untouched, when `root` has no such object (the
/// verdict records usage_missing).
const json* read_usage_counts(const json& root, const usage_fields& fields, usage& u);

/// One type of part a flavour reads from a content array: the string member `key` of each part
/// whose "type" is `type` is appended to the reply's `into` (text, refusal, reasoning).
struct typed_part {
  std::string_view type;
  std::string_view key;
  std::string reply::*into;
};

/// Appends the parts of the array `parts` by their "type", as `kinds` says; parts of other types
/// or without one are skipped. Stops once the text passes reply_text_limit (the rest would be
/// cut anyway).
void take_typed_parts(const json& parts, std::initializer_list<typed_part> kinds, reply& r);

/// What makes a member a success payload: any value but null, or an array.
enum class payload_test : std::uint8_t { not_null, array };

/// What a flavour's JSON reply holds and how its parts are read (parse_json_reply).
struct json_reply_reader {
  /// The member holding the success payload ("choices", "output", "content", "candidates").
  std::string_view payload_key;
  /// A body with a success payload holds no error, so its top-level "message" belongs to the
  /// payload (parse_error_body).
  payload_test payload = payload_test::not_null;
  /// Reads the payload into the reply; what is wrong with it, or empty when well formed.
  std::string (*read_payload)(const json& root, reply& r) = nullptr;
  void (*read_usage)(const json& root, usage& u) = nullptr;
  /// The flavour's own error fields, read after parse_error_body's; none when nullptr.
  void (*read_errors)(const json& root, bool has_payload, reply& r) = nullptr;
  /// A body that is a one-element array is read as its element (Gemini wraps errors, and its
  /// non-SSE stream form, so); the error fields are read from the body as it is.
  bool unwrap_one_element_array = false;
};

/// A JSON reply body read the way every flavour reads it: parse_json; the error fields
/// (parse_error_body, then `reader.read_errors`); `reader.read_payload`, whose message becomes
/// `r.parse_error`; `reader.read_usage` into `r.tokens`; then cap_reply_text.
void parse_json_reply(std::string_view body, reply& r, const json_reply_reader& reader);

}  // namespace visionwatch::adapter_support
