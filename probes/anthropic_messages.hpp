#pragma once
/// The Anthropic Messages flavour (POST {base_url}/messages): `x-api-key` and `anthropic-version`
/// headers, `max_tokens` always sent (required by the API; default_anthropic_max_tokens when the
/// route sets none), image blocks before the text block with a base64 `source` (media type from
/// the data URL) or a `url` source for remote images. Internal to probes/: callers go through
/// adapter.hpp.

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "probes/adapter.hpp"

namespace visionwatch::anthropic_messages {

/// With probe_request::stream: `"stream": true` and `Accept: text/event-stream`.
http_request build_request(const probe_request& request);

/// Reads `root.usage` into `u`: the prompt is input_tokens plus the cache_* input fields, which
/// input_tokens leaves out; output_tokens; the total computed (the API sends none). Shared with
/// the stream decoder, which assembles the usage of message_start and message_delta.
void parse_usage(const nlohmann::json& root, usage& u);
/// `stop_reason` in chat's vocabulary (end_turn/stop_sequence: stop, max_tokens: length,
/// refusal: the refusal, which is `r.text` when there is any): call it after the text is read.
void read_stop_reason(std::string_view stop, reply& r);

/// Never throws. Text from `text` content blocks, `thinking` blocks to reply.reasoning,
/// `stop_reason` in chat's vocabulary (end_turn/stop_sequence: stop, max_tokens: length,
/// refusal: the refusal), `model`, usage (input_tokens plus the cache_* input fields, which
/// input_tokens leaves out; output_tokens), error bodies {"type":"error","error":{...}}.
reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now);

}  // namespace visionwatch::anthropic_messages
