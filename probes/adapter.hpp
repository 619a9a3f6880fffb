#pragma once
/// API adapters: build a request for a flavour, parse its response into the neutral `reply`.
/// Pure (no I/O). One file per flavour (openai_chat.cpp, ...); this header is the whole boundary,
/// so Anthropic Messages, Gemini or the Responses API slot in without touching the verdict.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "probes/http_types.hpp"
#include "probes/reply.hpp"

namespace visionwatch {

enum class api_flavour : std::uint8_t {
  openai_chat,  ///< POST {base_url}/chat/completions, OpenAI chat completions schema
};

std::string_view to_string(api_flavour f) noexcept;  ///< "openai-chat"
std::optional<api_flavour> api_flavour_from_string(std::string_view s) noexcept;

struct image_part {
  std::string url;     ///< a data: URL (base64 PNG) or a remote http(s) URL the gateway fetches
  std::string detail;  ///< "low" | "high" | "auto" | "" (omitted)
};

/// What to ask: one user message with the prompt and, unless this is the text-only control
/// request that measures the usage baseline, one image.
struct probe_request {
  std::string base_url;  ///< e.g. https://api.openai.com/v1 (no trailing slash needed)
  std::string model;
  std::string prompt;
  std::optional<image_part> image;
  std::optional<int> max_tokens;
  /// Send the limit as `max_completion_tokens` instead of `max_tokens`. OpenAI deprecated
  /// max_tokens and its reasoning models (o-series, gpt-5) reject it; most OpenAI-compatible
  /// gateways (vLLM, Ollama, LM Studio, older LiteLLM/one-api) only know max_tokens, hence the
  /// default.
  bool use_max_completion_tokens = false;
  std::optional<double> temperature;
  std::string api_key;  ///< secret: sent as Authorization: Bearer, never logged
  header_list extra_headers;
};

/// "visionwatch/<version>": the default User-Agent (extra headers may override it).
std::string_view default_user_agent() noexcept;

http_request build_request(api_flavour flavour, const probe_request& request);

/// Parses any response (2xx or error body). Never throws: malformed input gives
/// `well_formed == false` and a short `parse_error`. An HTTP-date Retry-After is resolved against
/// the response's own Date header, else against `now` (pass it for deterministic results).
reply parse_reply(api_flavour flavour,
                  const http_result& result,
                  std::chrono::system_clock::time_point now);
/// As above with `now` = the system clock (used only when the response has no Date header).
reply parse_reply(api_flavour flavour, const http_result& result);

/// "data:image/png;base64,..." for PNG bytes.
std::string png_data_url(std::string_view png);
/// "data:<mime>;base64,..." for any image bytes.
std::string data_url(std::string_view mime, std::string_view bytes);

}  // namespace visionwatch
