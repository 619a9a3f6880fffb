#pragma once
/// The reply the api-flavours bedrock-converse.json fixture's stream stands for: what the
/// flavour's stream decoder (tests/probes) and the demo's simulated Bedrock stream (tests/sim)
/// must both give.

#include <doctest/doctest.h>

#include "probes/reply.hpp"

namespace visionwatch::test {

/// `r` is the fixture's reply, whole: well formed, no stream error, its text, stop reason and
/// usage (26 + 8 = 34 tokens).
inline void check_bedrock_fixture_reply(const reply& r) {
  CHECK(r.well_formed);
  CHECK_MESSAGE(r.stream_error.empty(), r.stream_error);
  CHECK(r.text == "A small green square.");
  CHECK(r.finish_reason == "stop");
  CHECK(r.tokens.prompt_tokens == 26);
  CHECK(r.tokens.completion_tokens == 8);
  CHECK(r.tokens.total_tokens == 34);
}

}  // namespace visionwatch::test
