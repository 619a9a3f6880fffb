#include "daemon/sim/demo.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "daemon/config/config_values.hpp"
#include "daemon/sim/sim_flavours.hpp"
#include "daemon/sim/sim_native_stream.hpp"

namespace visionwatch {

sim_stream_options stream_options_of_model(std::string_view model,
                                           const sim_stream_models& models) {
  sim_stream_options o;
  o.first_token_delay = models.first_token_delay;
  if (model == models.error_event) {
    o.ending = sim_stream_ending::error_event;
  } else if (model == models.cut_off) {
    o.ending = sim_stream_ending::cut_off;
  } else if (model == models.slow) {
    o.first_token_delay = models.slow_first_token_delay;
  }
  return o;
}

namespace {

std::optional<sim_behaviour> behaviour_of_model(std::string_view model) {
  const auto& m = demo_stream_models;
  if (model == m.error_event || model == m.cut_off || model == m.slow) {
    return sim_behaviour::healthy;  // their stream options break it
  }
  if (!model.starts_with("vision-")) {
    return std::nullopt;
  }
  std::string name(model.substr(7));
  for (auto& c : name) {
    c = c == '-' ? '_' : c;
  }
  return sim_behaviour_from_string(name);
}

sim_model::options model_options(const std::string& api_key) {
  sim_model::options o;
  o.expected_api_key = api_key;
  return o;
}

}  // namespace

demo_gateway::demo_gateway(std::chrono::milliseconds period,
                           native_keys keys,
                           const std::string& api_key)
    : model_(model_options(api_key)),
      period_(period),
      keys_(std::move(keys)),
      server_([this](const received_request& req) { return handle(req); }) {}

response_plan demo_gateway::handle(const received_request& req) {
  const auto received = std::chrono::steady_clock::now();
  const auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (req.target == "/control" || req.target.starts_with("/control?")) {
    if (req.method != "POST" || !j.is_object() || !j.contains("model") || !j["model"].is_string()) {
      return response_plan::json(R"({"error":"POST {\"model\": ..., \"behaviour\": ...}"})", 400);
    }
    const auto model = j["model"].get<std::string>();
    if (!j.contains("behaviour") || j["behaviour"].is_null()) {
      overrides_.erase(model);
      return response_plan::json(R"({"status":"default"})");
    }
    const auto b = j["behaviour"].is_string()
                       ? sim_behaviour_from_string(j["behaviour"].get<std::string>())
                       : std::nullopt;
    if (!b) {
      return response_plan::json(R"({"error":"unknown behaviour"})", 400);
    }
    overrides_[model] = *b;
    return response_plan::json(R"({"status":"set"})");
  }
  // Native flavours name the model in the path (Gemini, Bedrock, Azure deployments) or in
  // their own body shape (Responses, Messages).
  const auto native = native_call_of(req);
  const std::string model = native ? native->model : sim_flavours::model_of(req);
  std::optional<sim_behaviour> b;
  if (const auto it = overrides_.find(model); it != overrides_.end()) {
    b = it->second;
  } else if (model == "vision-intermittent") {
    const auto phase = (std::chrono::steady_clock::now() - started_) / period_;
    b = phase % 2 == 0 ? sim_behaviour::drops_image_says_so : sim_behaviour::healthy;
  } else {
    b = behaviour_of_model(model);
  }
  if (native && native->stream) {
    // Bedrock's ConverseStream: AWS event-stream frames, which respond_native writes itself.
    return respond_native(
        native_model_, keys_, req, *native, b, stream_options_of_model(model, demo_stream_models));
  }
  if (!native && !b) {
    if (sim_flavours::wire_of(req) != sim_flavours::wire::openai_chat) {
      return sim_flavours::error_reply(
          req, 404, "The model does not exist or you do not have access to it.", "not_found");
    }
    return response_plan::json(
        R"({"error":{"message":"The model does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}})",
        404);
  }
  const response_plan whole = native ? respond_native(native_model_, keys_, req, *native, b)
                                     : sim_flavours::respond(model_, req, *b);
  // A request that asks for a stream gets the reply streamed in its own flavour, the first
  // token its delay after the request arrived: reading the image is part of that time.
  auto options = stream_options_of_model(model, demo_stream_models);
  const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - received);
  options.first_token_delay =
      std::max(std::chrono::milliseconds(0), options.first_token_delay - spent);
  return stream_reply(req, whole, options);
}

std::string demo_config_yaml(std::string_view gateway_url, const demo_settings& st) {
  // The probe deadline must fit in the interval; 10 s unless the interval is shorter.
  std::string timeout = "10s";
  if (const auto d = parse_duration(st.interval); d && *d < std::chrono::seconds(10)) {
    timeout = format_duration(*d);
  }
  std::string y;
  y += "global:\n  listen: \"" + st.listen + "\"\n";
  if (!st.state_dir.empty()) {
    y += "  state_dir: \"" + st.state_dir + "\"\n";
  }
  y += "defaults:\n  interval: " + st.interval + "\n  timeout: " + timeout +
       "\n  baseline_interval: 10m\n  window: 20\n"
       "  price: {input_per_million: 0.40, output_per_million: 1.60}\n";
  y += "gateways:\n  - name: demo-gateway\n    base_url: \"" + std::string(gateway_url) +
       "\"\n    api: openai-chat\n    max_concurrency: 8\n    proxy_url: none\n";
  // The same simulated gateway speaking Anthropic's Messages API (told by the path).
  y += "  - name: demo-anthropic\n    base_url: \"" + std::string(gateway_url) +
       "\"\n    api: anthropic-messages\n    max_concurrency: 4\n    proxy_url: none\n";
  y += R"(routes:
  - {name: healthy, gateway: demo-gateway, model: vision-healthy, challenge: {kind: digits}}
  - {name: drops-image-says-so, gateway: demo-gateway, model: vision-drops-image-says-so, challenge: {kind: count}}
  - {name: drops-image-guesses, gateway: demo-gateway, model: vision-drops-image-guesses, challenge: {kind: color}}
  - {name: slow, gateway: demo-gateway, model: vision-slow, challenge: {kind: shape}}
  - {name: flaky, gateway: demo-gateway, model: vision-flaky, challenge: {kind: digits}}
  - {name: breaks-and-heals, gateway: demo-gateway, model: vision-intermittent, challenge: {kind: digits}}
  - {name: native-anthropic, gateway: demo-anthropic, model: vision-healthy, challenge: {kind: color}}
  - {name: streaming, gateway: demo-gateway, model: vision-healthy, stream: true, challenge: {kind: digits}}
  - {name: native-streaming, gateway: demo-anthropic, model: vision-healthy, stream: true, challenge: {kind: count}}
  - {name: breaks-with-tools, gateway: demo-gateway, model: vision-drops-image-with-tools, shapes: [plain, tools], challenge: {kind: digits}}
)";
  if (!st.webhook_url.empty() || !st.alertmanager_url.empty()) {
    y += "receivers:\n";
    if (!st.webhook_url.empty()) {
      y += "  - {name: webhook, type: webhook, url: \"" + st.webhook_url + "\"}\n";
    }
    if (!st.alertmanager_url.empty()) {
      y += "  - {name: alertmanager, type: alertmanager, url: \"" + st.alertmanager_url + "\"}\n";
    }
  }
  return y;
}

}  // namespace visionwatch
