#pragma once
// Shared by the stream decoder tests (openai_chat_stream_test, openai_responses_stream_test,
// anthropic_messages_stream_test, azure_openai_stream_test, gemini_stream_test): feeding a body
// to a flavour's decoder in pieces, and the checks every SSE decoder must pass (any split gives
// the same reply, the first text on the right event, bounded memory on hostile streams).

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "probes/adapter.hpp"

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
  const std::string piece(64 * 1024, 'x');
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

/// One SSE event on the wire: an optional `event:` line, the data, a blank line.
inline std::string sse_event(std::string_view type, const nlohmann::json& data) {
  std::string out;
  if (!type.empty()) {
    out += "event: " + std::string(type) + "\n";
  }
  return out + "data: " + data.dump() + "\n\n";
}

}  // namespace visionwatch::test
