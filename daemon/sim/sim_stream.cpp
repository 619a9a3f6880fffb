#include "daemon/sim/sim_stream.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace visionwatch {
namespace {

using json = nlohmann::json;

/// Bytes of content per delta: a few characters, as models stream tokens (never inside a
/// UTF-8 sequence).
constexpr std::size_t delta_bytes = 4;

std::string event(const json& chunk) { return "data: " + chunk.dump() + "\n\n"; }

json chunk_base(const json& whole) {
  json c = {{"id", whole.value("id", "chatcmpl-sim")},
            {"object", "chat.completion.chunk"},
            {"created", whole.value("created", 0)},
            {"model", whole.value("model", "")}};
  return c;
}

json delta_chunk(const json& whole, json delta, const json& finish_reason) {
  json c = chunk_base(whole);
  c["choices"] =
      json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish_reason}}});
  c["usage"] = nullptr;
  return c;
}

/// Splits `text` into pieces of about delta_bytes, on code point boundaries.
std::vector<std::string> split_text(const std::string& text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = std::min(text.size(), i + delta_bytes);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      ++end;
    }
    out.push_back(text.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace

bool wants_stream(const received_request& request) {
  const auto j = json::parse(request.body, nullptr, false);
  return j.is_object() && j.contains("stream") && j["stream"].is_boolean() &&
         j["stream"].get<bool>();
}

response_plan stream_chat_reply(const response_plan& whole, const sim_stream_options& o) {
  if (whole.kind != response_plan::action::respond || whole.status != 200 ||
      whole.generated_body_bytes != 0) {
    return whole;
  }
  const auto j = json::parse(whole.body, nullptr, false);
  if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array() ||
      j["choices"].empty() || !j["choices"][0].is_object()) {
    return whole;
  }
  const json& choice = j["choices"][0];
  const json message = choice.value("message", json::object());
  if (!message.is_object() || !message.contains("content") || !message["content"].is_string()) {
    return whole;
  }
  response_plan p = whole;
  p.body.clear();
  p.chunked = false;
  p.headers.clear();
  for (const auto& [k, v] : whole.headers) {
    if (k != "Content-Type" && k != "content-type") {
      p.headers.emplace_back(k, v);
    }
  }
  p.headers.emplace_back("Content-Type", "text/event-stream; charset=utf-8");
  p.headers.emplace_back("Cache-Control", "no-cache");

  // The role chunk goes out with the head, before the model "thinks" (content "" is no token).
  p.pieces.push_back({std::chrono::milliseconds(0),
                      event(delta_chunk(j, {{"role", "assistant"}, {"content", ""}}, nullptr))});
  const auto pieces = split_text(message["content"].get<std::string>());
  bool first = true;
  for (const auto& text : pieces) {
    p.pieces.push_back({first ? o.first_token_delay : o.delta_interval,
                        event(delta_chunk(j, {{"content", text}}, nullptr))});
    if (first && o.ending != sim_stream_ending::complete) {
      break;
    }
    first = false;
  }
  if (pieces.empty()) {
    p.pieces.push_back({o.first_token_delay, std::string()});
  }
  switch (o.ending) {
    case sim_stream_ending::error_event:
      p.pieces.push_back(
          {o.delta_interval,
           event({{"error",
                   {{"message", "The server had an error while processing your request."},
                    {"type", "server_error"},
                    {"param", nullptr},
                    {"code", nullptr}}}})});
      break;
    case sim_stream_ending::cut_off:
      p.cut_after_pieces = true;
      break;
    case sim_stream_ending::complete: {
      p.pieces.push_back(
          {o.delta_interval,
           event(delta_chunk(j, json::object(), choice.value("finish_reason", json("stop"))))});
      json usage_chunk = chunk_base(j);
      usage_chunk["choices"] = json::array();
      usage_chunk["usage"] = j.contains("usage") ? j["usage"] : json(nullptr);
      p.pieces.push_back({std::chrono::milliseconds(0), event(usage_chunk)});
      p.pieces.push_back({std::chrono::milliseconds(0), "data: [DONE]\n\n"});
      break;
    }
  }
  return p;
}

}  // namespace visionwatch
