#include "tests/support/fake_upstream.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "probes/image_reader.hpp"
#include "probes/text_util.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/process.hpp"

namespace visionwatch::test {
namespace {

using nlohmann::json;

/// A temp file that disappears with its owner, so a failed OCR run leaves nothing behind.
class temp_png {
 public:
  explicit temp_png(std::string_view bytes) {
    std::string pattern = (std::filesystem::temp_directory_path() / "vw-ocr-XXXXXX.png").string();
    const int fd = mkstemps(pattern.data(), 4);
    if (fd < 0) {
      throw std::runtime_error("mkstemps failed for " + pattern);
    }
    std::size_t written = 0;
    while (written < bytes.size()) {
      const auto n = ::write(fd, bytes.data() + written, bytes.size() - written);
      if (n <= 0) {
        ::close(fd);
        std::filesystem::remove(pattern);
        throw std::runtime_error("cannot write " + pattern);
      }
      written += static_cast<std::size_t>(n);
    }
    ::close(fd);
    path_ = pattern;
  }
  ~temp_png() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  temp_png(const temp_png&) = delete;
  temp_png& operator=(const temp_png&) = delete;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

response_plan model_not_found() {
  return response_plan::json(
      R"({"error":{"message":"The model does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}})",
      404);
}

std::string model_of(const received_request& request) {
  const json j = json::parse(request.body, nullptr, false);
  if (j.is_object() && j.contains("model") && j["model"].is_string()) {
    return j["model"].get<std::string>();
  }
  return {};
}

}  // namespace

std::optional<std::string> tesseract_digits(std::string_view png) {
  const temp_png file(png);
  // One OpenMP thread: Tesseract's own threading only adds overhead on these small images.
  const auto r = run_process({"tesseract",
                              file.path(),
                              "stdout",
                              "--psm",
                              "7",
                              "-c",
                              "tessedit_char_whitelist=0123456789"},
                             {"OMP_THREAD_LIMIT=1"},
                             std::chrono::seconds(30));
  if (r.exit_code != 0) {
    return std::nullopt;
  }
  std::string digits;
  for (const char c : r.out) {
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      digits += c;
    }
  }
  if (digits.empty()) {
    return std::nullopt;
  }
  return digits;
}

std::optional<std::string> fake_read(std::string_view png, std::string_view question) {
  if (kind_from_question(question) == challenge_kind::digits) {
    return tesseract_digits(png);
  }
  return read_challenge(png, question);
}

std::optional<std::string> fetch_url(const std::string& url) {
  auto r = http_get(url, std::chrono::seconds(10));
  if (r.status != 200) {
    return std::nullopt;
  }
  return std::move(r.body);
}

response_plan chat_completion(const std::string& model,
                              const std::string& content,
                              std::optional<long long> prompt_tokens,
                              long long completion_tokens) {
  json j = {{"id", "chatcmpl-fake"},
            {"object", "chat.completion"},
            {"created", 1767225600},
            {"model", model},
            {"choices",
             json::array({{{"index", 0},
                           {"message", {{"role", "assistant"}, {"content", content}}},
                           {"finish_reason", "stop"}}})}};
  if (prompt_tokens) {
    j["usage"] = {{"prompt_tokens", *prompt_tokens},
                  {"completion_tokens", completion_tokens},
                  {"total_tokens", *prompt_tokens + completion_tokens}};
  }
  return response_plan::json(j.dump());
}

fake_upstream::fake_upstream() : fake_upstream(options{}) {}

fake_upstream::fake_upstream(options opts)
    : opts_(std::move(opts)),
      server_([this](const received_request& request) { return handle(request); }) {}

fake_upstream::~fake_upstream() { server_.stop(); }

void fake_upstream::start() { server_.start(); }
void fake_upstream::stop() { server_.stop(); }

void fake_upstream::set_behaviour(sim_behaviour b) {
  const std::lock_guard lock(mutex_);
  fallback_ = rule{b, {}};
}

void fake_upstream::set_behaviour(const std::string& model, sim_behaviour b) {
  const std::lock_guard lock(mutex_);
  by_model_[model] = rule{b, {}};
}

void fake_upstream::set_handler(sim_gateway::handler h) {
  const std::lock_guard lock(mutex_);
  fallback_ = rule{std::nullopt, std::move(h)};
}

void fake_upstream::set_handler(const std::string& model, sim_gateway::handler h) {
  const std::lock_guard lock(mutex_);
  by_model_[model] = rule{std::nullopt, std::move(h)};
}

std::vector<received_request> fake_upstream::requests() const {
  const std::lock_guard lock(mutex_);
  return requests_;
}

response_plan fake_upstream::handle(const received_request& request) {
  const std::string model = model_of(request);
  std::optional<rule> r;
  {
    const std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (auto it = by_model_.find(model); it != by_model_.end()) {
      r = it->second;
    } else {
      r = fallback_;
    }
  }
  // Outside the lock: a handler may block (OCR, a remote fetch, a scripted delay).
  if (!r) {
    return model_not_found();
  }
  if (r->raw) {
    return r->raw(request);
  }
  auto& m = models_[model];
  if (!m) {
    sim_model::options o;
    if (opts_.tesseract) {
      o.read = fake_read;
    }
    o.fetch = fetch_url;
    o.expected_api_key = opts_.expected_api_key;
    o.seed = opts_.seed;
    o.slow_min = opts_.slow_min;
    o.slow_max = opts_.slow_max;
    m = std::make_unique<sim_model>(std::move(o));
  }
  return m->respond(request, *r->behaviour);
}

}  // namespace visionwatch::test
