#pragma once
/// The stream decoder of the Bedrock Converse flavour (POST .../converse-stream): an AWS binary
/// event stream (probes/aws_event_stream.hpp), not SSE; each frame's `:message-type` header
/// says event, exception or error, its `:event-type` which event, its payload is JSON. Internal
/// to probes/: callers go through adapter.hpp (make_stream_decoder).
///
/// What it reads (../shared/fixtures/api-flavours/bedrock-converse.json, `stream_events`):
/// - messageStart {role} → contentBlockDelta {delta: {text}}* → contentBlockStop →
///   messageStop {stopReason} → metadata {usage, metrics}; contentBlockStart only for tool and
///   image blocks, never required. Unknown event types are skipped.
/// - text from `delta.text` (the first non-empty one is the first token), reasoning from
///   `delta.reasoningContent.text`; the finish reason from messageStop; usage only from
///   metadata. Bedrock names no served model in the stream: `model` stays empty.
/// - an `exception` frame (`:exception-type` throttlingException, modelStreamErrorException,
///   validationException, ...; payload {"message"}) or an `error` frame (`:error-code`,
///   `:error-message`) after HTTP 200: stream_error with the message, and reading stops;
/// - no messageStop and metadata before the body ends (also mid-frame): stream_error, no usage;
/// - a bad CRC, a frame over the 1 MiB cap, a payload that is not a JSON object: malformed.

#include <memory>
#include <vector>

#include "probes/aws_event_stream.hpp"
#include "probes/stream_decoder.hpp"

namespace visionwatch::bedrock_converse {

class converse_stream_decoder final : public stream_decoder {
 public:
  bool on_headers(unsigned status, const header_list& headers) override;
  body_progress on_body(std::string_view bytes) override;
  reply finish(const http_result& result, std::chrono::system_clock::time_point now) override;

 private:
  /// One frame; false when the stream must stop (an exception, a malformed payload).
  bool take(const aws_event_stream::message& m);
  bool take_event(std::string_view type, std::string_view payload);
  /// Marks the reply malformed with `why`; returns false.
  bool broken(std::string why);

  aws_event_stream::reader frames_;
  std::vector<aws_event_stream::message> messages_;
  reply reply_;
  std::size_t events_ = 0;
  bool text_seen_ = false;
  bool message_stopped_ = false;  ///< messageStop arrived
  bool metadata_ = false;         ///< the final metadata event arrived
  bool broken_ = false;           ///< reply_.parse_error says why
};

std::unique_ptr<stream_decoder> make_stream_decoder();

}  // namespace visionwatch::bedrock_converse
