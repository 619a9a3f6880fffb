#pragma once
// Shared by the stream decoder tests (openai_chat_stream_test, openai_responses_stream_test,
// anthropic_messages_stream_test, azure_openai_stream_test, gemini_stream_test): feeding a body
// to a flavour's decoder in pieces, and the checks every SSE decoder must pass (any split gives
// the same reply, the first text on the right event, bounded memory on hostile streams).

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "probes/adapter.hpp"
#include "tests/probes/flavour_test_support.hpp"

namespace visionwatch::test {

inline const auto stream_now =
    std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}};

/// The head of a 200 SSE response as the client hands it to finish().
inline http_result streamed_200() {
  http_result r;
  r.status = 200;
  r.headers = {{"content-type", "text/event-stream; charset=utf-8"}};
  r.streamed = true;
  return r;
}

/// One SSE event on the wire: an optional `event:` line, the data, a blank line.
inline std::string sse_event(std::string_view type, const nlohmann::json& data) {
  std::string out;
  if (!type.empty()) {
    out += "event: " + std::string(type) + "\n";
  }
  return out + "data: " + data.dump() + "\n\n";
}

struct decoded {
  reply r;
  std::size_t first_text_after = 0;  ///< bytes fed when text_seen first held (0: never)
  bool stopped = false;
};

/// Feeds `body` to a fresh decoder of `flavour` in pieces of `piece` bytes (0: whole); a head
/// the decoder does not stream (an error status, JSON) hands the body over whole.
inline decoded decode_stream(api_flavour flavour,
                             std::string_view body,
                             std::size_t piece = 0,
                             http_result res = streamed_200()) {
  auto d = make_stream_decoder(flavour);
  REQUIRE(d != nullptr);
  decoded out;
  if (d->on_headers(res.status, res.headers)) {
    std::size_t fed = 0;
    while (fed < body.size()) {
      const std::size_t n = piece == 0 ? body.size() : std::min(piece, body.size() - fed);
      const auto p = d->on_body(body.substr(fed, n));
      fed += n;
      if (p.text_seen && out.first_text_after == 0) {
        out.first_text_after = fed;
      }
      if (p.stop) {
        out.stopped = true;
        break;
      }
    }
  } else {
    res.streamed = false;
    res.body = std::string(body);
  }
  out.r = d->finish(res, stream_now);
  return out;
}

/// A fixture's `stream_events` as the wire carries them: a `raw` line, or an event of the
/// `data` object with its `event` name when it has one; each followed by a blank line.
struct wire_stream {
  std::string body;
  std::size_t end_of_ttft = 0;  ///< bytes up to the end of the event the fixture marks `ttft`
};
inline wire_stream fixture_stream(const nlohmann::json& events) {
  wire_stream out;
  for (const auto& e : events) {
    out.body += e.contains("raw") ? e.at("raw").get<std::string>() + "\n\n"
                                  : sse_event(e.value("event", ""), e.at("data"));
    if (out.end_of_ttft == 0 && e.value("ttft", false)) {
      out.end_of_ttft = out.body.size();
    }
  }
  return out;
}

/// The body of `fixture`'s `stream_events` as the wire carries them (fixture_stream).
inline std::string recorded_stream(const nlohmann::json& fixture) {
  return fixture_stream(fixture.at("stream_events")).body;
}

/// Fed byte by byte, the decoder reports the first text exactly when the event the fixture
/// marks `ttft` is complete (not on a role chunk, `ping`, `message_start`, ...).
inline void check_first_text_on_ttft_event(api_flavour flavour, const wire_stream& s) {
  REQUIRE(s.end_of_ttft > 0);
  CHECK(decode_stream(flavour, s.body, 1).first_text_after == s.end_of_ttft);
}

/// `flavour`'s request for a text-only probe (prompt "p") of `model` at `base_url`, built
/// without and with probe_request::stream. The flavour can stream, and the streamed request
/// accepts text/event-stream.
struct stream_requests {
  http_request plain;
  http_request streamed;
};
inline stream_requests build_stream_requests(api_flavour flavour,
                                             const std::string& base_url,
                                             const std::string& model) {
  probe_request req;
  req.base_url = base_url;
  req.model = model;
  req.prompt = "p";
  stream_requests out;
  out.plain = build_request(flavour, req);
  req.stream = true;
  out.streamed = build_request(flavour, req);
  CHECK(can_stream(flavour));
  CHECK(header_value(out.streamed, "Accept") == "text/event-stream");
  return out;
}

