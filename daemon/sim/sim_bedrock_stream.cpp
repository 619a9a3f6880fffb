#include "daemon/sim/sim_bedrock_stream.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "probes/aws_event_stream.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

using json = nlohmann::json;
namespace es = aws_event_stream;

std::string event(std::string type, const json& payload) {
  return es::encode(es::event_message(std::move(type), payload.dump()));
}

/// `text` in word-sized deltas, as Bedrock streams it ("A small" / " green square."): each
/// piece ends before the next space.
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from < text.size()) {
    const auto space = text.find(' ', from + 1);
    const auto end = space == std::string::npos ? text.size() : space;
    out.push_back(text.substr(from, end - from));
    from = end;
  }
  return out;
}

}  // namespace

response_plan stream_bedrock_reply(const response_plan& whole, const sim_stream_options& o) {
  if (whole.kind != response_plan::action::respond || whole.status != 200 ||
      whole.generated_body_bytes != 0) {
    return whole;
  }
  const auto j = json::parse(whole.body, nullptr, false);
  const json* content = nullptr;
  if (j.is_object() && j.contains("output") && j["output"].is_object() &&
      j["output"].contains("message") && j["output"]["message"].is_object()) {
    const json& message = j["output"]["message"];
    content = message.contains("content") ? &message["content"] : nullptr;
  }
  if (content == nullptr || !content->is_array()) {
    return whole;
  }
  std::string text;
  for (const auto& block : *content) {
    if (block.is_object() && block.contains("text") && block["text"].is_string()) {
      text += block["text"].get<std::string>();
    }
  }

  response_plan p = whole;  // the pieces below replace the body
  p.body.clear();
  std::erase_if(p.headers, [](const auto& h) { return ascii_iequals(h.first, "content-type"); });
  p.headers.emplace_back("Content-Type", "application/vnd.amazon.eventstream");
  p.headers.emplace_back("x-amzn-RequestId", "00000000-0000-4000-8000-000000000001");

  // messageStart goes out with the head, before the model "thinks".
  p.pieces.push_back(
      {std::chrono::milliseconds(0), event("messageStart", {{"role", "assistant"}})});
  auto wait = o.first_token_delay;
  for (const auto& piece : words(text)) {
    p.pieces.push_back(
        {wait,
         event("contentBlockDelta", {{"contentBlockIndex", 0}, {"delta", {{"text", piece}}}})});
    wait = o.delta_interval;
    if (o.ending != sim_stream_ending::complete) {
      break;  // the failure comes after the first token
    }
  }
  switch (o.ending) {
    case sim_stream_ending::error_event:
      p.pieces.push_back(
          {wait,
           es::encode(es::exception_message(
               "throttlingException", json{{"message", sim_bedrock_throttling_message}}.dump()))});
      break;
    case sim_stream_ending::cut_off:
      p.cut_after_pieces = true;
      break;
    case sim_stream_ending::complete: {
      p.pieces.push_back({wait, event("contentBlockStop", {{"contentBlockIndex", 0}})});
      p.pieces.push_back(
          {std::chrono::milliseconds(0),
           event("messageStop", {{"stopReason", j.value("stopReason", "end_turn")}})});
      json metadata = {{"metrics", j.value("metrics", json{{"latencyMs", 0}})}};
      if (j.contains("usage")) {
        metadata["usage"] = j["usage"];
      }
      p.pieces.push_back({std::chrono::milliseconds(0), event("metadata", metadata)});
      break;
    }
  }
  return p;
}

}  // namespace visionwatch
