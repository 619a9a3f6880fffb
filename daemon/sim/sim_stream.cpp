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

}  // namespace

bool wants_stream(const received_request& request) {
  const auto j = json::parse(request.body, nullptr, false);
  return j.is_object() && j.contains("stream") && j["stream"].is_boolean() &&
         j["stream"].get<bool>();
}

std::vector<std::string> split_deltas(const std::string& text) {
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

response_plan play_stream(const response_plan& whole,
                          const sse_script& script,
                          const sim_stream_options& o) {
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

  // The opening goes out with the head, before the model "thinks" (it carries no token).
  std::string opening;
  for (const auto& e : script.opening) {
    opening += e;
  }
  if (!opening.empty()) {
    p.pieces.push_back({std::chrono::milliseconds(0), std::move(opening)});
  }
  bool first = true;
  for (const auto& delta : script.deltas) {
    p.pieces.push_back({first ? o.first_token_delay : o.delta_interval, delta});
    if (first && o.ending != sim_stream_ending::complete) {
      break;
    }
    first = false;
  }
  if (script.deltas.empty()) {
    p.pieces.push_back({o.first_token_delay, std::string()});
  }
  switch (o.ending) {
    case sim_stream_ending::error_event:
      p.pieces.push_back({o.delta_interval, script.error});
      break;
    case sim_stream_ending::cut_off:
      p.cut_after_pieces = true;
      break;
    case sim_stream_ending::complete: {
      auto wait = o.delta_interval;
      for (const auto& e : script.closing) {
        p.pieces.push_back({wait, e});
        wait = std::chrono::milliseconds(0);
      }
      break;
    }
  }
  return p;
}

std::optional<sse_script> chat_script(const response_plan& whole) {
  if (whole.kind != response_plan::action::respond || whole.status != 200 ||
      whole.generated_body_bytes != 0) {
    return std::nullopt;
  }
  const auto j = json::parse(whole.body, nullptr, false);
  if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array() ||
      j["choices"].empty() || !j["choices"][0].is_object()) {
    return std::nullopt;
  }
  const json& choice = j["choices"][0];
  const json message = choice.value("message", json::object());
  if (!message.is_object() || !message.contains("content") || !message["content"].is_string()) {
    return std::nullopt;
  }
  sse_script s;
  s.opening.push_back(event(delta_chunk(j, {{"role", "assistant"}, {"content", ""}}, nullptr)));
  for (const auto& text : split_deltas(message["content"].get<std::string>())) {
    s.deltas.push_back(event(delta_chunk(j, {{"content", text}}, nullptr)));
  }
  s.error = event({{"error",
                    {{"message", "The server had an error while processing your request."},
                     {"type", "server_error"},
                     {"param", nullptr},
                     {"code", nullptr}}}});
  s.closing.push_back(
      event(delta_chunk(j, json::object(), choice.value("finish_reason", json("stop")))));
  json usage_chunk = chunk_base(j);
  usage_chunk["choices"] = json::array();
  usage_chunk["usage"] = j.contains("usage") ? j["usage"] : json(nullptr);
  s.closing.push_back(event(usage_chunk));
  s.closing.emplace_back("data: [DONE]\n\n");
  return s;
}

response_plan stream_chat_reply(const response_plan& whole, const sim_stream_options& o) {
  const auto script = chat_script(whole);
  return script ? play_stream(whole, *script, o) : whole;
}

}  // namespace visionwatch
