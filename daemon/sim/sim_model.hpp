#pragma once
/// A simulated vision model behind the sim gateway: it parses an OpenAI chat completions request,
/// really reads the image it was sent (pixel analysis of our challenge images, or a reader the
/// caller plugs in, e.g. tesseract in tests), and answers the way a healthy route, or one of the
/// broken routes seen in the wild, would. Used by `visionwatch demo` and by the tests' fake
/// upstream. Handlers run on the sim gateway's thread; a sim_model is not thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/sim/sim_gateway.hpp"

namespace visionwatch {

enum class sim_behaviour : std::uint8_t {
  healthy,                 ///< reads the image, answers right, usage counts the image
  drops_image_says_so,     ///< the image never arrives: "No image provided." (text-only usage)
  drops_image_guesses,     ///< the image never arrives: a confident guess (text-only usage)
  drops_image_pads_usage,  ///< a guess, but usage counts an image (a gateway computing tokens)
  cached,                  ///< a response cache: the first answer, forever
  refuses,                 ///< "I'm sorry, but I can't help with that."
  empty_answer,            ///< content "" with finish_reason "length"
  no_usage,                ///< right answer, no usage object
  wrong_types,             ///< 200 with choices[0].message.content as a number
  slow,                    ///< healthy, after a 2 to 6 s delay
  flaky,                   ///< healthy, but about one request in three fails (503, reset, 429)
  // Seen on real gateways (issue 11):
  fallback_model,       ///< reads the image and answers right, but the reply names another model
  thinks_then_answers,  ///< a `<think>` block doubting the image, then the right answer
  hedges_right_answer,  ///< the right answer wrapped in "I can't see the image clearly, but ..."
  claims_image_tokens,  ///< the upstream never got the image (text-only prompt_tokens), the
                        ///< gateway reports image_tokens from the tile formula, the answer is
                        ///< right (from its response cache)
  keeps_first_image,        ///< a conversion that drops every image after the first one
  rate_limited,  ///< HTTP 429 "Rate limit reached" with Retry-After: sim_retry_after (seconds)
  // Break one request shape each (issue 15; daemon/sim/sim_shapes.hpp):
  drops_image_with_tools,   ///< a request that declares tools loses its images
  drops_image_with_system,  ///< a request with a system message loses its images
  drops_earlier_images,     ///< images in user turns before the last one are stripped
  // Probe shapes (issue 15; daemon/sim/sim_image_faults.hpp):
  flattens_transparency,  ///< composites transparency onto black before reading
  downscales_heavily,     ///< downscales the image to 256 px on the long side before reading
  empty_reply_for_jpeg,   ///< HTTP 200 with an empty answer, for JPEG images only
  empty_reply_for_webp,   ///< HTTP 200 with an empty answer, for WebP images only
  empty_reply_for_gif,    ///< HTTP 200 with an empty answer, for GIF images only
};

/// The retry hint of the rate_limited behaviour (Retry-After; Gemini's RetryInfo in the body).
inline constexpr std::chrono::seconds sim_retry_after{7};

std::string_view to_string(sim_behaviour b) noexcept;
std::optional<sim_behaviour> sim_behaviour_from_string(std::string_view s) noexcept;

/// One image part of a request: its URL, detail and, for a data: URL, the decoded bytes.
struct chat_image {
  std::string url;
  std::string detail;
  std::optional<std::string> png;  ///< decoded data: URL image (remote URLs are not fetched)
  bool earlier = false;            ///< sent in a user turn before the last one (shape history)
};

/// The parts of an OpenAI chat completions request a simulated model needs: the text of the
/// last user message, the image parts in order and, for data: URLs, the decoded image bytes,
/// and what the request shapes add (daemon/sim/sim_shapes.hpp).
struct chat_request {
  std::string model;
  std::string prompt;                    ///< the last user message's text parts, concatenated
  std::optional<std::string> image_url;  ///< the last image part's URL (any image at all)
  std::string detail;                    ///< the last image part's detail
  std::optional<std::string> png;        ///< the first image part's decoded data: URL image
  std::vector<chat_image> images;        ///< every image part, in request order
  std::string system;                    ///< system and developer messages' text
  std::vector<std::string> tools;        ///< the declared function tools' names
  std::size_t user_turns = 0;            ///< user messages
  /// Text the model reads beside the prompt (system, tool declarations, earlier turns): billed
  /// as prompt tokens too.
  std::size_t context_bytes = 0;
};
/// nullopt (and `*error` set, when given) unless `body` is a chat completions request.
std::optional<chat_request> parse_chat_request(std::string_view body, std::string* error = nullptr);

class sim_model {
 public:
  /// Reads a PNG given the question; returns the answer it shows.
  using reader =
      std::function<std::optional<std::string>(std::string_view png, std::string_view question)>;
  /// Fetches a remote image URL (media: remote_url); empty optional when it fails.
  using fetcher = std::function<std::optional<std::string>(const std::string& url)>;

  struct options {
    reader read;                   ///< default: read_challenge (pixel analysis)
    fetcher fetch;                 ///< default: none (remote images count as missing)
    std::string expected_api_key;  ///< non-empty: 401 unless "Authorization: Bearer <key>"
    std::uint64_t seed = 1;        ///< for guesses, delays and flaky failures
    std::chrono::milliseconds slow_min{2000};
    std::chrono::milliseconds slow_max{6000};
  };

  sim_model();
  explicit sim_model(options opts);

  /// Answers one request as `behaviour` would.
  response_plan respond(const received_request& request, sim_behaviour behaviour);

  /// Prompt tokens the simulated model bills: text plus, when an image arrived, image tokens
  /// (85 at detail low, OpenAI's patch formula otherwise).
  static long long text_tokens(std::string_view prompt) noexcept;
  static long long image_tokens(std::string_view png, std::string_view detail) noexcept;

 private:
  options opts_;
  std::uint64_t rng_;
  std::optional<std::string> cached_answer_;
  std::uint64_t counter_ = 0;

  std::uint64_t next_random() noexcept;
};

}  // namespace visionwatch
