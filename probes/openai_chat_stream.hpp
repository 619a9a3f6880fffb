#pragma once
/// The stream decoder of the OpenAI chat completions flavour (`"stream": true` with
/// `stream_options.include_usage`): data-only SSE, one `chat.completion.chunk` JSON per event,
/// `data: [DONE]` last. Also what Azure (with its own whole-body parser: azure_openai.hpp) and
/// most OpenAI-compatible gateways send. Internal to probes/: callers go through adapter.hpp
/// (make_stream_decoder).
///
/// What it reads (../shared/fixtures/api-flavours/openai-chat-stream.json):
/// - text from `choices[0].delta.content` (the first chunk's role-only `content: ""` is no
///   text), refusal from `delta.refusal`, reasoning from `delta.reasoning_content`/`reasoning`;
/// - `finish_reason` from the last chunk that names one; the served `model`;
/// - usage from the extra `choices: []` chunk before [DONE] (the last non-null usage: some
///   gateways repeat it on every chunk, cumulatively); Azure's first `choices: []` chunk with
///   `prompt_filter_results` carries nothing;
/// - a chunk with an `error` member (or an `event: error`) after HTTP 200: stream_error;
/// - no `[DONE]` before the body ends: stream_error, usage unknown.

#include <memory>

#include "probes/sse_reply_stream.hpp"

namespace visionwatch::openai_chat {

class chat_stream_decoder final : public sse_reply_stream {
 public:
  /// `whole`: the parser of what is not streamed (openai_chat::parse_reply by default).
  explicit chat_stream_decoder(whole_parser whole = nullptr);

 private:
  bool take_event(std::string_view type, const json& root) override;
  void on_done_marker() override;
};

std::unique_ptr<stream_decoder> make_stream_decoder();

}  // namespace visionwatch::openai_chat
