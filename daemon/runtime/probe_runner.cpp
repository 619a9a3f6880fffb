#include "daemon/runtime/probe_runner.hpp"

#include <fstream>
#include <iterator>

#include "daemon/runtime/media_store.hpp"
#include "probes/adapter.hpp"
#include "probes/challenge.hpp"
#include "probes/redactor.hpp"
#include "probes/text_util.hpp"
#include "probes/verdict.hpp"

namespace visionwatch {
namespace {

constexpr std::size_t max_custom_image_bytes = std::size_t{20} * 1024 * 1024;

probe_result start_result(const probe_job& job) {
  probe_result r;
  r.route = job.route->name;
  r.sequence = job.sequence;
  r.seed = job.seed;
  r.kind = job.route->settings.challenge.kind;
  r.custom = job.route->settings.challenge.custom();
  r.baseline_prompt_tokens = job.baseline_prompt_tokens;
  r.started_at = std::chrono::system_clock::now();
  return r;
}

probe_request base_request(const probe_job& job, std::string prompt) {
  const auto& ch = job.route->settings.challenge;
  probe_request req;
  req.base_url = job.gateway->base_url;
  req.model = job.route->model;
  req.prompt = std::move(prompt);
  req.max_tokens = ch.max_tokens;
  req.temperature = ch.temperature;
  req.api_key = job.gateway->api_key;
  req.extra_headers = job.gateway->headers;
  return req;
}

std::string describe_expectation(const challenge_config& ch) {
  if (!ch.expect_pattern.empty()) {
    return "/" + ch.expect_pattern + "/";
  }
  std::string out;
  for (const auto& w : ch.expect_words) {
    out += out.empty() ? "" : "|";
    out += w;
  }
  return out;
}

void fill_from_reply(probe_result& r,
                     const http_result& http,
                     const reply& rep,
                     const price_config& price) {
  r.http_status = http.status;
  r.phases = http.phases;
  r.latency_seconds = http.phases.total;
  r.tokens = rep.tokens;
  r.retry_after = rep.retry_after;
  r.answer_excerpt = sanitize_utf8(rep.text, reply_excerpt_limit);
  r.cost_usd = probe_cost(rep.tokens, price);
}

/// The one place a probe's upstream texts are cleaned of the gateway's secrets and of key shapes,
/// before the result reaches logs, the API, the status page, notifications and `check` output.
void redact_result(probe_result& r, const gateway_config& gateway) {
  const redactor redact = gateway_redactor(gateway);
  r.reason = redact(r.reason);
  r.answer_excerpt = redact(r.answer_excerpt);
}

}  // namespace

redactor gateway_redactor(const gateway_config& gateway) {
  redactor r;
  r.add(gateway.api_key);
  // Header values may be secrets resolved from ${VAR}; which ones is not recorded, so all are
  // masked (short ones such as "1" are ignored by the redactor).
  for (const auto& [name, value] : gateway.headers) {
    r.add(value);
  }
  if (!gateway.client.proxy_url.empty()) {
    r.add_url(gateway.client.proxy_url);
  }
  return r;
}

double probe_cost(const usage& u, const price_config& price) noexcept {
  const double in = u.prompt_tokens ? static_cast<double>(*u.prompt_tokens) : 0.0;
  const double out = u.completion_tokens ? static_cast<double>(*u.completion_tokens) : 0.0;
  return (in * price.input_per_million + out * price.output_per_million) / 1e6;
}

std::optional<custom_image> load_custom_image(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read image_file " + path;
    return std::nullopt;
  }
  custom_image img;
  img.bytes.assign(std::istreambuf_iterator<char>(in), {});
  if (img.bytes.size() > max_custom_image_bytes) {
    error = "image_file " + path + " is larger than 20 MiB";
    return std::nullopt;
  }
  const std::string_view b(img.bytes);
  if (b.starts_with("\x89PNG\r\n\x1a\n")) {
    img.mime = "image/png";
  } else if (b.starts_with("\xff\xd8\xff")) {
    img.mime = "image/jpeg";
  } else {
    error = "image_file " + path + " is neither PNG nor JPEG";
    return std::nullopt;
  }
  return img;
}

net::awaitable<probe_result> run_probe(probe_job job) {
  const auto& route = *job.route;
  const auto& ch = route.settings.challenge;
  probe_result r = start_result(job);

  answer_expectation expect;
  probe_request req = base_request(job, ch.custom() ? ch.prompt : std::string{});
  std::string media_token;
  if (ch.custom()) {
    expect.pattern = ch.expect_pattern;
    expect.accepted = ch.expect_words;
    r.expected = describe_expectation(ch);
    if (ch.media == media_mode::remote_url && !ch.image_url.empty()) {
      req.images.push_back(image_part{ch.image_url, ch.detail});
    } else if (job.image) {
      req.images.push_back(image_part{data_url(job.image->mime, job.image->bytes), ch.detail});
    }
  } else {
    auto c = make_challenge(challenge_options{ch.kind, ch.width, ch.height}, job.seed);
    req.prompt = std::move(c.question);
    expect.kind = c.kind;
    expect.answer = c.answer;
    r.expected = c.answer;
    if (ch.media == media_mode::remote_url && job.media) {
      // The image must outlive the gateway's fetch, which happens within the probe's deadline.
      const auto expires =
          media_store::clock::now() + route.settings.timeout + std::chrono::seconds(5);
      media_token = job.media->put(std::move(c.png), "image/png", expires);
      req.images.push_back(
          image_part{job.cfg->global.media_base_url + media_token + ".png", ch.detail});
    } else {
      req.images.push_back(image_part{png_data_url(c.png), ch.detail});
    }
  }

  http_request http_req = build_request(job.gateway->api, req);
  http_req.timeout = route.settings.timeout;
  const http_result http = co_await job.client->send(std::move(http_req));
  if (!media_token.empty()) {
    job.media->remove(media_token);
  }

  const reply rep = parse_reply(job.gateway->api, http);
  fill_from_reply(r, http, rep, route.settings.price);
  const verdict v = judge(http, rep, expect, job.baseline_prompt_tokens, route.settings.checks);
  r.result = v.result;
  r.reason = v.reason;
  r.usage_missing = v.usage_missing;
  redact_result(r, *job.gateway);
  co_return r;
}

net::awaitable<probe_result> run_control(probe_job job) {
  const auto& ch = job.route->settings.challenge;
  probe_result r = start_result(job);
  r.control = true;
  // The same prompt as the image probe, so the difference in prompt tokens is the image.
  std::string prompt = ch.custom() ? ch.prompt : std::string(question_for(ch.kind));
  http_request http_req = build_request(job.gateway->api, base_request(job, std::move(prompt)));
  http_req.timeout = job.route->settings.timeout;
  const http_result http = co_await job.client->send(std::move(http_req));
  const reply rep = parse_reply(job.gateway->api, http);
  fill_from_reply(r, http, rep, job.route->settings.price);
  const verdict v = judge_control(http, rep);
  r.result = v.result;
  r.reason = v.reason;
  r.usage_missing = v.usage_missing;
  if (v.result == outcome::ok && v.usage_missing) {
    r.reason = "no usage in the control reply: the baseline cannot be learned";
  }
  redact_result(r, *job.gateway);
  co_return r;
}

}  // namespace visionwatch
