#pragma once
/// The Google Gemini API flavour (generativelanguage.googleapis.com v1beta):
/// POST {base_url}/models/{model}:generateContent with `x-goog-api-key`. Wire shapes from
/// ../shared/fixtures/api-flavours/gemini-generatecontent.json. Internal to probes/: callers go
/// through adapter.hpp.

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "probes/adapter.hpp"

namespace visionwatch::gemini {

/// "{base_url}/models/{model}:generateContent" (the base_url's query string kept at the end);
/// a model given as "models/<id>" is not prefixed twice. `stream`:
/// "{base_url}/models/{model}:streamGenerateContent?alt=sse" (SSE framing).
std::string endpoint_url(std::string_view base_url, std::string_view model, bool stream = false);

/// One user content: the images (inline_data from a data: URL, file_data for a remote URL), then
/// the prompt; generationConfig {maxOutputTokens, temperature} when set.
/// With probe_request::stream, the streaming endpoint and `Accept: text/event-stream`.
http_request build_request(const probe_request& request);

/// Reads one GenerateContentResponse (a whole body, or one chunk of a stream) into `r`:
/// modelVersion, candidates[0]'s text and thought parts, its finish reason, a blocked prompt
/// or withheld answer as a refusal. Returns what is wrong with it, empty when well formed.
/// Shared with the stream decoder.
std::string read_candidates(const nlohmann::json& root, reply& r);
/// Reads `root.usageMetadata` into `u` (thinking tokens counted as completion tokens, the
/// IMAGE entry of promptTokensDetails as image tokens).
void parse_usage(const nlohmann::json& root, usage& u);

/// Never throws. Text from candidates[0].content.parts[].text (thought parts go to `reasoning`);
/// finishReason STOP → "stop", MAX_TOKENS → "length", the safety family → "content_filter";
/// a prompt blocked by promptFeedback.blockReason is a refusal; modelVersion → `model`;
/// usageMetadata with the IMAGE entry of promptTokensDetails as image tokens. A refused API key
/// (HTTP 400 API_KEY_INVALID) says so in the error message.
reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now);

}  // namespace visionwatch::gemini
