#include "daemon/sim/sim_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "daemon/sim/sim_shapes.hpp"
#include "daemon/sim/sim_image_faults.hpp"
#include "probes/challenge.hpp"
#include "probes/image_reader.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 25> behaviour_names = {
    "healthy",
    "drops_image_says_so",
    "drops_image_guesses",
    "drops_image_pads_usage",
    "cached",
    "refuses",
    "empty_answer",
    "no_usage",
    "wrong_types",
    "slow",
    "flaky",
    "fallback_model",
    "thinks_then_answers",
    "hedges_right_answer",
    "claims_image_tokens",
    "keeps_first_image",
    "rate_limited",
    "drops_image_with_tools",
    "drops_image_with_system",
    "drops_earlier_images",
    "flattens_transparency",
    "downscales_heavily",
    "empty_reply_for_jpeg",
    "empty_reply_for_webp",
    "empty_reply_for_gif",
};

/// The model a `fallback_model` gateway names: another one than the request's.
std::string fallback_for(std::string_view requested) {
  return requested.starts_with("gpt-4o-mini") ? "gpt-4.1-nano-2025-04-14"
                                              : "gpt-4o-mini-2024-07-18";
}

response_plan openai_error(unsigned status, std::string_view message, std::string_view type) {
  return response_plan::json(
      json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}}
          .dump(),
      status);
}

json completion(const std::string& model,
                const json& content,
                std::string_view finish_reason,
                std::optional<std::pair<long long, long long>> tokens,
                std::uint64_t id,
                long long image_tokens = 0) {
  json j = {{"id", "chatcmpl-sim-" + std::to_string(id)},
            {"object", "chat.completion"},
            {"created", 1767225600},
            {"model", model},
            {"choices",
             json::array(
                 {{{"index", 0},
                   {"message", {{"role", "assistant"}, {"content", content}, {"refusal", nullptr}}},
                   {"logprobs", nullptr},
                   {"finish_reason", finish_reason}}})}};
  if (tokens) {
    j["usage"] = {{"prompt_tokens", tokens->first},
                  {"completion_tokens", tokens->second},
                  {"total_tokens", tokens->first + tokens->second},
                  {"prompt_tokens_details", {{"cached_tokens", 0}, {"audio_tokens", 0}}}};
    if (image_tokens > 0) {
      j["usage"]["prompt_tokens_details"]["image_tokens"] = image_tokens;
    }
  }
  return j;
}

long long completion_tokens(std::string_view answer) {
  return static_cast<long long>(answer.size() + 3) / 4 + 1;
}

std::pair<std::uint32_t, std::uint32_t> png_size(std::string_view png) {
  if (png.size() < 24 || png.substr(12, 4) != "IHDR") {
    return {0, 0};
  }
  auto be32 = [&](std::size_t at) {
    return (std::uint32_t{static_cast<unsigned char>(png[at])} << 24) |
           (std::uint32_t{static_cast<unsigned char>(png[at + 1])} << 16) |
           (std::uint32_t{static_cast<unsigned char>(png[at + 2])} << 8) |
           std::uint32_t{static_cast<unsigned char>(png[at + 3])};
  };
  return {be32(16), be32(20)};
}

}  // namespace

std::string_view to_string(sim_behaviour b) noexcept {
  return behaviour_names[static_cast<std::size_t>(b)];
}

std::optional<sim_behaviour> sim_behaviour_from_string(std::string_view s) noexcept {
  for (std::size_t i = 0; i < behaviour_names.size(); ++i) {
    if (behaviour_names[i] == s) {
      return static_cast<sim_behaviour>(i);
    }
  }
  return std::nullopt;
}

