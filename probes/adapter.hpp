#pragma once
/// API adapters: build a request for a flavour, parse its response into the neutral `reply`.
/// Pure (no I/O). This header is the whole boundary: the daemon, the tests and the verdict see
/// only `probe_request`, `http_request`/`http_result` and `reply`, so a new API (OpenAI
/// Responses, Anthropic Messages, Gemini, Azure OpenAI, Bedrock Converse) slots in without
/// touching them.
///
/// ## The flavour contract
/// A flavour is one file pair, `probes/<flavour>.{hpp,cpp}` in namespace
/// `visionwatch::<flavour>` (internal to probes/), with two pure functions:
///
/// - `http_request build_request(const probe_request&)`: the URL from `base_url` (tolerating a
///   trailing slash), the method, a JSON body with one user message holding the prompt and,
///   when `image` is set, the image (the shapes' system prompt, tool and earlier turn in the
///   flavour's own form: probes/request_shapes.hpp); headers Content-Type, Accept, User-Agent
///   (`default_user_agent()`) and the flavour's authentication from `api_key`, then
///   `extra_headers`, each replacing a header of the same name (case-insensitive): a header is
///   never sent twice. Secrets go only into headers.
/// - `reply parse_reply(const http_result&, std::chrono::system_clock::time_point now)`: never
///   throws; honours reply.hpp's caps and UTF-8 rules; sets `well_formed` only for a 2xx-shaped
///   success body; fills `error_message`/`error_code`/`retry_after` from error bodies and
///   headers. `adapter_support::parse_reply_with` and its JSON helpers
///   (probes/adapter_support.hpp) do the flavour-independent steps, so the flavour parses only
///   its own schema (text, refusal, finish reason, usage); a tool call is finish reason
///   `tool_calls` (adapter_support::note_tool_call).
///
/// Then it gets an `api_flavour` enumerator and one row in the flavour table in adapter.cpp
/// (config name → build_request, parse_reply, make_stream); nothing else changes. A flavour
/// that can stream (`stream: true`) also has a stream decoder (probes/stream_decoder.hpp) made
/// by `make_stream`, and its build_request honours probe_request::stream; nullptr there: it
/// cannot stream, and the configuration refuses `stream: true` for it. The row's name is the
/// `api:` value in the configuration and the `api` metric label.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/http_types.hpp"
#include "probes/probe_shape.hpp"
#include "probes/reply.hpp"
#include "probes/stream_decoder.hpp"
#include "probes/sigv4.hpp"