/// What a complete stream must decode to.
struct expected_reply {
  std::string text;
  std::string finish_reason;
  std::string model;
  std::optional<long long> prompt_tokens;
  std::optional<long long> completion_tokens;
  std::optional<long long> total_tokens;
};

/// A stream that ended with its final event: well formed, no stream error, read to the end.
inline void check_complete(const decoded& d, const expected_reply& e) {
  CHECK(d.r.well_formed);
  CHECK_MESSAGE(d.r.stream_error.empty(), d.r.stream_error);
  CHECK_FALSE(d.stopped);
  CHECK(d.r.text == e.text);
  CHECK(d.r.finish_reason == e.finish_reason);
  CHECK(d.r.model == e.model);
  CHECK(d.r.tokens.prompt_tokens == e.prompt_tokens);
  CHECK(d.r.tokens.completion_tokens == e.completion_tokens);
  CHECK(d.r.tokens.total_tokens == e.total_tokens);
}

/// An error event after HTTP 200: the decoder stopped reading and the well-formed reply carries
/// `message` as its stream error.
inline void check_error_event(const decoded& d, const std::string& message) {
  CHECK(d.stopped);
  CHECK(d.r.well_formed);
  CHECK(d.r.stream_error == "error event after HTTP 200: " + message);
}

/// `body` split in two at every byte boundary decodes to the same reply as whole.
inline void check_every_split(api_flavour flavour, std::string_view body) {
  const reply whole = decode_stream(flavour, body).r;
  for (std::size_t at = 1; at < body.size(); ++at) {
    auto d = make_stream_decoder(flavour);
    REQUIRE(d->on_headers(200, {{"content-type", "text/event-stream"}}));
    d->on_body(body.substr(0, at));
    d->on_body(body.substr(at));
    const reply r = d->finish(streamed_200(), stream_now);
    CAPTURE(at);
    REQUIRE(r.well_formed == whole.well_formed);
    REQUIRE(r.text == whole.text);
    REQUIRE(r.reasoning == whole.reasoning);
    REQUIRE(r.model == whole.model);
    REQUIRE(r.finish_reason == whole.finish_reason);
    REQUIRE(r.stream_error == whole.stream_error);
    REQUIRE(r.tokens.prompt_tokens == whole.tokens.prompt_tokens);
    REQUIRE(r.tokens.completion_tokens == whole.tokens.completion_tokens);
    REQUIRE(r.tokens.image_tokens == whole.tokens.image_tokens);
  }
}

/// An endless SSE line stops the decoder at the 1 MiB cap with a clear reason.
inline void check_endless_line(api_flavour flavour) {
  auto d = make_stream_decoder(flavour);
  REQUIRE(d->on_headers(200, {}));
  const std::string piece(std::size_t{64} * 1024, 'x');
  body_progress p = d->on_body("data: ");
  int pieces = 0;
  while (!p.stop && pieces < 100) {
    p = d->on_body(piece);
    ++pieces;
  }
  CHECK(p.stop);
  CHECK(pieces <= 17);  // stopped at the 1 MiB cap
  const reply r = d->finish(streamed_200(), stream_now);
  CHECK_FALSE(r.well_formed);
  CHECK(r.parse_error == "stream: SSE line longer than 1048576 bytes without a newline");
  CHECK(r.text.empty());
}

/// An event of many short data lines, together over the cap, stops the decoder too.
inline void check_oversized_event(api_flavour flavour) {
  auto d = make_stream_decoder(flavour);
  REQUIRE(d->on_headers(200, {}));
  const std::string line = "data: " + std::string(1000, 'y') + "\n";
  body_progress p;
  int lines = 0;
  while (!p.stop && lines < 2000) {
    p = d->on_body(line);
    ++lines;
  }
  CHECK(p.stop);
  CHECK(lines <= 1100);
  const reply r = d->finish(streamed_200(), stream_now);
  CHECK_FALSE(r.well_formed);
  CHECK(r.parse_error == "stream: SSE event larger than 1048576 bytes");
}

}  // namespace visionwatch::test
