// libFuzzer target for the stream parsers: the SSE reader (probes/sse.hpp), the AWS event stream
// reader (probes/aws_event_stream.hpp) and every flavour's stream decoder
// (probes/stream_decoder.hpp), found through the flavour table (can_stream /
// make_stream_decoder): a decoder added to the table is fuzzed without a change here. Upstream
// bytes are hostile; any split of them must give the same result as the whole, memory stays
// within the caps, and nothing throws or crashes.
// Input layout:
//   byte 0   the target: 0 the SSE reader, 1 the AWS event stream reader, 2 + i the stream
//            decoder of flavour row i (wrapped over the table; a flavour that cannot stream
//            rejects the input);
//   byte 1   the response head for a decoder: bits 0-1 the Content-Type (text/event-stream,
//            application/vnd.amazon.eventstream, application/json, none), bits 2-3 the status
//            (200, 200, 200, 503), bit 4 the peer closed the stream early;
//   byte 2   k = byte 2 mod 8 piece sizes follow (each byte + 1, used in turn); k = 0: one piece;
//   the rest is the body.
// A violated invariant traps so libFuzzer keeps the input. Seeds: fuzz/corpus/stream/
// (fuzz/seeds_from_fixtures.py writes every fixture stream there).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_checks.hpp"
#include "probes/aws_event_stream.hpp"
#include "probes/sse.hpp"

namespace {

using namespace visionwatch;
using fuzz::require;

/// Small caps so the fuzzer reaches the limits with short inputs.
constexpr std::size_t event_cap = 4096;

/// The fuzzer-chosen split of a body: piece sizes used in turn.
struct splits {
  std::string_view sizes;  ///< each byte + 1 is a piece size; empty: one piece

  /// Feeds `s` to `feed` piece by piece until it returns false.
  template <class feed_fn>
  void feed(std::string_view s, feed_fn feed_piece) const {
    std::size_t next = 0;
    while (!s.empty()) {
      const std::size_t n =
          sizes.empty() ? s.size() : std::size_t{static_cast<unsigned char>(sizes[next++ % sizes.size()])} + 1;
      if (!feed_piece(s.substr(0, n))) {
        return;
      }
      s.remove_prefix(std::min(n, s.size()));
    }
  }
};

void fuzz_sse(std::string_view s, const splits& split_at) {
  sse::reader whole(event_cap);
  std::vector<sse::event> a;
  const bool ok_a = whole.feed(s, a) && whole.finish(a);
  sse::reader split(event_cap);
  std::vector<sse::event> b;
  split_at.feed(s, [&](std::string_view p) { return split.feed(p, b); });
  const bool ok_b = split.finish(b);
  require(ok_a == ok_b);
  require(whole.error() == split.error());
  require(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    require(a[i].data == b[i].data && a[i].type == b[i].type && a[i].id == b[i].id);
    require(a[i].data.size() <= event_cap);
  }
}

void fuzz_aws(std::string_view s, const splits& split_at) {
  aws_event_stream::reader whole(event_cap);
  std::vector<aws_event_stream::message> a;
  const bool ok_a = whole.feed(s, a) && whole.finish();
  aws_event_stream::reader split(event_cap);
  std::vector<aws_event_stream::message> b;
  split_at.feed(s, [&](std::string_view p) { return split.feed(p, b); });
  const bool ok_b = split.finish();
  require(ok_a == ok_b);
  require(whole.error() == split.error());
  require(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    require(a[i].payload == b[i].payload && a[i].headers.size() == b[i].headers.size());
    // A decoded message encodes back to a frame that decodes to the same message.
    aws_event_stream::reader again;
    std::vector<aws_event_stream::message> c;
    require(again.feed(aws_event_stream::encode(a[i]), c) && c.size() == 1);
    require(c[0].payload == a[i].payload && c[0].headers.size() == a[i].headers.size());
  }
}

/// The response head byte 1 describes.
http_result head_of(std::uint8_t b) {
  static constexpr std::array<std::string_view, 3> types = {
      "text/event-stream", "application/vnd.amazon.eventstream", "application/json"};
  static constexpr std::array<unsigned, 4> statuses = {200, 200, 200, 503};
  http_result head;
  head.status = statuses[(b >> 2) & 3u];
  if ((b & 3u) < types.size()) {
    head.headers = {{"content-type", std::string(types[b & 3u])}};
  }
  if ((b & 0x10u) != 0) {
    head.stream_interrupted = "the connection closed mid-stream (partial message)";
  }
  return head;
}

/// One decoder over the body fed as `split_at` says: the reply, and whether text was reported.
reply decode(api_flavour flavour,
             const http_result& head,
             std::string_view s,
             const splits& split_at,
             bool& seen) {
  auto decoder = make_stream_decoder(flavour);
  http_result result = head;
  seen = false;
  if (decoder->on_headers(head.status, head.headers)) {
    result.streamed = true;
    split_at.feed(s, [&](std::string_view p) {
      const auto progress = decoder->on_body(p);
      require(!seen || progress.text_seen);  // once seen, text stays seen
      seen = progress.text_seen;
      return !progress.stop;
    });
  } else {
    result.body = std::string(s);  // read whole: the flavour's parse_reply
  }
  return decoder->finish(result, std::chrono::sys_days{std::chrono::year{2026} / 3 / 1});
}

int fuzz_decoder(api_flavour flavour, std::uint8_t head_byte, std::string_view s,
                 const splits& split_at) {
  if (!can_stream(flavour)) {
    return -1;  // nothing to fuzz (yet): keep the input out of the corpus
  }
  const http_result head = head_of(head_byte);
  bool seen_whole = false;
  const reply whole = decode(flavour, head, s, splits{}, seen_whole);
  bool seen = false;
  const reply split = decode(flavour, head, s, split_at, seen);
  fuzz::check_reply(split);
  fuzz::require_same(whole, split);
  require(seen == seen_whole);
  // Reported text is kept (a think block moves to reasoning), unless the stream broke.
  require(!seen || !split.text.empty() || !split.reasoning.empty() || !split.well_formed ||
          !split.stream_error.empty());
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) {
    return -1;
  }
  const std::size_t k = data[2] % 8u;
  if (size < 3 + k) {
    return -1;
  }
  const splits split_at{std::string_view(reinterpret_cast<const char*>(data) + 3, k)};
  const std::string_view s(reinterpret_cast<const char*>(data) + 3 + k, size - 3 - k);
  const std::size_t flavours = api_flavour_names().size();
  const std::size_t target = data[0] % (2 + flavours);
  switch (target) {
    case 0:
      fuzz_sse(s, split_at);
      return 0;
    case 1:
      fuzz_aws(s, split_at);
      return 0;
    default:
      return fuzz_decoder(fuzz::flavour_at(target - 2), data[1], s, split_at);
  }
}
