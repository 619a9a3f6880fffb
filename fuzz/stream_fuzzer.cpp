// libFuzzer target for the stream parsers: the SSE reader (probes/sse.hpp), the AWS event stream
// reader (probes/aws_event_stream.hpp) and the OpenAI chat stream decoder
// (probes/openai_chat_stream.hpp). Upstream bytes are hostile; any split of them must give the
// same result as the whole, memory stays within the caps, and nothing throws or crashes.
// Input layout: byte 0 picks the parser (mod 3), byte 1 the piece size the stream is fed in
// (1..256); the rest is the stream. A violated invariant traps so libFuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "probes/adapter.hpp"
#include "probes/aws_event_stream.hpp"
#include "probes/sse.hpp"

namespace {

using namespace visionwatch;

/// Small caps so the fuzzer reaches the limits with short inputs.
constexpr std::size_t event_cap = 4096;

void require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

template <class feed_fn>
void in_pieces(std::string_view s, std::size_t piece, feed_fn feed) {
  for (std::size_t i = 0; i < s.size(); i += piece) {
    if (!feed(s.substr(i, piece))) {
      return;
    }
  }
}

void fuzz_sse(std::string_view s, std::size_t piece) {
  sse::reader whole(event_cap);
  std::vector<sse::event> a;
  const bool ok_a = whole.feed(s, a) && whole.finish(a);
  sse::reader split(event_cap);
  std::vector<sse::event> b;
  in_pieces(s, piece, [&](std::string_view p) { return split.feed(p, b); });
  const bool ok_b = split.finish(b);
  require(ok_a == ok_b);
  require(whole.error() == split.error());
  require(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    require(a[i].data == b[i].data && a[i].type == b[i].type && a[i].id == b[i].id);
    require(a[i].data.size() <= event_cap);
  }
}

void fuzz_aws(std::string_view s, std::size_t piece) {
  aws_event_stream::reader whole(event_cap);
  std::vector<aws_event_stream::message> a;
  const bool ok_a = whole.feed(s, a) && whole.finish();
  aws_event_stream::reader split(event_cap);
  std::vector<aws_event_stream::message> b;
  in_pieces(s, piece, [&](std::string_view p) { return split.feed(p, b); });
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

void fuzz_chat(std::string_view s, std::size_t piece) {
  http_result head;
  head.status = 200;
  head.headers = {{"content-type", "text/event-stream"}};
  head.streamed = true;
  auto decoder = make_stream_decoder(api_flavour::openai_chat);
  require(decoder->on_headers(head.status, head.headers));
  bool seen = false;
  in_pieces(s, piece, [&](std::string_view p) {
    const auto progress = decoder->on_body(p);
    require(!seen || progress.text_seen);  // once seen, text stays seen
    seen = progress.text_seen;
    return !progress.stop;
  });
  const reply r = decoder->finish(head, {});
  require(r.text.size() <= reply_text_limit && r.refusal.size() <= reply_text_limit);
  require(r.parse_error.size() <= reply_error_limit && r.stream_error.size() <= reply_error_limit);
  require(r.well_formed || !r.parse_error.empty());
  require(!seen || !r.text.empty() || !r.well_formed || !r.stream_error.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::string_view s(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t piece = std::size_t{data[1]} + 1;
  switch (data[0] % 3) {
    case 0:
      fuzz_sse(s, piece);
      break;
    case 1:
      fuzz_aws(s, piece);
      break;
    default:
      fuzz_chat(s, piece);
      break;
  }
  return 0;
}
