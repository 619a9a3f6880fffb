#include "daemon/demo.hpp"

#include <nlohmann/json.hpp>

#include "daemon/config_values.hpp"

namespace visionwatch {
namespace {

std::optional<sim_behaviour> behaviour_of_model(std::string_view model) {
  if (!model.starts_with("vision-")) {
    return std::nullopt;
  }
  std::string name(model.substr(7));
  for (auto& c : name) {
    c = c == '-' ? '_' : c;
  }
  return sim_behaviour_from_string(name);
}

}  // namespace

demo_gateway::demo_gateway()
    : server_([this](const received_request& req) {
        const auto j = nlohmann::json::parse(req.body, nullptr, false);
        std::string model;
        if (j.is_object() && j.contains("model") && j["model"].is_string()) {
          model = j["model"].get<std::string>();
        }
        const auto b = behaviour_of_model(model);
        if (!b) {
          return response_plan::json(
              R"({"error":{"message":"The model does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}})",
              404);
        }
        return model_.respond(req, *b);
      }) {}

std::string demo_config_yaml(std::string_view gateway_url,
                             std::string_view listen,
                             std::string_view interval) {
  // The probe deadline must fit in the interval; 10 s unless the interval is shorter.
  std::string timeout = "10s";
  if (const auto d = parse_duration(interval); d && *d < std::chrono::seconds(10)) {
    timeout = format_duration(*d);
  }
  std::string y;
  y += "global:\n  listen: \"" + std::string(listen) + "\"\n";
  y += "defaults:\n  interval: " + std::string(interval) + "\n  timeout: " + timeout +
       "\n  baseline_interval: 10m\n  window: 20\n"
       "  price: {input_per_million: 0.40, output_per_million: 1.60}\n";
  y += "gateways:\n  - name: demo-gateway\n    base_url: \"" + std::string(gateway_url) +
       "\"\n    api: openai-chat\n    max_concurrency: 8\n    proxy_url: none\n";
  y += R"(routes:
  - {name: healthy, gateway: demo-gateway, model: vision-healthy, challenge: {kind: digits}}
  - {name: drops-image-says-so, gateway: demo-gateway, model: vision-drops-image-says-so, challenge: {kind: count}}
  - {name: drops-image-guesses, gateway: demo-gateway, model: vision-drops-image-guesses, challenge: {kind: color}}
  - {name: slow, gateway: demo-gateway, model: vision-slow, challenge: {kind: shape}}
  - {name: flaky, gateway: demo-gateway, model: vision-flaky, challenge: {kind: digits}}
)";
  return y;
}

}  // namespace visionwatch
