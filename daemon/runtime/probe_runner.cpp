#include "daemon/runtime/probe_runner.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "daemon/runtime/media_store.hpp"
#include "probes/adapter.hpp"
#include "probes/challenge.hpp"
#include "probes/redactor.hpp"
#include "probes/text_util.hpp"
#include "probes/verdict.hpp"

namespace visionwatch {
namespace {

constexpr std::size_t max_custom_image_bytes = std::size_t{20} * 1024 * 1024;

/// min_image_tokens per image times the images sent (the setting is at most 1,000,000 and
/// images at most 4, but a programmatic config must not overflow either).
long long saturating_mul_images(long long per_image, int images) {
  constexpr long long cap = std::numeric_limits<long long>::max() / challenge_max_images;
  return std::min(per_image, cap) * images;
}

probe_result start_result(const probe_job& job) {
  probe_result r;
  r.route = job.route->name;
  r.sequence = job.sequence;
  r.seed = job.seed;
  r.kind = job.route->settings.challenge.kind;
  r.shape = job.shape;
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
  if (job.gateway->bearer_token) {
    // Re-read when the sidecar changed the file (one stat per probe).
    req.api_key = job.gateway->bearer_token->current();
    req.bearer_token = true;
  }
  req.anthropic_version = job.gateway->anthropic_version;
  req.api_version = job.gateway->api_version;
  req.extra_headers = job.gateway->headers;
  req.now = std::chrono::system_clock::now();
  req.aws_credentials = job.gateway->aws_credentials;
  req.aws_region = job.gateway->aws_region;
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
/// `sent_key`: the key or token the request carried (a bearer_token_file token may have been
/// refreshed since the gateway's redactor was built); `request_secret`: a secret of this request
/// only (a SigV4 signature). Those are masked first, so a key shape cannot cut them apart.
void redact_result(probe_result& r,
                   const probe_job& job,
                   std::string_view sent_key,
                   std::string_view request_secret) {
  const auto apply = [&r](const redactor& redact) {
    r.reason = redact(r.reason);
    r.answer_excerpt = redact(r.answer_excerpt);
  };
  if (!request_secret.empty() || job.gateway->bearer_token) {
    redactor per_request;
    per_request.add(sent_key);
    per_request.add(request_secret);
    apply(per_request);
  }
  if (job.redact) {
    apply(*job.redact);
  } else {
    apply(gateway_redactor(*job.gateway));
  }
}

/// The SigV4 signature of a signed request ("" otherwise): it authorises this one request.
std::string request_signature(const http_request& req) {
  for (const auto& [name, value] : req.headers) {
    if (ascii_iequals(name, "authorization")) {
      if (const auto at = value.find("Signature="); at != std::string::npos) {
        return value.substr(at + 10);
      }
    }
  }
  return {};
}

}  // namespace

redactor gateway_redactor(const gateway_config& gateway) {
  redactor r;
  r.add(gateway.api_key);
  if (gateway.bearer_token) {
    r.add(gateway.bearer_token->current());
  }
  // Header values may be secrets resolved from ${VAR}; which ones is not recorded, so all are
  // masked (short ones such as "1" are ignored by the redactor).
  for (const auto& [name, value] : gateway.headers) {
    r.add(value);
  }
  if (!gateway.client.proxy_url.empty()) {
    r.add_url(gateway.client.proxy_url);
  }
  r.add(gateway.aws_credentials.secret_access_key);
  r.add(gateway.aws_credentials.session_token);
  return r;
}

double probe_cost(const usage& u, const price_config& price) noexcept {
  const double in = u.prompt_tokens ? static_cast<double>(*u.prompt_tokens) : 0.0;
  const double out = u.completion_tokens ? static_cast<double>(*u.completion_tokens) : 0.0;
  return (in * price.input_per_million + out * price.output_per_million) / 1e6;
}

std::optional<custom_image> load_custom_image(const std::string& path, std::string& error) {
  // The configuration checked the file, but it may have been replaced since: never open a
  // FIFO (it would block) and never read more than the limit (/dev/zero has no end).
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    error = "cannot read image_file " + path + ": " + (ec ? ec.message() : "not a regular file");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read image_file " + path;
    return std::nullopt;
  }
  // Read in pieces up to one byte over the limit, then fit: the image is kept for the life of
  // the configuration, and a buffer of the limit would keep 20 MiB of it resident.
  custom_image img;
  std::array<char, std::size_t{64} * 1024> piece{};
  while (img.bytes.size() <= max_custom_image_bytes &&
         in.read(piece.data(), static_cast<std::streamsize>(piece.size())).gcount() > 0) {
    img.bytes.append(piece.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (img.bytes.size() > max_custom_image_bytes) {
    error = "image_file " + path + " is larger than 20 MiB";
    return std::nullopt;
  }
  img.bytes.shrink_to_fit();
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

prepared_probe prepare_probe(const probe_job& job) {
  const auto& route = *job.route;
  const auto& ch = route.settings.challenge;
  prepared_probe p;
  p.result = start_result(job);
  p.expect.model = route.model;
  // `req` (with the encoded images) ends with this function: only the request built from it
  // holds the image while the probe waits, and the client frees that body once it is sent.
  probe_request req = base_request(job, ch.custom() ? ch.prompt : std::string{});
  if (ch.custom()) {
    p.expect.pattern = ch.expect_pattern;
    p.expect.compiled_pattern = ch.expect_regex;
    p.expect.accepted = ch.expect_words;
    p.result.expected = describe_expectation(ch);
    if (ch.media == media_mode::remote_url && !ch.image_url.empty()) {
      req.images.push_back(image_part{ch.image_url, ch.detail});
    } else if (job.image) {
      req.images.push_back(image_part{data_url(job.image->mime, job.image->bytes), ch.detail});
    }
  } else {
    challenge_options options{ch.kind, ch.width, ch.height};
    apply_shape(job.shape, options);
    auto set = make_challenge_set(options, job.seed, std::max(1, ch.images));
    req.prompt = std::move(set.question);
    p.expect.kind = set.kind;
    p.expect.answer = set.answer;
    p.result.expected = set.answer;
    // The image must outlive the gateway's fetch, which happens within the probe's deadline.
    const auto expires =
        media_store::clock::now() + route.settings.timeout + std::chrono::seconds(5);
    for (auto& c : set.images) {
      if (ch.media == media_mode::remote_url && job.media) {
        p.media_tokens.push_back(
            job.media->put(std::move(c.image), std::string(c.media_type), expires));
        req.images.push_back(image_part{job.cfg->global.media_base_url + p.media_tokens.back() +
                                            std::string(media_extension(c.media_type)),
                                        ch.detail});
      } else {
        req.images.push_back(image_part{data_url(c.media_type, c.image), ch.detail});
      }
    }
  }

  // The request form of the shape (system message, tool, earlier turn), once the prompt is set:
  // history puts its prefix before the question.
  apply_shape(job.shape, req);
  // A streamed probe hands the body to the flavour's decoder as it arrives (time to first
  // token); config validation keeps `stream` to flavours that have one.
  req.stream = route.settings.stream && can_stream(job.gateway->api);
  if (req.stream) {
    p.decoder = make_stream_decoder(job.gateway->api);
  }
  p.sent_key = req.api_key;
  p.request = build_request(job.gateway->api, req);
  p.request.timeout = route.settings.timeout;
  p.request.sink = p.decoder.get();
  p.signature = request_signature(p.request);
  return p;
}

namespace {

/// The verdict on the reply of a prepared probe (after the exchange).
probe_result judge_image(prepared_probe& p, const probe_job& job, const http_result& http) {
  if (job.media) {
    for (const auto& token : p.media_tokens) {
      job.media->remove(token);
    }
  }
  const auto& route = *job.route;
  const auto& ch = route.settings.challenge;
  probe_result& r = p.result;
  const reply rep = p.decoder ? p.decoder->finish(http, std::chrono::system_clock::now())
                              : parse_reply(job.gateway->api, http);
  fill_from_reply(r, http, rep, route.settings.price);
  // The usage check expects the prompt to grow by min_image_tokens for each image sent.
  verdict_checks checks = route.settings.checks;
  if (!ch.custom() && ch.images > 1) {
    checks.min_image_tokens = saturating_mul_images(checks.min_image_tokens, ch.images);
  }
  const verdict v = judge(http, rep, p.expect, job.baseline_prompt_tokens, checks);
  r.result = v.result;
  r.reason = v.reason;
  r.note = v.note;
  r.usage_missing = v.usage_missing;
  redact_result(r, job, p.sent_key, p.signature);
  return std::move(r);
}

}  // namespace

std::shared_ptr<const custom_image> custom_image_files::get(const std::string& path,
                                                            std::string& error) {
  auto& shared = by_path_[path];
  if (!shared) {
    auto img = load_custom_image(path, error);
    if (!img) {
      by_path_.erase(path);
      return nullptr;
    }
    shared = std::make_shared<const custom_image>(std::move(*img));
  }
  return shared;
}

net::awaitable<probe_result> run_probe(probe_job job) {
  // The frame keeps what crosses the exchange only: drawing, encoding and judging happen in
  // plain functions, so 10,000 waiting probes do not each hold their locals.
  prepared_probe p = prepare_probe(job);
  const http_result http = co_await job.client->send(std::move(p.request));
  co_return judge_prepared(p, job, http);
}

prepared_probe prepare_control(const probe_job& job) {
  const auto& ch = job.route->settings.challenge;
  prepared_probe p;
  p.result = start_result(job);
  p.result.control = true;
  // The same prompt and request form as the image probe of this form, so the difference in
  // prompt tokens is the image.
  std::string prompt = ch.custom() ? ch.prompt : question_for(ch.kind, std::max(1, ch.images));
  probe_request req = base_request(job, std::move(prompt));
  apply_shape(job.shape, req);
  p.sent_key = req.api_key;
  p.request = build_request(job.gateway->api, req);
  p.request.timeout = job.route->settings.timeout;
  p.signature = request_signature(p.request);
  return p;
}

namespace {

probe_result judge_control_reply(prepared_probe& p,
                                  const probe_job& job,
                                  const http_result& http) {
  probe_result& r = p.result;
  const reply rep = parse_reply(job.gateway->api, http);
  fill_from_reply(r, http, rep, job.route->settings.price);
  const verdict v = judge_control(http, rep);
  r.result = v.result;
  r.reason = v.reason;
  r.usage_missing = v.usage_missing;
  if (v.result == outcome::ok && v.usage_missing) {
    r.reason = "no usage in the control reply: the baseline cannot be learned";
  }
  redact_result(r, job, p.sent_key, p.signature);
  return std::move(r);
}

}  // namespace

probe_result judge_prepared(prepared_probe& p, const probe_job& job, const http_result& http) {
  return p.result.control ? judge_control_reply(p, job, http) : judge_image(p, job, http);
}

net::awaitable<probe_result> run_control(probe_job job) {
  prepared_probe p = prepare_control(job);  // as run_probe: little crosses the exchange
  const http_result http = co_await job.client->send(std::move(p.request));
  co_return judge_prepared(p, job, http);
}

}  // namespace visionwatch
