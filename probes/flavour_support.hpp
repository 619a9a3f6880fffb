#pragma once
/// Request and error-reply steps the flavours share beyond adapter_support: the common headers
/// and the flavour's authentication, serialising a body and splicing data URLs into it, and the
/// native flavours' (openai-responses, anthropic-messages, azure-openai) error conventions (a
/// refused key says so; a spend or quota 429 carries no retry hint). Internal to probes/. Pure,
/// no I/O.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "probes/adapter.hpp"

namespace visionwatch::flavour_support {

/// Content-Type, Accept (`text/event-stream` for a streamed request) and User-Agent, then the
/// authentication: `Authorization: Bearer <key>`
/// when `key_header` is empty or the request's key is a bearer token, else `<key_header>: <key>`
/// (nothing without a key), then `extra_headers`, each replacing a header of the same name.
/// `stream_accept` is what a streamed request accepts (Bedrock: its event stream).
void set_headers(const probe_request& request,
                 std::string_view key_header,
                 header_list& out,
                 std::string_view stream_accept = "text/event-stream");

/// `body` as sent, with the request's `temperature` and `stream: true` when it asks for them
/// (OpenAI's and Anthropic's spelling). A prompt with invalid UTF-8 is sent with U+FFFD
/// instead of throwing.
std::string serialise_body(nlohmann::json body, const probe_request& request);

/// Adds the object `key` ("generationConfig", "inferenceConfig") holding the request's
/// `max_tokens` (as `max_tokens_key`) and `temperature` when it asks for either: Gemini's and
/// Bedrock's spelling of what serialise_body sends at the top level for OpenAI and Anthropic.
void add_inference_config(nlohmann::json& body,
                          std::string_view key,
                          std::string_view max_tokens_key,
                          const probe_request& request);

/// The long strings of a request body (data URLs, base64 image bytes) under the member `key`,
/// in body order. Each is held empty while the body is built and spliced into the serialised
/// body afterwards when it needs no JSON escaping (adapter_support::is_plain_json_string):
/// hundreds of kilobytes of base64 skip the serialiser's per-byte work.
class spliced_values {
 public:
  spliced_values(std::string_view key, std::size_t count) : key_(key) { values_.reserve(count); }

  /// What the body holds for `value`: "" when it is spliced in later, else `value` itself (it
  /// goes through the serialiser). `value` must outlive splice_into().
  std::string hold(std::string_view value);

  /// Splices the held values into `body`, the serialised JSON (splice_strings).
  void splice_into(std::string& body) const;

 private:
  std::string_view key_;
  std::vector<std::string_view> values_;
};

/// Writes one image's part in a flavour's form; its long string (data URL, base64) goes through
/// `held.hold()`.
using image_part_writer = nlohmann::json (*)(const image_part& image, spliced_values& held);

/// The flavour's turns (request_shapes::conversation) around its image turn
/// (request_shapes::image_turn): `image` writes each of the request's images in order, holding
/// its long strings in `held`, to be spliced into the serialised body.
nlohmann::json image_conversation(api_flavour flavour,
                                  const probe_request& request,
                                  image_part_writer image,
                                  spliced_values& held);

/// How a flavour spells its request body around the conversation: the member holding it, how
/// each image is written and the member of each image's long string (spliced in), and where the
/// sampling settings go.
struct body_spelling {
  api_flavour flavour;
  std::string_view conversation_key;  ///< "messages", "input", "contents"
  image_part_writer image;
  std::string_view held_key;  ///< "url", "image_url", "data", "bytes"
  /// Gemini's and Bedrock's object for max_tokens and temperature (add_inference_config).
  struct config_object {
    std::string_view key;  ///< "generationConfig", "inferenceConfig"; empty: none
    std::string_view max_tokens_key;
  };
  /// Without one: serialise_body's top-level temperature and stream, and max tokens among the
  /// flavour's own members.
  config_object inference_config = {};
};

/// A flavour's serialised request body: `{conversation_key: image_conversation(...)}`, the system
/// prompt and tool (request_shapes::add_system_and_tool), the flavour's own `members` (model, max
/// tokens, ...) merged in, the sampling settings where `spelling` puts them, then each image's
/// long string spliced in. The members are those of a JSON object, so the order they are added in
/// does not change the bytes.
std::string image_request_body(const body_spelling& spelling,
                               const probe_request& request,
                               nlohmann::json members = nlohmann::json::object());

/// Inserts `values[i]` into the i-th `"key":""` of `body` (a serialised JSON whose `key` members
/// appear in the values' order; `"key":"` can only be the key itself, as the same bytes inside a
/// string would be escaped); an empty value leaves its occurrence as it is. A data URL is
/// hundreds of kilobytes of base64 that needs no escaping (adapter_support::is_plain_json_string),
/// so it skips the serialiser's per-byte work.
void splice_strings(std::string& body,
                    std::string_view key,
                    const std::vector<std::string_view>& values);

/// True for a 429 that says a spend or quota limit is reached (OpenAI `insufficient_quota`,
/// Anthropic `enforced_spend_limit_reached`, billing messages): retrying soon does not help.
bool quota_exhausted(unsigned status, const reply& r);

/// Without a Retry-After, the `retry-after-ms` header (OpenAI, Anthropic and Azure send it; their
/// SDKs read it) is the retry hint, rounded up to seconds and clamped like Retry-After.
void read_retry_after_ms(const http_result& result, reply& r);

/// The error conventions of the native flavours, applied after parsing: read_retry_after_ms;
/// a 401/403 message says the key was refused; a quota 429 drops
/// its retry hint (the route keeps its own interval
/// instead of being deferred as for a short rate limit, see docs/configuration.md).
void finish_error_reply(const http_result& result, reply& r);

/// A native flavour's whole parse_reply: adapter_support::parse_reply_with over `parse_body`,
/// then finish_error_reply.
reply parse_native_reply(const http_result& result,
                         std::chrono::system_clock::time_point now,
                         void (*parse_body)(std::string_view body, reply& r));

}  // namespace visionwatch::flavour_support
