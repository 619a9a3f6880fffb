#pragma once
/// The built-in demo: a simulated gateway on loopback whose models (chosen by the request's
/// `model`) behave like healthy and broken vision routes, and the embedded configuration that
/// points the daemon at it. Also used by the end-to-end tests.

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"
#include "daemon/sim/sim_native.hpp"
#include "daemon/sim/sim_stream.hpp"

namespace visionwatch {

/// When the demo's streamed replies send their first token, from the moment the request arrived
/// (the time the model spends reading the image counts): models "vision-slow-first-token" take
/// the slow delay.
inline constexpr std::chrono::milliseconds demo_first_token_delay{250};
inline constexpr std::chrono::milliseconds demo_slow_first_token_delay{1500};

/// The models of a simulated gateway whose streamed replies break or slow down, and the delays
/// of its first token: the demo's (demo_stream_models) or a test's own.
struct sim_stream_models {
  std::string_view error_event;  ///< sends an error event after HTTP 200
  std::string_view cut_off;      ///< stops mid-body
  std::string_view slow;         ///< thinks longer: its first token after slow_first_token_delay
  std::chrono::milliseconds first_token_delay;  ///< every other model's
  std::chrono::milliseconds slow_first_token_delay;
};

inline constexpr sim_stream_models demo_stream_models{"vision-stream-error",
                                                      "vision-stream-cut-off",
                                                      "vision-slow-first-token",
                                                      demo_first_token_delay,
                                                      demo_slow_first_token_delay};

/// How a streamed reply of `model` goes, as `models` says.
sim_stream_options stream_options_of_model(std::string_view model, const sim_stream_models& models);

/// A sim_gateway whose handler maps model "vision-<behaviour>" (e.g. vision-healthy,
/// vision-drops-image-says-so, vision-rate-limited) to a sim_model behaviour; unknown models get
/// 404 like a real gateway. A request that asks for a stream gets its reply streamed in its own
/// flavour (sim_native_stream.hpp), the first token after demo_first_token_delay; models
/// "vision-stream-error", "vision-stream-cut-off" and "vision-slow-first-token"
/// (demo_slow_first_token_delay) answer healthy but break or slow the stream. Model "vision-intermittent" drops the image for `period`, then heals for `period`,
/// and so on, so alerts fire and resolve on their own. A small control endpoint changes any
/// model's behaviour at run time:
///   POST /control  {"model": "vision-healthy", "behaviour": "drops_image_says_so"}
///   POST /control  {"model": "vision-healthy", "behaviour": null}   (back to its default)
class demo_gateway {
 public:
  /// `keys`: the credentials its native flavours (Gemini, Bedrock Converse; see sim_native.hpp)
  /// accept; empty ones accept any. `api_key`: the key the other flavours (chat, Responses,
  /// Messages, Azure) accept (anything else gets 401); empty accepts any.
  explicit demo_gateway(std::chrono::milliseconds period = std::chrono::minutes(2),
                        native_keys keys = {},
                        const std::string& api_key = {});
  void start() { server_.start(); }
  void stop() { server_.stop(); }
  [[nodiscard]] std::string base_url() const { return server_.base_url(); }
  [[nodiscard]] std::size_t request_count() const { return server_.request_count(); }

 private:
  response_plan handle(const received_request& req);

  sim_model model_;  ///< used on the server thread only
  /// The native APIs' model: they check their own credentials (native_keys), not model_'s key.
  sim_model native_model_;
  std::chrono::milliseconds period_;
  native_keys keys_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::map<std::string, sim_behaviour> overrides_;  ///< server thread only
  sim_gateway server_;
};

struct demo_settings {
  std::string listen = "127.0.0.1:9464";
  std::string interval = "15s";
  std::string webhook_url;       ///< adds a generic webhook receiver when set
  std::string alertmanager_url;  ///< adds an Alertmanager receiver when set
  std::string state_dir;         ///< empty: a fresh temporary directory
};

/// The demo's configuration: eight routes on the simulated gateway's chat completions API (one
/// streams; one, breaks-with-tools, probes shapes plain and tools and loses the image only when
/// the request declares a tool) and two on its Anthropic Messages API (one streams).
std::string demo_config_yaml(std::string_view gateway_url, const demo_settings& s);

}  // namespace visionwatch
