#pragma once
/// What the stream decoders of the SSE flavours (openai-chat, azure-openai, openai-responses,
/// anthropic-messages, gemini) share, so each flavour's decoder reads only its own events:
/// the SSE framing (probes/sse.hpp: bounded memory, any split), the first-text mark, reply
/// fields that stay within their caps however long the stream, error events, broken framing or
/// JSON, a stream that ends before its final event, and the whole-body fallback (an error
/// status, a JSON body, a transport failure) through the flavour's parse_reply. Internal to
/// probes/: callers go through adapter.hpp (make_stream_decoder).
///
/// A flavour derives from sse_reply_stream, reads each event in take_event() with the helpers
/// below, calls mark_done() on its final event and may complete the reply in complete(). Before
/// take_event(), every event goes through the rules every stream shares: nothing after the
/// final event counts; a `data: [DONE]` line is on_done_marker()'s; `event: error`, a data
/// `type` "error" or a top-level `error` member is an error event; data that is not a JSON
/// object makes the reply malformed. finish() then applies the rest:
/// - broken framing or JSON: `well_formed` false, parse_error "stream: ...";
/// - an error event: stream_error "error event after HTTP 200: <message> (<code>)";
/// - no final event before the body ended: stream_error "the stream ended before its final
///   event (<final_event>)" plus how the body ended;
/// - a stream_error drops the usage: the counts of an unfinished stream are not the whole.

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/sse.hpp"
#include "probes/stream_decoder.hpp"

namespace visionwatch {

class sse_reply_stream : public stream_decoder {
 public:
  using json = nlohmann::json;
  /// A flavour's whole-body parser (its parse_reply).
  using whole_parser = reply (*)(const http_result&, std::chrono::system_clock::time_point);

  bool on_headers(unsigned status, const header_list& headers) final;
  body_progress on_body(std::string_view bytes) final;
  reply finish(const http_result& result, std::chrono::system_clock::time_point now) final;

 protected:
  /// `whole` parses what is not streamed; `final_event` names the flavour's final event in the
  /// reason of a stream that ended without it ("data: [DONE]", "message_stop").
  sse_reply_stream(whole_parser whole, std::string_view final_event)
      : whole_(whole), final_event_(final_event) {}

  /// One event of the stream: its `type` (the `event:` field, else the data's "type" member)
  /// and its data, a JSON object. False stops reading (after error_event() or malformed()).
  /// May throw std::bad_alloc: the reply becomes malformed.
  virtual bool take_event(std::string_view type, const json& data) = 0;
  /// `data: [DONE]`: the final event of the chat flavours; other flavours ignore it (gateways
  /// add it where the API sends none).
  virtual void on_done_marker() {}
  /// After the whole stream was read (not after broken framing): the flavour's last touches
  /// (usage assembled from several events, a refusal that needs the whole text).
  virtual void complete(reply& /*r*/) {}

  /// The event's data as a JSON object; nullopt after marking the reply malformed ("stream chunk
  /// N: ..."). Counts the chunks for that reason.
  std::optional<json> parse_object(std::string_view data);
  /// Appends an answer delta; a non-empty one is the first token.
  void add_text(std::string_view piece);
  void add_reasoning(std::string_view piece);
  void add_refusal(std::string_view piece);
  void set_model(std::string_view model);
  void set_finish_reason(std::string_view reason);
  /// The usage sent so far replaces what came before: streamed counts are cumulative.
  void set_usage(const usage& u) { reply_.tokens = u; }
  /// An error event after HTTP 200 with this body (any error shape); `fallback` is the message
  /// when the body names none. Returns false.
  bool error_event(const json& body, std::string_view fallback);
  /// Marks the reply malformed: parse_error "stream chunk N: <why>". Returns false.
  bool malformed(std::string_view why);
  void mark_done() noexcept { done_ = true; }
  [[nodiscard]] bool done() const noexcept { return done_; }
  /// The reply read so far.
  [[nodiscard]] const reply& partial() const noexcept { return reply_; }

 private:
  /// The shared rules, then take_event(); false when the stream must stop.
  bool take(const sse::event& e);
  bool take_json(const sse::event& e);
  /// Dispatches the events in events_; false when the stream must stop.
  bool take_events();
  [[nodiscard]] bool stopped() const noexcept { return broken_ || !reply_.stream_error.empty(); }

  whole_parser whole_;
  std::string_view final_event_;
  sse::reader sse_;
  std::vector<sse::event> events_;
  reply reply_;
  std::size_t chunks_ = 0;
  bool text_seen_ = false;
  bool done_ = false;
  bool broken_ = false;  ///< broken framing or JSON: reply_.parse_error says why
};

}  // namespace visionwatch
