#pragma once
/// A sans-io reader of Server-Sent Events (the WHATWG `text/event-stream` format) as the
/// streaming LLM APIs send them: OpenAI chat and Responses, Anthropic, Gemini (`alt=sse`),
/// Azure. Pure, no I/O: the http client feeds it body bytes as they arrive, split anywhere.
/// Memory is bounded: one event (its data plus the line being read) never exceeds the cap,
/// and a peer that sends an endless line or event gets a clear error instead.
/// Payload sentinels such as OpenAI's `data: [DONE]` are the flavour's business, not this one's.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace visionwatch::sse {

/// One dispatched event. `type` is the `event:` field ("" when absent: the spec's "message").
struct event {
  std::string type;
  std::string data;  ///< `data:` lines joined by '\n', without the final newline
  std::string id;
};

/// The default cap on one event (data and current line together): a probe's whole reply is a
/// few kilobytes, the biggest real events (a Responses `response.completed` that repeats the
/// whole answer) stay far below it.
inline constexpr std::size_t default_max_event_bytes = std::size_t{1024} * 1024;

/// Reads one SSE stream. Not thread-safe; one per response.
class reader {
 public:
  explicit reader(std::size_t max_event_bytes = default_max_event_bytes)
      : max_event_bytes_(max_event_bytes) {}

  /// Parses `bytes` (any split: a CRLF may straddle two calls) and appends every event
  /// completed by them to `out`. Returns false once the stream is broken (see error());
  /// after that every call returns false and appends nothing.
  bool feed(std::string_view bytes, std::vector<event>& out);

  /// The end of the stream: a last line without its newline still counts, and an event with
  /// data not yet dispatched by a blank line is appended (gateways often close right after
  /// `data: [DONE]`). Returns false when the stream was broken.
  bool finish(std::vector<event>& out);

  /// Why the stream is broken ("SSE line longer than 1048576 bytes without a newline"); empty
  /// while it is fine.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  bool feed_lines(std::string_view bytes, std::vector<event>& out);
  void take_line(std::vector<event>& out);
  void dispatch(std::vector<event>& out);
  bool fail(std::string why);

  std::size_t max_event_bytes_;
  std::string line_;  ///< the current line, without its terminator
  event pending_;     ///< fields of the event being built
  bool has_data_ = false;
  bool after_cr_ = false;  ///< the last byte was CR: an LF right after it ends no new line
  bool at_start_ = true;   ///< still where a UTF-8 BOM may be (it is dropped)
  std::size_t bom_matched_ = 0;
  std::string error_;
};

}  // namespace visionwatch::sse
