#pragma once
/// The stream decoder of the OpenAI Responses flavour (`"stream": true`): SSE with `event:`
/// names that `data.type` repeats (../shared/fixtures/api-flavours/openai-responses.json).
/// Internal to probes/: callers go through adapter.hpp (make_stream_decoder).
///
/// What it reads:
/// - text from `response.output_text.delta` (response.created, in_progress, output_item.added
///   and content_part.added come before any text and are none), refusal from
///   `response.refusal.delta`, reasoning from `response.reasoning_summary_text.delta` and
///   `response.reasoning_text.delta`;
/// - the final `response.completed` (or `response.incomplete`): model, finish reason and the
///   usage, which only this event carries; its output's text when no delta carried any;
/// - `response.failed` or an `error` event after HTTP 200: stream_error with its message;
/// - no final event before the body ends: stream_error, usage unknown. A `data: [DONE]`
///   (some gateways add one) is ignored.

#include <memory>

#include "probes/sse_reply_stream.hpp"

namespace visionwatch::openai_responses {

class responses_stream_decoder final : public sse_reply_stream {
 public:
  responses_stream_decoder();

 private:
  bool take_event(std::string_view type, const json& root) override;
  bool take_final(const json& response);
};

std::unique_ptr<stream_decoder> make_stream_decoder();

}  // namespace visionwatch::openai_responses
