#pragma once
/// The OpenAI chat completions flavour (POST {base_url}/chat/completions), also spoken by most
/// gateways (LiteLLM, OpenRouter, one-api/new-api, vLLM, Ollama, LM Studio, Gemini's
/// OpenAI-compatible endpoint). Internal to probes/: callers go through adapter.hpp.

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "probes/adapter.hpp"

namespace visionwatch::openai_chat {

/// "{base_url}/chat/completions" without a doubled slash, before base_url's query string; a
/// base_url that already ends in /chat/completions is used as is.
std::string endpoint_url(std::string_view base_url);

http_request build_request(const probe_request& request);

/// The serialised chat completions body, shared with azure_openai (whose deployment in the path
/// selects the model, so `name_model` false leaves out `model`): the conversation with the
/// image parts, max tokens, temperature, and a stream that reports usage.
std::string request_body(const probe_request& request, api_flavour flavour, bool name_model);

/// Reads `root.usage` (chat's names, Anthropic-style names, prompt_tokens_details) into `u`;
/// absent or null usage leaves `u` as it is. Shared with the stream decoder.
void parse_usage(const nlohmann::json& root, usage& u);

/// Never throws. See docs/verdict.md ("Parsing replies") for every tolerated shape.
reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now);

}  // namespace visionwatch::openai_chat
