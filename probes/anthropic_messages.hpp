#pragma once
/// The Anthropic Messages flavour (POST {base_url}/messages): `x-api-key` and `anthropic-version`
/// headers, `max_tokens` always sent (required by the API; default_anthropic_max_tokens when the
/// route sets none), image blocks before the text block with a base64 `source` (media type from
/// the data URL) or a `url` source for remote images. Internal to probes/: callers go through
/// adapter.hpp.

#include <chrono>

#include "probes/adapter.hpp"

namespace visionwatch::anthropic_messages {

http_request build_request(const probe_request& request);

/// Never throws. Text from `text` content blocks, `thinking` blocks to reply.reasoning,
/// `stop_reason` in chat's vocabulary (end_turn/stop_sequence: stop, max_tokens: length,
/// refusal: the refusal), `model`, usage (input_tokens plus the cache_* input fields, which
/// input_tokens leaves out; output_tokens), error bodies {"type":"error","error":{...}}.
reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now);

}  // namespace visionwatch::anthropic_messages