std::optional<chat_request> parse_chat_request(std::string_view body, std::string* error) {
  auto fail = [error](std::string_view why) -> std::optional<chat_request> {
    if (error != nullptr) {
      *error = why;
    }
    return std::nullopt;
  };
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail("We could not parse the JSON body of your request.");
  }
  chat_request out;
  if (!j.contains("model") || !j["model"].is_string()) {
    return fail("you must provide a model parameter");
  }
  out.model = j["model"].get<std::string>();
  if (!j.contains("messages") || !j["messages"].is_array() || j["messages"].empty()) {
    return fail("'messages' must be a non-empty array");
  }
  for (const auto& m : j["messages"]) {
    if (!m.is_object() || !m.contains("content")) {
      continue;
    }
    if (m.value("role", "") != "user") {
      sim_shapes::take_message(m, out);  // system, assistant: context of the last user turn
      continue;
    }
    sim_shapes::start_user_turn(out);
    const auto& c = m["content"];
    if (c.is_string()) {
      out.prompt += c.get<std::string>();
      continue;
    }
    if (!c.is_array()) {
      continue;
    }
    for (const auto& part : c) {
      if (!part.is_object()) {
        continue;
      }
      const auto type = part.value("type", "");
      if (type == "text" && part.contains("text") && part["text"].is_string()) {
        out.prompt += part["text"].get<std::string>();
      } else if (type == "image_url" && part.contains("image_url") &&
                 part["image_url"].is_object()) {
        const auto& iu = part["image_url"];
        chat_image image;
        if (iu.contains("url") && iu["url"].is_string()) {
          image.url = iu["url"].get<std::string>();
          out.image_url = image.url;
        }
        if (iu.contains("detail") && iu["detail"].is_string()) {
          image.detail = iu["detail"].get<std::string>();
          out.detail = image.detail;
        }
        if (image.url.starts_with("data:")) {
          const auto at = image.url.find(";base64,");
          if (at != std::string::npos) {
            image.png = base64_decode(std::string_view(image.url).substr(at + 8));
          }
        }
        out.images.push_back(std::move(image));
      }
    }
  }
  if (!out.images.empty()) {
    out.png = out.images.front().png;
  }
  sim_shapes::take_tools(j, out);
  return out;
}

sim_model::sim_model() : sim_model(options{}) {}

sim_model::sim_model(options opts) : opts_(std::move(opts)), rng_(opts_.seed) {
  if (!opts_.read) {
    opts_.read = [](std::string_view png, std::string_view question) {
      return read_challenge(png, question);
    };
  }
}

