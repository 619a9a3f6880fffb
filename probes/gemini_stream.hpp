#pragma once
/// The stream decoder of the Gemini flavour (`:streamGenerateContent?alt=sse`): data-only SSE,
/// one GenerateContentResponse JSON per event, no `[DONE]`: the chunk that carries
/// `finishReason` is the last, then the connection closes
/// (../shared/fixtures/api-flavours/gemini-generatecontent.json). Internal to probes/: callers
/// go through adapter.hpp (make_stream_decoder).
///
/// What it reads, chunk by chunk, with gemini's whole-body reader (read_candidates):
/// - text parts of candidates[0] (thought parts go to the reasoning: with thinking on, the time
///   to first token includes all the thinking);
/// - a `functionCall` part in any chunk: the reply is a tool call (finish reason `tool_calls`,
///   as in the whole-body reader), though the final chunk says only STOP;
/// - `finishReason` (the final chunk), a blocked prompt (promptFeedback.blockReason) as the
///   refusal, `modelVersion`;
/// - `usageMetadata` on every chunk, cumulative: the last chunk's is the usage (with the IMAGE
///   entry of promptTokensDetails as image tokens), never a sum;
/// - a chunk with an `error` member after HTTP 200: stream_error with its message;
/// - no finishReason before the body ends: stream_error, usage unknown.

#include <memory>

#include "probes/sse_reply_stream.hpp"

namespace visionwatch::gemini {

class gemini_stream_decoder final : public sse_reply_stream {
 public:
  gemini_stream_decoder();

 private:
  bool take_event(std::string_view type, const json& root) override;

  bool tool_called_ = false;  ///< a chunk carried a functionCall part
};

std::unique_ptr<stream_decoder> make_stream_decoder();

}  // namespace visionwatch::gemini
