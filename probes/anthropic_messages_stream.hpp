#pragma once
/// The stream decoder of the Anthropic Messages flavour (`"stream": true`): SSE with `event:`
/// names that `data.type` repeats, in the order message_start, (content_block_start,
/// content_block_delta*, content_block_stop)*, message_delta, message_stop, with `ping`
/// anywhere (../shared/fixtures/api-flavours/anthropic-messages.json). Internal to probes/:
/// callers go through adapter.hpp (make_stream_decoder).
///
/// What it reads:
/// - text from `text_delta` deltas (message_start, ping and the empty content_block_start are
///   no text), reasoning from `thinking_delta` deltas;
/// - the model and the input usage from `message_start`; the stop reason and the output usage
///   from `message_delta`. Counts are cumulative: each field's last value is taken, never a sum
///   (message_start's output_tokens is a placeholder that message_delta replaces);
/// - `event: error` after HTTP 200 (`overloaded_error`): stream_error with its message;
/// - no `message_stop` before the body ends: stream_error, usage unknown. Unknown events are
///   ignored, as the API asks.

#include <memory>

#include "probes/sse_reply_stream.hpp"

namespace visionwatch::anthropic_messages {

class messages_stream_decoder final : public sse_reply_stream {
 public:
  messages_stream_decoder();

 private:
  bool take_event(std::string_view type, const json& root) override;
  void take_usage(const json& usage_object);
  void complete(reply& r) override;

  json usage_ = json::object();  ///< the last value of each usage field
  std::string stop_reason_;
};

std::unique_ptr<stream_decoder> make_stream_decoder();

}  // namespace visionwatch::anthropic_messages
