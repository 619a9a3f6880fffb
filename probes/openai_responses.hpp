#pragma once
/// The OpenAI Responses flavour (POST {base_url}/responses): `input` with `input_text` and
/// `input_image` parts, `max_output_tokens`, `store: false` so probes are not retained. Internal
/// to probes/: callers go through adapter.hpp.

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "probes/adapter.hpp"

namespace visionwatch::openai_responses {

/// With probe_request::stream: `"stream": true` and `Accept: text/event-stream`.
http_request build_request(const probe_request& request);

/// Reads a Response object (a whole body, or the `response` of a stream's final event) into
/// `r`: `model`, the status as the finish reason, the output texts, refusals and reasoning.
/// Returns what is wrong with it, empty when well formed. Shared with the stream decoder.
std::string read_response(const nlohmann::json& response, reply& r);
/// Reads `root.usage` (input_tokens, output_tokens, total_tokens, cached tokens) into `u`.
void parse_usage(const nlohmann::json& root, usage& u);

/// Never throws. Text from every `message` item's `output_text` parts (a reasoning model puts a
/// `reasoning` item first: its summary goes to reply.reasoning), `refusal` parts, status
/// `incomplete` with `incomplete_details.reason` as the finish reason, `model`, usage
/// `input_tokens`/`output_tokens` (+ `input_tokens_details.cached_tokens`), error bodies.
reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now);

}  // namespace visionwatch::openai_responses