std::uint64_t sim_model::next_random() noexcept {
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

long long sim_model::text_tokens(std::string_view prompt) noexcept {
  return 8 + static_cast<long long>(prompt.size() + 3) / 4;
}

long long sim_model::image_tokens(std::string_view png, std::string_view detail) noexcept {
  if (detail == "low") {
    return 85;
  }
  const auto [w, h] = png_size(png);
  if (w == 0 || h == 0) {
    return 85;
  }
  const double patches = std::min(1536.0, std::ceil(w / 32.0) * std::ceil(h / 32.0));
  return static_cast<long long>(std::llround(patches * 1.62));
}

response_plan sim_model::respond(const received_request& request, sim_behaviour behaviour) {
  const std::uint64_t n = ++counter_;
  if (!opts_.expected_api_key.empty() &&
      request.header("authorization") != "Bearer " + opts_.expected_api_key) {
    return openai_error(401, "Incorrect API key provided.", "invalid_request_error");
  }
  std::string error;
  const auto req = parse_chat_request(request.body, &error);
  if (!req) {
    return openai_error(400, error, "invalid_request_error");
  }
  if (behaviour == sim_behaviour::flaky && n % 3 == 0) {
    switch (next_random() % 3) {
      case 0:
        return openai_error(503, "The server is overloaded or not ready yet.", "server_error");
      case 1:
        return response_plan::with_action(response_plan::action::reset);
      default: {
        auto plan = openai_error(429, "Rate limit reached for requests", "requests");
        plan.headers.emplace_back("Retry-After", "1");
        return plan;
      }
    }
  }
  if (behaviour == sim_behaviour::rate_limited) {
    auto plan = openai_error(429, "Rate limit reached for requests", "requests");
    plan.headers.emplace_back("Retry-After", std::to_string(sim_retry_after.count()));
    return plan;
  }
  if (behaviour == sim_behaviour::wrong_types) {
    return response_plan::json(
        json{{"id", "x"}, {"choices", json::array({{{"message", {{"content", 42}}}}})}}.dump());
  }

  // Which images arrived? The "drops" behaviours model a gateway that loses them on the way,
  // keeps_first_image a conversion that keeps only the first of several.
  const bool drops = behaviour == sim_behaviour::drops_image_says_so ||
                     behaviour == sim_behaviour::drops_image_guesses ||
                     behaviour == sim_behaviour::drops_image_pads_usage;
  std::vector<std::optional<std::string>> pngs;
  bool empty_for_format = false;  // the empty_reply_for_<format> behaviours
  if (!drops) {
    for (const auto& image : req->images) {
      if (behaviour == sim_behaviour::keeps_first_image && !pngs.empty()) {
        break;
      }
      if (!sim_shapes::image_arrives(behaviour, *req, image)) {
        continue;
      }
      std::optional<std::string> png = image.png;
      if (!image.url.starts_with("data:") && opts_.fetch) {
        png = opts_.fetch(image.url);
      }
      if (png) {  // the image faults of the probe shapes (sim_image_faults.hpp)
        empty_for_format = empty_for_format || sim_faults::replies_empty_for(behaviour, *png);
        png = sim_faults::seen_image(behaviour, *png);
      }
      pngs.push_back(std::move(png));
    }
  }
  const long long text = sim_shapes::text_tokens(*req);
  long long image = 0;
  for (const auto& png : pngs) {
    image += png ? image_tokens(*png, req->detail) : 0;
  }

  auto answer_with = [&](std::string content,
                         long long prompt_tokens,
                         bool with_usage,
                         std::string_view finish = "stop",
                         const std::string* model = nullptr,
                         long long claimed_image_tokens = 0) {
    std::optional<std::pair<long long, long long>> tokens;
    if (with_usage) {
      tokens = std::make_pair(prompt_tokens, completion_tokens(content));
    }
    return response_plan::json(completion(model != nullptr ? *model : req->model,
                                          content,
                                          finish,
                                          tokens,
                                          n,
                                          claimed_image_tokens)
                                   .dump());
  };
  // A blind guess: uniform over the answer space, for as many images as the request had.
  auto guess = [&]() -> std::string {
    const auto kind = kind_from_question(req->prompt).value_or(challenge_kind::digits);
    std::string out;
    const auto add = [&out](std::string_view word) {
      out += out.empty() ? "" : " ";
      out += word;
    };
    for (std::size_t i = 0; i < std::max<std::size_t>(1, req->images.size()); ++i) {
      switch (kind) {
        case challenge_kind::color:
          for (int k = 0; k < challenge_color_objects; ++k) {
            add(challenge_colors[next_random() % challenge_colors.size()]);
          }
          break;
        case challenge_kind::shape:
          for (int k = 0; k < challenge_shape_objects; ++k) {
            add(challenge_shapes[next_random() % challenge_shapes.size()]);
          }
          break;
        case challenge_kind::count:
          for (int k = 0; k < challenge_count_boxes; ++k) {
            add(std::to_string(1 + next_random() % challenge_max_dots));
          }
          break;
        case challenge_kind::digits:
          add(std::to_string(1000 + next_random() % 9000));
          break;
      }
    }
    return out;
  };
  // An honest model: every image that arrived, read in order.
  auto read = [&]() -> std::string {
    if (!req->image_url) {
      return "";  // a text-only request: the control request that measures the baseline
    }
    if (pngs.empty() || !pngs.front()) {
      return "No image provided.";
    }
    std::string out;
    for (const auto& png : pngs) {
      const auto a = png ? opts_.read(*png, req->prompt) : std::nullopt;
      if (!a) {
        return "I can't make out anything in the image.";
      }
      out += out.empty() ? "" : " ";
      out += *a;
    }
    return out;
  };

  if (empty_for_format) {
    return answer_with("", text + image, true);
  }
  switch (behaviour) {
    case sim_behaviour::drops_image_says_so:
      return answer_with(req->image_url ? "Please upload an image for analysis. No image provided."
                                        : "Sure, send me the image.",
                         text,
                         true);
    case sim_behaviour::drops_image_guesses:
      return answer_with(guess(), text, true);
    case sim_behaviour::drops_image_pads_usage:
      return answer_with(guess(), text + (req->image_url ? 85 : 0), true);
    case sim_behaviour::refuses:
      return answer_with("I'm sorry, but I can't help with that.", text + image, true);
    case sim_behaviour::empty_answer:
      return answer_with("", text + image, true, "length");
    case sim_behaviour::cached: {
      if (!req->image_url) {
        return answer_with("OK.", text, true);
      }
      if (!cached_answer_) {
        cached_answer_ = read();
      }
      return answer_with(*cached_answer_, text + image, true);
    }
    case sim_behaviour::no_usage:
      return answer_with(req->image_url ? read() : "OK.", 0, false);
    case sim_behaviour::slow: {
      auto plan = answer_with(req->image_url ? read() : "OK.", text + image, true);
      const auto span = std::max<std::int64_t>(1, (opts_.slow_max - opts_.slow_min).count());
      plan.delay = opts_.slow_min + std::chrono::milliseconds(static_cast<std::int64_t>(
                                        next_random() % static_cast<std::uint64_t>(span)));
      return plan;
    }
    case sim_behaviour::fallback_model: {
      const std::string fallback = fallback_for(req->model);
      return answer_with(req->image_url ? read() : "OK.", text + image, true, "stop", &fallback);
    }
    case sim_behaviour::thinks_then_answers: {
      if (!req->image_url) {
        return answer_with(
            "<think>\nThere is no image here; I can only answer in text.\n"
            "</think>\n\nOK.",
            text,
            true);
      }
      const std::string a = read();
      return answer_with(
          "<think>\nThe user wants me to read the image. Hmm, I don't see the "
          "image at first... no, it is there, just small. Let me look carefully "
          "before answering.\n</think>\n\n" +
              a,
          text + image,
          true);
    }
    case sim_behaviour::hedges_right_answer:
      if (!req->image_url) {
        return answer_with("OK.", text, true);
      }
      return answer_with(
          "The image is small and low resolution, so I can't see the image in "
          "full detail, but it appears to show: " +
              read(),
          text + image,
          true);
    case sim_behaviour::claims_image_tokens: {
      if (!req->image_url) {
        return answer_with("OK.", text, true);
      }
      // The upstream got the text only, so it billed the text; the gateway adds its own image
      // count from the tile formula; the answer comes from the gateway's response cache.
      const long long claimed = req->detail == "low" ? 85 : 765;
      if (!cached_answer_) {
        cached_answer_ = read();
      }
      return answer_with(*cached_answer_, text + 1, true, "stop", nullptr, claimed);
    }
    case sim_behaviour::healthy:
    case sim_behaviour::keeps_first_image:
    case sim_behaviour::drops_image_with_tools:
    case sim_behaviour::drops_image_with_system:
    case sim_behaviour::drops_earlier_images:
    case sim_behaviour::flattens_transparency:
    case sim_behaviour::downscales_heavily:
    case sim_behaviour::empty_reply_for_jpeg:
    case sim_behaviour::empty_reply_for_webp:
    case sim_behaviour::empty_reply_for_gif:
    case sim_behaviour::flaky:
    case sim_behaviour::wrong_types:
    case sim_behaviour::rate_limited:
      break;
  }
  return answer_with(req->image_url ? read() : "OK.", text + image, true);
}

}  // namespace visionwatch