namespace visionwatch {

/// One enumerator per row of the flavour table (adapter.cpp), in the same order.
enum class api_flavour : std::uint8_t {
  openai_chat,         ///< "openai-chat": POST {base_url}/chat/completions (probes/openai_chat.cpp)
  openai_responses,    ///< "openai-responses": POST {base_url}/responses
  anthropic_messages,  ///< "anthropic-messages": POST {base_url}/messages
  azure_openai,        ///< "azure-openai": POST {base_url}/deployments/{model}/chat/completions
  gemini,              ///< "gemini": POST {base_url}/models/{model}:generateContent
  /// "bedrock-converse": POST {base_url}/model/{modelId}/converse, SigV4 or a Bedrock API key
  /// (probes/bedrock_converse.cpp)
  bedrock_converse,
};

/// The anthropic-version header when the gateway sets none (gateway option anthropic_version).
inline constexpr std::string_view default_anthropic_version = "2023-06-01";
/// Azure OpenAI's api-version query parameter when the gateway sets none (option api_version).
inline constexpr std::string_view default_azure_api_version = "2024-10-21";
/// anthropic-messages requires max_tokens; this is sent when the route sets none.
inline constexpr int default_anthropic_max_tokens = 1024;

/// The configuration spelling ("openai-chat"); "unknown" for a value outside the enum.
std::string_view to_string(api_flavour f) noexcept;
/// The flavour with this configuration spelling, if any.
std::optional<api_flavour> api_flavour_from_string(std::string_view s) noexcept;
/// Every configuration spelling, in enum order (for "use one of ..." messages).
std::vector<std::string_view> api_flavour_names();

struct image_part {
  std::string url;     ///< a data: URL (base64 PNG) or a remote http(s) URL the gateway fetches
  std::string detail;  ///< "low" | "high" | "auto" | "" (omitted)
};

/// Shape `history` (probes/probe_shape.hpp): an earlier exchange that carries the images.
struct earlier_turn {
  std::string question;  ///< the first user turn's text, sent with the images
  std::string reply;     ///< the assistant's answer to it
};

/// What to ask: one user message with the prompt and, unless this is the text-only control
/// request that measures the usage baseline (no images), the images in order. The shape fields
/// (system_prompt, declare_tool, earlier) change the request's form, never its question; the
/// control request of a shape sets them too, so that only the images differ (their text bills
/// prompt tokens).
struct probe_request {
  std::string base_url;  ///< e.g. https://api.openai.com/v1 (no trailing slash needed)
  std::string model;
  std::string prompt;
  std::vector<image_part> images;  ///< empty for the text-only control request
  /// Shape `system`: a system message before the user turn (each flavour's own form); empty:
  /// none.
  std::string system_prompt;
  /// Shape `tools`: declare one harmless function tool (each flavour's own tool format) that
  /// the question does not need; the model is left free to call it or not.
  bool declare_tool = false;
  /// Shape `history`: the images and earlier->question form an earlier user turn, answered by
  /// earlier->reply as the assistant; `prompt` alone is the last user turn.
  std::optional<earlier_turn> earlier;
  std::optional<int> max_tokens;
  /// Send the limit as `max_completion_tokens` instead of `max_tokens`. OpenAI deprecated
  /// max_tokens and its reasoning models (o-series, gpt-5) reject it; most OpenAI-compatible
  /// gateways (vLLM, Ollama, LM Studio, older LiteLLM/one-api) only know max_tokens, hence the
  /// default.
  bool use_max_completion_tokens = false;
  std::optional<double> temperature;
  /// Secret: sent in the flavour's authentication header (openai-*: Authorization: Bearer,
  /// anthropic-messages: x-api-key, azure-openai: api-key); never logged.
  std::string api_key;
  /// `api_key` is a short-lived bearer token (gateway option bearer_token_file: Azure Entra ID,
  /// an OAuth gateway): every flavour sends it as `Authorization: Bearer`, also those whose key
  /// header is another one.
  bool bearer_token = false;
  /// anthropic-messages: the anthropic-version header; empty means default_anthropic_version.
  std::string anthropic_version;
  /// azure-openai: the api-version query parameter; empty means default_azure_api_version. A
  /// base_url that carries its own ?api-version= keeps it.
  std::string api_version;
  header_list extra_headers;
  /// Ask for a streamed reply (and, where the flavour needs it, usage in the stream); only for
  /// a flavour where can_stream() holds.
  bool stream = false;
  /// When the request is built, for flavours whose authentication depends on the time (SigV4's
  /// X-Amz-Date). The probe runner sets it; build_request itself never reads a clock.
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  /// bedrock-converse without `api_key`: the SigV4 credentials (the secret key and the session
  /// token are secrets, never logged) and the signing region ("us-east-1").
  sigv4::credentials aws_credentials;
  std::string aws_region;
};

/// "visionwatch/<version>": the default User-Agent (extra headers may override it).
std::string_view default_user_agent() noexcept;

/// The HTTP request for `flavour` (see the flavour contract above).
http_request build_request(api_flavour flavour, const probe_request& request);

/// Parses any response (2xx or error body). Never throws: malformed input gives
/// `well_formed == false` and a short `parse_error`. An HTTP-date Retry-After is resolved against
/// the response's own Date header, else against `now` (pass it for deterministic results).
reply parse_reply(api_flavour flavour,
                  const http_result& result,
                  std::chrono::system_clock::time_point now);
/// As above with `now` = the system clock (used only when the response has no Date header).
reply parse_reply(api_flavour flavour, const http_result& result);

/// Why `flavour` cannot send probes of `shape` (a format its documentation rejects, e.g. GIF on
/// Gemini), or nullopt when it can. Config validation refuses such a shape for the route.
std::optional<std::string> shape_unsupported(api_flavour flavour, probe_shape shape);

/// Whether the flavour has a stream decoder (`stream: true` is allowed).
bool can_stream(api_flavour flavour) noexcept;

/// A fresh decoder for one streamed reply of `flavour`; nullptr when it cannot stream.
std::unique_ptr<stream_decoder> make_stream_decoder(api_flavour flavour);

/// "data:image/png;base64,..." for PNG bytes.
std::string png_data_url(std::string_view png);
/// "data:<mime>;base64,..." for any image bytes.
std::string data_url(std::string_view mime, std::string_view bytes);

}  // namespace visionwatch
