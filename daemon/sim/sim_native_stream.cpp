#include "daemon/sim/sim_native_stream.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/sim/sim_flavours.hpp"
#include "daemon/sim/sim_native.hpp"

namespace visionwatch {
namespace {

using nlohmann::json;

/// One SSE event; `type` empty: a data-only event.
std::string sse(std::string_view type, const json& data) {
  std::string out;
  if (!type.empty()) {
    out += "event: " + std::string(type) + "\n";
  }
  return out + "data: " + data.dump() + "\n\n";
}

/// `base` with the members of `more` added.
json with(json base, const json& more) {
  base.update(more);
  return base;
}

/// The JSON body of a 200 reply the sim answered whole; nullopt for anything else.
std::optional<json> success_body(const response_plan& whole) {
  if (whole.kind != response_plan::action::respond || whole.status != 200 ||
      whole.generated_body_bytes != 0 || !whole.pieces.empty()) {
    return std::nullopt;
  }
  auto j = json::parse(whole.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::nullopt;
  }
  return j;
}

/// The concatenated `key` strings of `parts` (an array of objects), or nullopt when they are
/// not that shape (the sim's wrong_types behaviour).
std::optional<std::string> part_texts(const json& parts, std::string_view key) {
  if (!parts.is_array()) {
    return std::nullopt;
  }
  std::string text;
  for (const auto& part : parts) {
    if (!part.is_object()) {
      return std::nullopt;
    }
    if (const auto it = part.find(key); it != part.end() && it->is_string()) {
      text += it->get<std::string>();
    }
  }
  return text;
}

// ---- OpenAI Responses (openai-responses.json stream_events)

std::optional<sse_script> responses_script(const json& whole) {
  const auto output = whole.find("output");
  if (output == whole.end() || !output->is_array() || output->size() != 1 ||
      !(*output)[0].is_object()) {
    return std::nullopt;
  }
  const json& item = (*output)[0];
  const auto text = part_texts(item.value("content", json()), "text");
  if (!text) {
    return std::nullopt;
  }
  int sequence = 0;
  const auto event = [&](std::string type, json data) {
    data["type"] = type;
    data["sequence_number"] = sequence++;
    return sse(type, data);
  };
  const std::string item_id = item.value("id", "msg_sim");
  json in_progress = whole;
  in_progress["status"] = "in_progress";
  in_progress["output"] = json::array();
  in_progress["usage"] = nullptr;
  json item_added = item;
  item_added["status"] = "in_progress";
  item_added["content"] = json::array();
  const json part = {{"type", "output_text"}, {"text", *text}, {"annotations", json::array()}};
  json empty_part = part;
  empty_part["text"] = "";
  const json at = {{"item_id", item_id}, {"output_index", 0}, {"content_index", 0}};

  sse_script s;
  s.opening = {event("response.created", {{"response", in_progress}}),
               event("response.in_progress", {{"response", in_progress}}),
               event("response.output_item.added", {{"output_index", 0}, {"item", item_added}}),
               event("response.content_part.added", with(at, {{"part", empty_part}}))};
  for (const auto& delta : split_deltas(*text)) {
    s.deltas.push_back(event("response.output_text.delta",
                             with(at, {{"delta", delta}, {"logprobs", json::array()}})));
  }
  // The error a real stream sent (openai-responses.json errors.in_stream).
  s.error = event("error",
                  {{"code", "server_error"},
                   {"message",
                    "An error occurred while processing your request. You can retry your "
                    "request, or contact us through our help center if the error persists."},
                   {"param", nullptr}});
  s.closing = {
      event("response.output_text.done", with(at, {{"text", *text}})),
      event("response.content_part.done", with(at, {{"part", part}})),
      event("response.output_item.done", {{"output_index", 0}, {"item", item}}),
      event("response." + whole.value("status", std::string("completed")), {{"response", whole}})};
  return s;
}

// ---- Anthropic Messages (anthropic-messages.json stream_events)

std::optional<sse_script> messages_script(const json& whole) {
  const auto text = part_texts(whole.value("content", json()), "text");
  if (!text) {
    return std::nullopt;
  }
  const auto event = [](std::string type, json data) {
    data["type"] = type;
    return sse(type, data);
  };
  const json usage = whole.value("usage", json());
  json message = whole;
  message["content"] = json::array();
  message["stop_reason"] = nullptr;
  if (usage.is_object()) {
    message["usage"]["output_tokens"] = 1;  // a placeholder that message_delta replaces
  }
  json delta_usage = json::object();
  if (usage.is_object()) {
    delta_usage["output_tokens"] = usage.value("output_tokens", 0);
  }

  sse_script s;
  s.opening = {event("message_start", {{"message", message}}),
               event("content_block_start",
                     {{"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}}),
               event("ping", json::object())};
  for (const auto& delta : split_deltas(*text)) {
    s.deltas.push_back(event("content_block_delta",
                             {{"index", 0}, {"delta", {{"type", "text_delta"}, {"text", delta}}}}));
  }
  s.error = event("error", {{"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}});
  s.closing = {event("content_block_stop", {{"index", 0}}),
               event("message_delta",
                     {{"delta",
                       {{"stop_reason", whole.value("stop_reason", json("end_turn"))},
                        {"stop_sequence", nullptr}}},
                      {"usage", delta_usage}}),
               event("message_stop", json::object())};
  return s;
}

// ---- Gemini streamGenerateContent?alt=sse (gemini-generatecontent.json stream_events)

/// `um` with candidatesTokenCount as it stood after `done` of `total` deltas (cumulative).
json usage_so_far(json um, std::size_t done, std::size_t total) {
  if (!um.is_object() || total == 0) {
    return um;
  }
  const long long out = um.value("candidatesTokenCount", 0LL);
  const long long so_far =
      std::min(out, static_cast<long long>((static_cast<std::size_t>(out) * done) / total));
  um["candidatesTokenCount"] = so_far;
  um["totalTokenCount"] = um.value("totalTokenCount", 0LL) - out + so_far;
  return um;
}

std::optional<sse_script> gemini_script(const json& whole) {
  const auto candidates = whole.find("candidates");
  if (candidates == whole.end() || !candidates->is_array() || candidates->empty() ||
      !(*candidates)[0].is_object()) {
    return std::nullopt;
  }
  const json& candidate = (*candidates)[0];
  const json content = candidate.value("content", json::object());
  const auto text =
      part_texts(content.is_object() ? content.value("parts", json()) : json(), "text");
  if (!text) {
    return std::nullopt;
  }
  const json um = whole.value("usageMetadata", json());
  const auto chunk = [&](const std::string& piece, const json& usage, const json& finish) {
    json c = {{"content", {{"parts", json::array({{{"text", piece}}})}, {"role", "model"}}},
              {"index", 0}};
    if (!finish.is_null()) {
      c["finishReason"] = finish;
    }
    json out = whole;
    out["candidates"] = json::array({std::move(c)});
    if (usage.is_null()) {
      out.erase("usageMetadata");
    } else {
      out["usageMetadata"] = usage;
    }
    return sse("", out);
  };
  sse_script s;
  const auto pieces = split_deltas(*text);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    s.deltas.push_back(chunk(pieces[i], usage_so_far(um, i + 1, pieces.size() + 1), nullptr));
  }
  // The error body of a real 500 (gemini-generatecontent.json errors), here after HTTP 200.
  s.error = sse("",
                {{"error",
                  {{"code", 500},
                   {"message",
                    "An internal error has occurred. Please retry or report in "
                    "https://developers.generativeai.google/guide/troubleshooting"},
                   {"status", "INTERNAL"}}}});
  s.closing = {chunk("", um, candidate.value("finishReason", json("STOP")))};
  return s;
}

bool gemini_sse(const received_request& request) {
  const auto q = request.target.find('?');
  return q != std::string::npos && request.target.find("alt=sse", q) != std::string::npos;
}

}  // namespace

bool asks_for_stream(const received_request& request) {
  if (const auto call = native_call_of(request); call && call->api == native_api::gemini) {
    const std::string_view target = request.target;
    return target.substr(0, target.find('?')).ends_with(":streamGenerateContent");
  }
  return wants_stream(request);
}

response_plan stream_reply(const received_request& request,
                           const response_plan& whole,
                           const sim_stream_options& options) {
  if (!asks_for_stream(request)) {
    return whole;
  }
  const auto body = success_body(whole);
  if (!body) {
    return whole;
  }
  std::optional<sse_script> script;
  if (const auto call = native_call_of(request)) {
    if (call->api != native_api::gemini) {
      return whole;  // Bedrock streams binary frames, not SSE
    }
    if (!gemini_sse(request)) {
      response_plan array = whole;  // without alt=sse: a JSON array of responses
      array.body = json::array({*body}).dump();
      return array;
    }
    script = gemini_script(*body);
  } else {
    switch (sim_flavours::wire_of(request)) {
      case sim_flavours::wire::openai_responses:
        script = responses_script(*body);
        break;
      case sim_flavours::wire::anthropic_messages:
        script = messages_script(*body);
        break;
      case sim_flavours::wire::azure_openai:
        script = chat_script(whole);
        if (script) {
          // Azure's first chunk: no choices, the prompt's filter results (a real capture).
          json first = {{"id", ""},
                        {"choices", json::array()},
                        {"created", 0},
                        {"model", ""},
                        {"object", ""},
                        {"prompt_filter_results", body->value("prompt_filter_results", json())}};
          script->opening.insert(script->opening.begin(), sse("", first));
        }
        break;
      case sim_flavours::wire::openai_chat:
        script = chat_script(whole);
        break;
    }
  }
  return script ? play_stream(whole, *script, options) : whole;
}

}  // namespace visionwatch
