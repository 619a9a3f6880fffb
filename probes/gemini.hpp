#pragma once
/// The Google Gemini API flavour (generativelanguage.googleapis.com v1beta):
/// POST {base_url}/models/{model}:generateContent with `x-goog-api-key`. Wire shapes from
/// ../shared/fixtures/api-flavours/gemini-generatecontent.json. Internal to probes/: callers go
/// through adapter.hpp.

#include <chrono>
#include <string>
#include <string_view>

#include "probes/adapter.hpp"

namespace visionwatch::gemini {

/// "{base_url}/models/{model}:generateContent" (the base_url's query string kept at the end);
/// a model given as "models/<id>" is not prefixed twice.
std::string endpoint_url(std::string_view base_url, std::string_view model);

/// One user content: the images (inline_data from a data: URL, file_data for a remote URL), then
/// the prompt; generationConfig {maxOutputTokens, temperature} when set.
http_request build_request(const probe_request& request);

/// Never throws. Text from candidates[0].content.parts[].text (thought parts go to `reasoning`);
/// finishReason STOP → "stop", MAX_TOKENS → "length", the safety family → "content_filter";
/// a prompt blocked by promptFeedback.blockReason is a refusal; modelVersion → `model`;
/// usageMetadata with the IMAGE entry of promptTokensDetails as image tokens. A refused API key
/// (HTTP 400 API_KEY_INVALID) says so in the error message.
reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now);

}  // namespace visionwatch::gemini
