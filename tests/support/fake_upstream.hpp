#pragma once
/// The tests' fake vision upstream: a sim_gateway (its own thread) driving one sim_model per
/// model name. Digits challenges are read by Tesseract (a separate OCR engine, through a temp
/// file), colour, shape and count by the pixel reader, so a request whose image did not arrive
/// cannot be answered right. Behaviour is chosen per model name or for every model; a raw handler
/// (per model or for all) scripts transport faults and hand-made replies. Remote image URLs
/// (media: remote_url) are fetched with a real HTTP GET. Every public member is thread-safe; the
/// models and handlers run on the gateway's thread.

#include <boost/core/noncopyable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"

namespace visionwatch::test {

/// Tesseract's reading of a digits image (single line, digits whitelist), digits only; nullopt
/// when it read nothing or could not run.
std::optional<std::string> tesseract_digits(std::string_view png);

/// The fake's eyes: tesseract_digits for digits questions, read_challenge for the others.
std::optional<std::string> fake_read(std::string_view png, std::string_view question);

/// GET `url` (http only, 10 s deadline); the body of a 200, else nullopt.
std::optional<std::string> fetch_url(const std::string& url);

/// The sim model's parser (daemon/sim/sim_model.hpp), for hand-made handlers.
using visionwatch::chat_request;
inline std::optional<chat_request> parse_chat_request(const received_request& request) {
  return visionwatch::parse_chat_request(request.body);
}

/// A well-formed 200 chat completion. Without `prompt_tokens` the reply has no usage object.
response_plan chat_completion(const std::string& model,
                              const std::string& content,
                              std::optional<long long> prompt_tokens,
                              long long completion_tokens = 4);

class fake_upstream : boost::noncopyable {
 public:
  struct options {
    std::string expected_api_key;  ///< non-empty: sim models answer 401 without it
    bool tesseract = true;         ///< false: the pixel reader for digits too (faster)
    std::chrono::milliseconds slow_min{50};
    std::chrono::milliseconds slow_max{150};
    std::uint64_t seed = 7;
  };

  fake_upstream();
  explicit fake_upstream(options opts);
  ~fake_upstream();

  void start();
  void stop();

  /// Every model without a rule of its own behaves like `b`.
  void set_behaviour(sim_behaviour b);
  void set_behaviour(const std::string& model, sim_behaviour b);
  /// Every model without a rule of its own is answered by `h` (faults, hand-made replies).
  void set_handler(sim_gateway::handler h);
  void set_handler(const std::string& model, sim_gateway::handler h);

  std::string base_url() const { return server_.base_url(); }
  std::uint16_t port() const { return server_.port(); }
  std::size_t request_count() const { return server_.request_count(); }
  /// Every request received so far (bodies included), in arrival order.
  std::vector<received_request> requests() const;

 private:
  struct rule {
    std::optional<sim_behaviour> behaviour;
    sim_gateway::handler raw;
  };

  response_plan handle(const received_request& request);

  options opts_;
  mutable std::mutex mutex_;
  std::map<std::string, rule> by_model_;
  std::optional<rule> fallback_;
  std::vector<received_request> requests_;
  std::map<std::string, std::unique_ptr<sim_model>> models_;  ///< gateway thread only
  sim_gateway server_;
};

/// The fake's options for count, colour and shape challenges or exact reading: the pixel reader
/// for digits too, no Tesseract.
inline fake_upstream::options pixel_reader_options() {
  fake_upstream::options o;
  o.tesseract = false;
  return o;
}

/// A fake upstream whose models all behave as `b`, started.
struct behaving_upstream : fake_upstream {
  explicit behaving_upstream(sim_behaviour b, options opts = {}) : fake_upstream(std::move(opts)) {
    set_behaviour(b);
    start();
  }
};

/// A fake upstream answering every request with `plan`, started.
struct answering_upstream : fake_upstream {
  explicit answering_upstream(response_plan plan) {
    set_handler([plan = std::move(plan)](const received_request&) { return plan; });
    start();
  }
};

}  // namespace visionwatch::test
