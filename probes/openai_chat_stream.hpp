#pragma once
/// The stream decoder of the OpenAI chat completions flavour (`"stream": true` with
/// `stream_options.include_usage`): data-only SSE, one `chat.completion.chunk` JSON per event,
/// `data: [DONE]` last. Also what Azure and most OpenAI-compatible gateways send. Internal to
/// probes/: callers go through adapter.hpp (make_stream_decoder).
///
/// What it reads (../shared/fixtures/api-flavours/openai-chat-stream.json):
/// - text from `choices[0].delta.content` (the first chunk's role-only `content: ""` is no
///   text), refusal from `delta.refusal`, reasoning from `delta.reasoning_content`/`reasoning`;
/// - `finish_reason` from the last chunk that names one; the served `model`;
/// - usage from the extra `choices: []` chunk before [DONE] (the last non-null usage: some
///   gateways repeat it on every chunk, cumulatively);
/// - a chunk with an `error` member (or an `event: error`) after HTTP 200: stream_error;
/// - no `[DONE]` before the body ends: stream_error, usage unknown.

#include <memory>
#include <vector>

#include "probes/sse.hpp"
#include "probes/stream_decoder.hpp"

namespace visionwatch::openai_chat {

class chat_stream_decoder final : public stream_decoder {
 public:
  bool on_headers(unsigned status, const header_list& headers) override;
  body_progress on_body(std::string_view bytes) override;
  reply finish(const http_result& result, std::chrono::system_clock::time_point now) override;

 private:
  /// One SSE event; false when the stream must stop (error event, malformed chunk).
  bool take(const sse::event& e);
  bool take_chunk(std::string_view data);

  sse::reader sse_;
  std::vector<sse::event> events_;
  reply reply_;
  std::size_t chunks_ = 0;
  bool text_seen_ = false;
  bool done_ = false;    ///< `data: [DONE]` arrived
  bool broken_ = false;  ///< a malformed chunk or framing: reply_.parse_error says why
};

std::unique_ptr<stream_decoder> make_stream_decoder();

}  // namespace visionwatch::openai_chat
