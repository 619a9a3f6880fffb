#pragma once
/// Runs one probe end to end: challenge → request (adapter) → http client → reply (adapter) →
/// verdict → probe_result. Also runs the text-only control request that measures a route's usage
/// baseline. Called from the scheduler and from `visionwatch check`, on the io_context thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "probes/adapter.hpp"
#include "probes/http_client.hpp"
#include "probes/net.hpp"
#include "probes/probe_result.hpp"
#include "probes/redactor.hpp"
#include "probes/verdict.hpp"

namespace visionwatch {

class media_store;

/// A user-supplied probe image, read once when the configuration is loaded.
struct custom_image {
  std::string bytes;
  std::string mime;  ///< image/png or image/jpeg
};

/// Everything one probe needs. Held by value in the coroutine frame: the shared pointers keep the
/// configuration and the client alive across a reload that happens while the probe is in flight.
struct probe_job {
  std::shared_ptr<const config> cfg;
  const route_config* route = nullptr;      ///< points into *cfg
  const gateway_config* gateway = nullptr;  ///< points into *cfg
  std::shared_ptr<http_client> client;
  /// The gateway's redactor, built once per gateway when the runtime is prepared (the probe
  /// path is hot); when empty, one is built from *gateway for this probe (`check`, tests).
  std::shared_ptr<const redactor> redact;
  std::shared_ptr<const custom_image> image;  ///< set for custom probes with image_file
  std::shared_ptr<media_store> media;         ///< set when the route uses media: remote_url
  std::uint64_t sequence = 0;
  std::uint64_t seed = 0;
  /// The probe's shape (apply_shape on the challenge options and the request); for a control
  /// request, the shape of the request form it measures.
  probe_shape shape = probe_shape::plain;
  /// The usage baseline of the shape's request form (route_state::baseline(form_of(shape))).
  std::optional<long long> baseline_prompt_tokens;
};

/// Reads a custom probe image and detects its type; std::nullopt and `error` set on failure.
std::optional<custom_image> load_custom_image(const std::string& path, std::string& error);

/// Custom images loaded once per file: the routes of a matrix inherit one image_file (up to
/// 20 MiB) from defaults, and a copy per route would multiply it by the number of routes.
class custom_image_files {
 public:
  /// The image in `path`, read on the first call for it; nullptr and `error` set on failure.
  std::shared_ptr<const custom_image> get(const std::string& path, std::string& error);

 private:
  std::map<std::string, std::shared_ptr<const custom_image>, std::less<>> by_path_;
};

/// An image probe ready to send: what it keeps while the request is in flight. The encoded image
/// is only in `request.body` (the probe_request it was built from is gone), and http_client
/// frees that once the request is written.
struct prepared_probe {
  probe_result result;  ///< started: route, seed, shape, expected answer
  answer_expectation expect;
  std::vector<std::string> media_tokens;  ///< media_store entries to remove after the exchange
  std::unique_ptr<stream_decoder> decoder;  ///< set for a streamed probe; request.sink points here
  std::string sent_key;   ///< the key or token the request carries (for redaction)
  std::string signature;  ///< a SigV4 signature of this request, if any (for redaction)
  http_request request;
};

/// Draws and encodes the challenge and builds the request (run_probe's first half).
prepared_probe prepare_probe(const probe_job& job);
/// The control request's (run_control's first half; no image, no expectation).
prepared_probe prepare_control(const probe_job& job);
/// The second half of either: the verdict on the reply `http` to `p.request`, redacted.
probe_result judge_prepared(prepared_probe& p, const probe_job& job, const http_result& http);

/// The image probe. Never throws for network or reply problems: they become the outcome.
net::awaitable<probe_result> run_probe(probe_job job);

/// The text-only control request (same prompt and request form as job.shape's probes, no
/// image). On success the result's tokens.prompt_tokens is the new baseline of that form; its
/// outcome is ok or the transport/HTTP failure.
net::awaitable<probe_result> run_control(probe_job job);

/// Masks the gateway's configured secrets (api key, the current bearer_token_file token, extra
/// header values, proxy credentials) and
/// common key shapes; applied to every probe result's reason and answer excerpt.
redactor gateway_redactor(const gateway_config& gateway);

/// USD for the given usage and prices (0 for missing fields).
double probe_cost(const usage& u, const price_config& price) noexcept;

}  // namespace visionwatch
