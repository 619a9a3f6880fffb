#pragma once
/// Streamed replies of the simulated gateway in every SSE flavour: the whole reply that
/// sim_flavours (OpenAI Responses, Anthropic Messages, Azure OpenAI, chat) or sim_native
/// (Gemini) answered becomes the event sequence that flavour's API streams
/// (../shared/fixtures/api-flavours/*.json stream_events), written over time by play_stream()
/// (sim_stream.hpp) with the same endings: complete, an error event after HTTP 200 in the
/// flavour's own shape, or a stream cut off after its first text. Pure (builds a
/// response_plan); runs on the sim gateway's thread. Bedrock's binary event stream is not SSE
/// and not here.

#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_stream.hpp"

namespace visionwatch {

/// True when `request` asks for a streamed reply: `"stream": true` in its body, or Gemini's
/// `:streamGenerateContent` path.
bool asks_for_stream(const received_request& request);

/// `whole` streamed as the request's flavour streams it, when the request asks for a stream
/// and `whole` is a success in that flavour's shape:
/// - openai-chat: chat chunks, a usage chunk, `data: [DONE]`; error: an `error` chunk;
/// - azure-openai: the same after Azure's first chunk (`choices: []` with
///   prompt_filter_results);
/// - openai-responses: response.created ... output_text deltas ... response.completed (usage
///   only there); error: `event: error`;
/// - anthropic-messages: message_start (input tokens), content_block_start, ping, text deltas,
///   content_block_stop, message_delta (stop reason, cumulative output tokens), message_stop;
///   error: `event: error` overloaded_error;
/// - gemini (`alt=sse`): one GenerateContentResponse per delta with cumulative usageMetadata,
///   the last with finishReason; error: an `error` chunk. Without alt=sse, the API's JSON
///   array (here of one response).
/// Anything else (an error status, a broken body, a request without a stream) is returned
/// unchanged: an API answers errors before a stream starts as one JSON body.
response_plan stream_reply(const received_request& request,
                           const response_plan& whole,
                           const sim_stream_options& options);

}  // namespace visionwatch
