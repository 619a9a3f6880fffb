#pragma once
/// The Azure OpenAI flavour: chat completions on a deployment. `base_url` is the resource's
/// `https://RES.openai.azure.com/openai`, the route's `model` is the deployment:
/// POST {base_url}/deployments/{model}/chat/completions?api-version=... with an `api-key`
/// header (or `Authorization: Bearer` for an Entra ID token from bearer_token_file). The body is
/// chat's without `model` (the path selects it); replies are parsed by openai_chat's parser.
/// Internal to probes/: callers go through adapter.hpp.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "probes/adapter.hpp"

namespace visionwatch::azure_openai {

/// The deployment's chat completions URL: the deployment name percent-encoded into the path,
/// before base_url's query string, and api-version added unless base_url carries one.
std::string endpoint_url(const probe_request& request);

/// With probe_request::stream: `"stream": true`, `stream_options.include_usage` and
/// `Accept: text/event-stream`.
http_request build_request(const probe_request& request);

/// Never throws. openai_chat's parser, then Azure's retry hints (Retry-After, retry-after-ms,
/// "Please retry after N seconds" in the message) and the native flavours' error conventions.
reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now);

/// The stream decoder: Azure streams chat's chunks (its first chunk has `choices: []` and
/// prompt_filter_results; usage in the last chunk before [DONE]), so this is openai_chat's
/// decoder with Azure's parse_reply for what is not streamed (error statuses and their retry
/// hints).
std::unique_ptr<stream_decoder> make_stream_decoder();

}  // namespace visionwatch::azure_openai
