#pragma once
/// The OpenAI Responses flavour (POST {base_url}/responses): `input` with `input_text` and
/// `input_image` parts, `max_output_tokens`, `store: false` so probes are not retained. Internal
/// to probes/: callers go through adapter.hpp.

#include <chrono>

#include "probes/adapter.hpp"

namespace visionwatch::openai_responses {

http_request build_request(const probe_request& request);

/// Never throws. Text from every `message` item's `output_text` parts (a reasoning model puts a
/// `reasoning` item first: its summary goes to reply.reasoning), `refusal` parts, status
/// `incomplete` with `incomplete_details.reason` as the finish reason, `model`, usage
/// `input_tokens`/`output_tokens` (+ `input_tokens_details.cached_tokens`), error bodies.
reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now);

}  // namespace visionwatch::openai_responses
