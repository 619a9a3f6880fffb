#include "probes/verdict.hpp"

#include <doctest/doctest.h>

#include <array>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "probes/openai_chat.hpp"
#include "probes/text_util.hpp"
#include "tests/support/test_paths.hpp"

namespace verdict_test {

using nlohmann::json;
using namespace visionwatch;

namespace {

/// `v` is `result` with exactly `reason`.
void check_verdict(const verdict& v, outcome result, std::string_view reason) {
  CHECK(v.result == result);
  CHECK(v.reason == reason);
}

const json& real_replies() {
  static const json s = json::parse(test::read_file(test::fixtures_dir() / "real-replies.json"));
  return s;
}

http_result http_ok() {
  http_result h;
  h.status = 200;
  return h;
}

http_result http_status(unsigned status) {
  http_result h;
  h.status = status;
  return h;
}

reply answer(std::string text, std::optional<long long> prompt_tokens = 200) {
  reply r;
  r.well_formed = true;
  r.text = std::move(text);
  r.finish_reason = "stop";
  r.tokens.prompt_tokens = prompt_tokens;
  if (prompt_tokens) {
    r.tokens.completion_tokens = 3;
    r.tokens.total_tokens = *prompt_tokens + 3;
  }
  return r;
}

answer_expectation expect(challenge_kind kind, std::string value) {
  answer_expectation e;
  e.kind = kind;
  e.answer = std::move(value);
  return e;
}

const answer_expectation digits_4821 = expect(challenge_kind::digits, "4821");

/// The verdict on `r`, a reply to the digits challenge "4821" over HTTP 200, with the default
/// checks and the text-only `baseline` prompt tokens.
verdict judge_4821(const reply& r, std::optional<long long> baseline) {
  return judge(http_ok(), r, digits_4821, baseline, verdict_checks{});
}

/// A chat completion body as a real route sends it, parsed by the chat adapter.
reply chat_reply(const json& body) {
  http_result h;
  h.status = 200;
  h.body = body.dump();
  return openai_chat::parse_reply(h, std::chrono::system_clock::now());
}

json chat_body(const json& message,
               std::string model = "gpt-4o-2024-08-06",
               std::string finish = "stop",
               long long prompt_tokens = 159) {
  json message_with_role = message;
  message_with_role["role"] = "assistant";
  return {
      {"id", "chatcmpl-1"},
      {"object", "chat.completion"},
      {"model", model},
      {"choices",
       json::array({{{"index", 0}, {"message", message_with_role}, {"finish_reason", finish}}})},
      {"usage",
       {{"prompt_tokens", prompt_tokens},
        {"completion_tokens", 40},
        {"total_tokens", prompt_tokens + 40}}}};
}

answer_expectation for_model(answer_expectation e, std::string model) {
  e.model = std::move(model);
  return e;
}

model_expectation expect_model(std::string_view spec) {
  std::string error;
  auto m = model_expectation::parse(spec, error);
  REQUIRE_MESSAGE(m.has_value(), error);
  return *m;
}

verdict judge_text(std::string text,
                   const answer_expectation& e = digits_4821,
                   std::optional<long long> baseline = std::nullopt) {
  return judge(http_ok(), answer(std::move(text)), e, baseline, verdict_checks{});
}

}  // namespace

TEST_SUITE("unit") {
  // ---- outcomes in order, each with its exact reason

  TEST_CASE("a right answer with an image-sized prompt is ok with no reason") {
    const auto v = judge(http_ok(), answer("4821", 159), digits_4821, 27, verdict_checks{});
    CHECK(v.result == outcome::ok);
    CHECK(v.reason.empty());
    CHECK_FALSE(v.usage_missing);
  }

  TEST_CASE("a transport error is its own outcome with the client's reason") {
    http_result h;
    h.transport_error = outcome::connect_error;
    h.reason = "connect to 127.0.0.1:9: connection refused";
    auto v = judge(h, reply{}, digits_4821, std::nullopt, verdict_checks{});
    check_verdict(v, outcome::connect_error, "connect to 127.0.0.1:9: connection refused");
    h.reason.clear();
    h.transport_error = outcome::timeout;
    v = judge(h, reply{}, digits_4821, std::nullopt, verdict_checks{});
    check_verdict(v, outcome::timeout, "timeout");
  }

  TEST_CASE("HTTP statuses map to rate_limited or http_4xx or http_5xx with the error message") {
    reply r;
    r.error_message = "No endpoints found that support image input";
    r.error_code = "404";
    auto v = judge(http_status(404), r, digits_4821, std::nullopt, verdict_checks{});
    check_verdict(v, outcome::http_4xx, "HTTP 404: No endpoints found that support image input");

    r.error_message = "Rate limit reached ...";
    r.error_code = "rate_limit_exceeded";
    r.retry_after = std::chrono::seconds{20};
    v = judge(http_status(429), r, digits_4821, std::nullopt, verdict_checks{});
    check_verdict(v,
                  outcome::rate_limited,
                  "HTTP 429: Rate limit reached ... (rate_limit_exceeded); retry after 20s");

    r = reply{};
    r.error_message = "Overloaded";
    r.error_code = "overloaded_error";
    v = judge(http_status(529), r, digits_4821, std::nullopt, verdict_checks{});
    check_verdict(v, outcome::http_5xx, "HTTP 529: Overloaded (overloaded_error)");

    v = judge(http_status(500), reply{}, digits_4821, std::nullopt, verdict_checks{});
    check_verdict(v, outcome::http_5xx, "HTTP 500");

    v = judge(http_status(101), reply{}, digits_4821, std::nullopt, verdict_checks{});
    CHECK(v.result == outcome::http_5xx);
  }

  TEST_CASE("a redirect names its target and is not followed") {
    auto h = http_status(301);
    h.headers = {{"location", "https://new.example/v1/chat/completions"}};
    check_verdict(
        judge(h, reply{}, digits_4821, std::nullopt, verdict_checks{}),
        outcome::http_5xx,
        "HTTP 301: redirect to https://new.example/v1/chat/completions (redirects are not "
        "followed; check base_url)");
  }

  TEST_CASE("error messages in reasons are bounded to one line and never show API keys") {
    reply r;
    r.error_message = "Incorrect API key provided: sk-proj-abcd****wxyz.\nYou can find your key " +
                      std::string(1000, 'x');
    const auto v = judge(http_status(401), r, digits_4821, std::nullopt, verdict_checks{});
    CHECK(v.result == outcome::http_4xx);
    CHECK(v.reason.starts_with("HTTP 401: Incorrect API key provided: sk-***. You can find"));
    CHECK(v.reason.find("abcd") == std::string::npos);
    CHECK(v.reason.find('\n') == std::string::npos);
    CHECK(v.reason.size() < 240);
  }

  TEST_CASE("a 2xx body that is not the expected shape is bad_response") {
    reply r;
    r.parse_error = "choices[0].message.content is a number, expected string or array";
    check_verdict(
        judge_4821(r, std::nullopt),
        outcome::bad_response,
        "malformed reply: choices[0].message.content is a number, expected string or array");
  }

  TEST_CASE("no text and no refusal is empty_answer and finish_reason length is explained") {
    auto r = answer("  \n ");
    auto v = judge_4821(r, std::nullopt);
    check_verdict(v, outcome::empty_answer, "empty answer");
    r.finish_reason = "length";
    v = judge_4821(r, std::nullopt);
    check_verdict(
        v,
        outcome::empty_answer,
        "empty answer (finish_reason length: the token limit was reached before any text; "
        "raise max_tokens)");
    r.finish_reason = "tool_calls";
    v = judge_4821(r, std::nullopt);
    CHECK(v.reason ==
          "empty answer: the model called the declared tool instead of answering "
          "(finish_reason tool_calls)");
  }

  TEST_CASE("a no-image claim is no_image_claim with the answer quoted") {
    const auto v = judge_text("Please upload an image for analysis. No image provided.");
    check_verdict(v,
                  outcome::no_image_claim,
                  "no-image claim: 'Please upload an image for analysis. No image provided.'");
  }

  TEST_CASE(
      "a no-image claim wins over a wrong one and over a right answer to a custom probe but not "
      "over an exact answer to a generated challenge") {
    // Issue 11: an exact answer to a seeded challenge cannot be guessed, so the claim around it
    // is a hedge (ok, note hedged; see the hedge tests below). Before, this was no_image_claim.
    const auto hedged = judge_text("I don't see an image, but I guess 4821");
    CHECK(hedged.result == outcome::ok);
    CHECK(hedged.note == probe_note::hedged);
    CHECK(judge_text("There is no image; 1234?").result == outcome::no_image_claim);
    answer_expectation custom;
    custom.pattern = "4821";
    CHECK(judge_text("I don't see an image, but I guess 4821", custom).result ==
          outcome::no_image_claim);
  }

  TEST_CASE("the API refusal field and content_filter and refusal phrases are refusal") {
    auto r = answer("");
    r.refusal = "I can't help with that.";
    auto v = judge_4821(r, std::nullopt);
    check_verdict(v, outcome::refusal, "refusal: 'I can't help with that.'");

    r = answer("");
    r.finish_reason = "content_filter";
    v = judge_4821(r, std::nullopt);
    check_verdict(v, outcome::refusal, "refusal: finish_reason content_filter");

    v = judge_text("I’m sorry, but I can’t assist with identifying that.");
    check_verdict(
        v, outcome::refusal, "refusal: 'I’m sorry, but I can’t assist with identifying that.'");
  }

  TEST_CASE("a refusal phrase next to the right answer does not make it a refusal") {
    CHECK(judge_text("I'm sorry, but I can't be completely sure; it reads 4821.").result ==
          outcome::ok);
  }

  TEST_CASE("a wrong answer quotes answer and expectation") {
    auto v = judge_text("1234");
    check_verdict(v, outcome::wrong_answer, "answer '1234' does not contain expected '4821'");
    v = judge_text("either 4821 or 1234");
    check_verdict(v,
                  outcome::wrong_answer,
                  "answer 'either 4821 or 1234' names several candidates, expected '4821'");
  }

  TEST_CASE("a wrong answer wins over missing image tokens") {
    const auto v = judge(http_ok(), answer("1234", 27), digits_4821, 25, verdict_checks{});
    CHECK(v.result == outcome::wrong_answer);
  }

  // ---- usage

  TEST_CASE("usage: the fixture's 27-token no-image reply fails against a text-only baseline") {
    // The prompt alone costs about 25 tokens; the healthy route used 159 for the same prompt.
    auto v = judge(http_ok(), answer("4821", 27), digits_4821, 25, verdict_checks{});
    check_verdict(v,
                  outcome::image_tokens_missing,
                  "prompt_tokens 27 < baseline 25 + 50: the image was probably not processed");
    v = judge(http_ok(), answer("4821", 159), digits_4821, 25, verdict_checks{});
    CHECK(v.result == outcome::ok);
  }

  TEST_CASE("usage: LiteLLM's 96 tokens fail where the fixed gateway's 431 pass") {
    verdict_checks checks;
    checks.min_image_tokens = 100;
    auto v = judge(http_ok(), answer("4821", 96), digits_4821, 80, checks);
    check_verdict(v,
                  outcome::image_tokens_missing,
                  "prompt_tokens 96 < baseline 80 + 100: the image was probably not processed");
    v = judge(http_ok(), answer("4821", 431), digits_4821, 80, checks);
    CHECK(v.result == outcome::ok);
  }

  TEST_CASE(
      "usage: an image_tokens claim is checked against the prompt's growth over the baseline "
      "and 0 falls back to the baseline") {
    auto r = answer("4821", 112);
    r.tokens.image_tokens = 85;
    CHECK(judge_4821(r, 25).result == outcome::ok);
    r.tokens.image_tokens = 0;
    r.tokens.prompt_tokens = 30;
    check_verdict(
        judge_4821(r, 25),
        outcome::image_tokens_missing,
        "prompt_tokens 30 < baseline 25 + 50 (image_tokens 0): the image was probably not "
        "processed");
  }

  TEST_CASE(
      "usage: a gateway that reports image tokens it computed itself while the prompt did not "
      "grow is image_tokens_missing naming both numbers") {
    // one-api/new-api: image_tokens from the tile formula, prompt_tokens from the upstream that
    // never got the image (the text-only baseline plus a token or two), answer right by luck.
    const json body = {{"id", "chatcmpl-9x"},
                       {"object", "chat.completion"},
                       {"model", "gpt-4o"},
                       {"choices",
                        json::array({{{"index", 0},
                                      {"message", {{"role", "assistant"}, {"content", "4821"}}},
                                      {"finish_reason", "stop"}}})},
                       {"usage",
                        {{"prompt_tokens", 27},
                         {"completion_tokens", 2},
                         {"total_tokens", 29},
                         {"prompt_tokens_details", {{"cached_tokens", 0}, {"image_tokens", 85}}}}}};
    const reply r = chat_reply(body);
    REQUIRE(r.tokens.image_tokens == 85);
    check_verdict(
        judge_4821(r, 25),
        outcome::image_tokens_missing,
        "image_tokens 85 claimed, but prompt_tokens 27 grew only 2 over the text-only baseline "
        "25 (at least 50 expected): the upstream probably never got the image");
  }

  TEST_CASE(
      "usage: a small claimed image needs only its own growth and an unknown baseline "
      "trusts the claim") {
    auto r = answer("4821", 45);
    r.tokens.image_tokens = 20;  // a small image on a patch-based model
    CHECK(judge_4821(r, 25).result == outcome::ok);
    r.tokens.prompt_tokens = 44;
    check_verdict(
        judge_4821(r, 25),
        outcome::image_tokens_missing,
        "image_tokens 20 claimed, but prompt_tokens 44 grew only 19 over the text-only baseline "
        "25 (at least 20 expected): the upstream probably never got the image");
    CHECK(judge_4821(r, std::nullopt).result == outcome::ok);
    verdict_checks off;
    off.min_image_tokens = 0;
    r.tokens.prompt_tokens = 25;
    CHECK(judge(http_ok(), r, digits_4821, 25, off).result == outcome::ok);
  }

  TEST_CASE("usage: exactly baseline plus margin passes and Ollama needs a small margin") {
    CHECK(judge(http_ok(), answer("4821", 75), digits_4821, 25, verdict_checks{}).result ==
          outcome::ok);
    verdict_checks ollama;
    ollama.min_image_tokens = 1;
    CHECK(judge(http_ok(), answer("4821", 31), digits_4821, 30, ollama).result == outcome::ok);
    CHECK(judge(http_ok(), answer("4821", 30), digits_4821, 30, ollama).result ==
          outcome::image_tokens_missing);
  }

  TEST_CASE("usage: an unknown baseline cannot fail the probe") {
    CHECK(judge(http_ok(), answer("4821", 5), digits_4821, std::nullopt, verdict_checks{}).result ==
          outcome::ok);
  }

  TEST_CASE("usage: absent usage is recorded and fails only with require_usage") {
    auto v = judge(http_ok(), answer("4821", std::nullopt), digits_4821, 25, verdict_checks{});
    CHECK(v.result == outcome::ok);
    CHECK(v.usage_missing);
    verdict_checks strict;
    strict.require_usage = true;
    v = judge(http_ok(), answer("4821", std::nullopt), digits_4821, 25, strict);
    check_verdict(
        v, outcome::image_tokens_missing, "no usage in the reply and require_usage is set");
    CHECK(v.usage_missing);
    v = judge(http_ok(), answer("1234", std::nullopt), digits_4821, 25, verdict_checks{});
    CHECK(v.result == outcome::wrong_answer);
    CHECK(v.usage_missing);
  }

  TEST_CASE("usage: huge baselines and margins do not overflow") {
    verdict_checks checks;
    checks.min_image_tokens = std::numeric_limits<long long>::max();
    const auto v = judge(http_ok(), answer("4821", 100), digits_4821, 50, checks);
    CHECK(v.result == outcome::image_tokens_missing);
    checks.min_image_tokens = -100;  // a negative margin counts as 0
    CHECK(judge(http_ok(), answer("4821", 50), digits_4821, 50, checks).result == outcome::ok);
  }

  TEST_CASE("the control request fails only on transport or status or shape") {
    auto v = judge_control(http_ok(), answer("There is no image.", 25));
    CHECK(v.result == outcome::ok);
    CHECK_FALSE(v.usage_missing);
    v = judge_control(http_ok(), answer("", std::nullopt));
    CHECK(v.result == outcome::ok);
    CHECK(v.usage_missing);
    v = judge_control(http_status(503), reply{});
    CHECK(v.result == outcome::http_5xx);
  }

  // ---- phrases against the real replies

  TEST_CASE("every real silent failure in the fixture is a no-image claim") {
    for (const auto& f : real_replies()["silent_failures"]) {
      const std::string text =
          f.contains("reply") ? f["reply"].get<std::string>() : f["reply_gist"].get<std::string>();
      CAPTURE(text);
      CHECK(judge_text(text).result == outcome::no_image_claim);
    }
  }

  TEST_CASE("no healthy reply in the fixture is a no-image claim or a refusal") {
    const answer_expectation none;
    for (const auto& h : real_replies()["healthy"]) {
      const std::string text = h["reply"].get<std::string>();
      CAPTURE(text);
      const auto v = judge(http_ok(), answer(text), none, std::nullopt, verdict_checks{});
      CHECK(v.result == outcome::ok);
    }
  }

  TEST_CASE("no-image phrases match in every default language after normalisation") {
    for (const char* text : {"No image was provided.",
                             "Please upload an image so I can help.",
                             "I can’t see an image in your message.",
                             "I CANNOT SEE THE IMAGE",
                             "there  is\nno   image attached",
                             "我无法识别图片中的内容",
                             "抱歉，没有图片。",
                             "您未提供图片",
                             "No se proporcionó ninguna imagen.",
                             "NO SE PROPORCIONÓ NINGUNA IMAGEN",
                             "No veo ninguna imagen.",
                             "Es wurde kein Bild angehängt.",
                             "Je ne vois aucune image.",
                             "画像が添付されていません。",
                             "画像が見つかりません",
                             "НЕТ ИЗОБРАЖЕНИЯ"}) {
      CAPTURE(text);
      CHECK(judge_text(text).result == outcome::no_image_claim);
    }
  }

  TEST_CASE("no-image phrases do not match inside longer words or healthy descriptions") {
    const answer_expectation none;
    for (const char* text : {"The image shows the number 4821.",
                             "No imagery beyond the digits 4821.",
                             "Kein Bildschirmfoto, aber 4821.",
                             "I can see the image: 4821",
                             "I'm unable to see every digit clearly, but it reads 4821.",
                             "The image contains a red circle."}) {
      CAPTURE(text);
      CHECK(judge(http_ok(), answer(text), none, std::nullopt, verdict_checks{}).result ==
            outcome::ok);
    }
  }

  TEST_CASE("custom phrase lists replace the defaults") {
    verdict_checks checks;
    checks.no_image_phrases = {"Bild fehlt"};
    CHECK(judge(http_ok(), answer("bild   FEHLT"), digits_4821, std::nullopt, checks).result ==
          outcome::no_image_claim);
    CHECK(
        judge(http_ok(), answer("No image provided."), digits_4821, std::nullopt, checks).result ==
        outcome::wrong_answer);
  }

  // ---- tolerant matching

  TEST_CASE("answer matching table") {
    struct row {
      challenge_kind kind;
      const char* expected;
      const char* reply;
      bool match;
    };
    using k = challenge_kind;
    // One case a row.
    // clang-format off
    const auto rows = std::to_array<row>({
        // digits: accepted spellings
        {k::digits, "4821", "4821", true},
        {k::digits, "4821", "4821.", true},
        {k::digits, "4821", "4,821", true},
        {k::digits, "4821", "4 8 2 1", true},
        {k::digits, "4821", "4-8-2-1", true},
        {k::digits, "4821", "4, 8, 2, 1", true},
        {k::digits, "4821", "The number shown is 4821", true},
        {k::digits, "4821", "**4821**", true},
        {k::digits, "4821", "`4821`", true},
        {k::digits, "4821", "Number: ４８２１", true},
        {k::digits, "4821", "The image shows 4821 and 4,821 again", true},
        {k::digits, "48213", "48,213", true},
        {k::digits, "48213", "48 213", true},
        {k::digits, "4821", "I see 4821 in a 512x512 image", true},
        {k::digits, "4821", "It is 4821 (4 digits)", true},
        {k::digits, "4821", "数字是4821。", true},
        // digits: rejected
        {k::digits, "4821", "48213", false},
        {k::digits, "4821", "14821", false},
        {k::digits, "4821", "482", false},
        {k::digits, "4821", "48 21", false},
        {k::digits, "4821", "1 4 8 2 1", false},
        {k::digits, "4821", "1234", false},
        {k::digits, "4821", "either 4821 or 1234", false},
        {k::digits, "4821", "4821 or maybe 482", false},
        {k::digits, "4821", "4821/4827", false},
        {k::digits, "4821", "", false},
        {k::digits, "4821", "four eight two one", false},
        // digits: several images, in image order
        {k::digits, "4821 55320", "4821 55320", true},
        {k::digits, "4821 55320", "Image 1: 4821\nImage 2: 55,320", true},
        {k::digits, "4821 55320", "1. 4821 2. 55320", true},
        {k::digits, "4821 55320", "The numbers are 4821 and 55320.", true},
        {k::digits, "4821 55320", "55320 4821", false},
        {k::digits, "4821 55320", "4821", false},
        {k::digits, "4821 55320", "4821 55320 or 4821 55328", false},
        // colours: four shapes, left to right (each old single-shape row, now in a row of four)
        {k::color, "red blue green red", "red blue green red", true},
        {k::color, "red blue green red", "Red, Blue, Green, Red.", true},
        {k::color, "red blue green red", "RED BLUE GREEN RED", true},
        {k::color, "red blue green red", "red, blue, green and red", true},
        {k::color, "red blue green red", "1. red 2. blue 3. green 4. red", true},
        {k::color, "red blue green red", "red\nblue\ngreen\nred", true},
        {k::color, "red blue green red", "From left to right: red, blue, green, red.", true},
        {k::color, "red blue green red", "crimson, navy, green, scarlet", true},
        {k::color, "red blue green red", "A red circle, a blue square, a green triangle and a red square on a white background", true},
        {k::color, "red blue green red", "Red, blue, green, red, on a gray background", true},
        {k::color, "red blue green red", "red blue green red; the background is black", true},
        {k::color, "gray purple blue black", "grey violet navy black", true},
        {k::color, "gray purple blue black", "Gray, purple, navy blue, black", true},
        {k::color, "red blue green red", "red blue red green", false},
        {k::color, "red blue green red", "red blue green", false},
        {k::color, "red blue green red", "blue green red", false},
        {k::color, "red blue green red", "reddish blue green red", false},
        {k::color, "red blue green red", "red or orange, blue, green, red", false},
        {k::color, "red blue green red", "orange blue green red", false},
        {k::color, "red blue green red", "pink blue green red", false},
        {k::color, "orange blue green red", "yellow blue green red", false},
        {k::color, "purple blue green red", "blue blue green red", false},
        {k::color, "green blue green red", "blue-green blue green red", false},
        {k::color, "red blue green red", "red blue green red red", false},
        // shapes: five in a row
        {k::shape, "circle star cross square triangle", "circle star cross square triangle", true},
        {k::shape, "circle star cross square triangle", "Circle, star, cross, square, triangle.", true},
        {k::shape, "circle star cross square triangle", "round, pentagram, +, square, triangular", true},
        {k::shape, "circle star cross square triangle", "1. circle\n2. star\n3. plus sign\n4. square\n5. triangle", true},
        {k::shape, "circle star cross square triangle", "A disk, a five-pointed star, a cross, a square and a triangle", true},
        {k::shape, "star star star star triangle", "four stars and a triangle", true},
        {k::shape, "star star star star triangle", "star, star, star, star, triangle", true},
        {k::shape, "circle star cross square triangle", "circle star cross rectangle triangle", false},
        {k::shape, "circle star cross square triangle", "oval star cross square triangle", false},
        {k::shape, "circle star cross square triangle", "circle star cross triangle square", false},
        {k::shape, "circle star cross square triangle", "circle star cross square", false},
        {k::shape, "circle star cross square triangle", "circle or square, star, cross, square, triangle", false},
        {k::shape, "circle star cross square triangle", "circle starfish cross square triangle", false},
        {k::shape, "star star star star triangle", "three stars and a triangle", false},
        // counts: four boxes, left to right
        {k::count, "7 3 1 9", "7 3 1 9", true},
        {k::count, "7 3 1 9", "7, 3, 1, 9", true},
        {k::count, "7 3 1 9", "7 3 1 9.", true},
        {k::count, "7 3 1 9", "seven, three, one and nine", true},
        {k::count, "7 3 1 9", "Seven, three, one, nine", true},
        {k::count, "7 3 1 9", "Box 1: 7 dots, box 2: 3 dots, box 3: 1 dot, box 4: 9 dots", true},
        {k::count, "7 3 1 9", "1. 7\n2. 3\n3. 1\n4. 9", true},
        {k::count, "7 3 1 9", "The four boxes contain 7, 3, 1 and 9 dots.", true},
        {k::count, "7 3 1 9", "7 dots, 3 dots, a single dot, 9 dots", true},
        {k::count, "7 3 1 9", "I count 7, 3, 1, 9 dots on a 512x512 canvas", true},
        {k::count, "7 3 1 9", "7 3 1 9 (7 3 1 9)", true},
        {k::count, "1 1 1 1", "one, one, one, one", true},
        {k::count, "7 3 1 9", "7 3 1 8", false},
        {k::count, "7 3 1 9", "7 3 9 1", false},
        {k::count, "7 3 1 9", "7 3 1", false},
        {k::count, "7 3 1 9", "17 3 1 9", false},
        {k::count, "7 3 1 9", "7 3 or 4 1 9", false},
        {k::count, "7 3 1 9", "it could be 7 3 1 9 or 7 3 1 8", false},
        {k::count, "7 3 1 9", "seventy 3 1 9", false},
        {k::count, "7 3 1 9", "7 3 1 9 4", false},
        {k::count, "7 3 1 9 2 2 5 6", "7 3 1 9 2 2 5 6", true},
        {k::count, "7 3 1 9 2 2 5 6", "Image 1: 7 3 1 9\nImage 2: 2 2 5 6", true},
        {k::count, "7 3 1 9 2 2 5 6", "7 3 1 9", false},
    });
    // clang-format on
    int matches = 0;
    int rejections = 0;
    for (const auto& r : rows) {
      const std::string expected_text = r.expected;
      const std::string reply_text = r.reply;
      CAPTURE(expected_text);
      CAPTURE(reply_text);
      CHECK(answer_matches(expect(r.kind, r.expected), r.reply) == r.match);
      (r.match ? matches : rejections) += 1;
    }
    CHECK(matches >= 20);
    CHECK(rejections >= 20);
  }

  TEST_CASE("custom probes match a case-insensitive ECMAScript pattern or accepted words") {
    answer_expectation e;
    e.pattern = "^\\s*(python|py)\\b";
    CHECK(answer_matches(e, "Python logo"));
    CHECK(answer_matches(e, "  PY snake"));
    CHECK_FALSE(answer_matches(e, "The GitHub logo"));

    answer_expectation w;
    w.accepted = {"GitHub", "octocat"};
    CHECK(answer_matches(w, "GitHub Octocat logo silhouette."));
    CHECK(answer_matches(w, "an OCTOCAT"));
    CHECK_FALSE(answer_matches(w, "githubber"));
    CHECK_FALSE(answer_matches(w, "Python logo"));

    answer_expectation both;
    both.pattern = "^nomatch$";
    both.accepted = {"python"};
    CHECK(answer_matches(both, "python"));

    check_verdict(judge(http_ok(), answer("Python logo"), w, std::nullopt, verdict_checks{}),
                  outcome::wrong_answer,
                  "answer 'Python logo' does not match 'GitHub', 'octocat'");
  }

  TEST_CASE("an invalid custom pattern is a wrong answer with a clear reason and never a throw") {
    answer_expectation e;
    e.pattern = "([unclosed";
    CHECK_FALSE(answer_matches(e, "anything"));
    check_verdict(judge(http_ok(), answer("anything"), e, std::nullopt, verdict_checks{}),
                  outcome::wrong_answer,
                  "pattern '([unclosed' is not a valid regular expression; answer 'anything' "
                  "not checked");
  }

  TEST_CASE("a long reply against a backtracking pattern neither crashes nor throws") {
    answer_expectation e;
    e.pattern = "(a|aa)*b";
    CHECK_FALSE(answer_matches(e, std::string(reply_text_limit, 'a')));
    e.pattern = ".*b";
    CHECK_FALSE(answer_matches(e, std::string(reply_text_limit, 'a')));
  }

  TEST_CASE("validate_answer_pattern explains unusable patterns") {
    CHECK_FALSE(validate_answer_pattern("^(python|py)\\b").has_value());
    CHECK(validate_answer_pattern("(a)\\1") == "back-references are not supported");
    CHECK(validate_answer_pattern("([unclosed").has_value());
  }

  TEST_CASE("without an expectation any non-empty answer passes the answer check") {
    const answer_expectation none;
    CHECK(answer_matches(none, "whatever"));
  }

  TEST_CASE("reasons stay one bounded line of valid UTF-8 for hostile answers") {
    const std::string hostile = "12\n34\xff" + std::string(5000, 'z');
    const auto v = judge_text(hostile);
    CHECK(v.result == outcome::wrong_answer);
    CHECK(v.reason.find('\n') == std::string::npos);
    CHECK(is_valid_utf8(v.reason));
    CHECK(v.reason.size() < 240);
  }
  // ---- the served model

  TEST_CASE("a fallback model named in the reply is model_mismatch naming both models") {
    const auto r = chat_reply(chat_body({{"content", "4821"}}, "gpt-4o-mini-2024-07-18"));
    REQUIRE(r.model == "gpt-4o-mini-2024-07-18");
    const auto v = judge(http_ok(), r, for_model(digits_4821, "gpt-4o"), 27, verdict_checks{});
    check_verdict(v,
                  outcome::model_mismatch,
                  "the reply names model 'gpt-4o-mini-2024-07-18', not the route's model 'gpt-4o'");
    CHECK(is_silent_failure(v.result));
  }

  TEST_CASE("model_mismatch outranks an empty answer and a no-image claim and names it") {
    auto r = chat_reply(
        chat_body({{"content", "I'm sorry, there is no image attached."}}, "gpt-3.5-turbo-0125"));
    auto v = judge(http_ok(), r, for_model(digits_4821, "gpt-4o"), 27, verdict_checks{});
    check_verdict(v,
                  outcome::model_mismatch,
                  "the reply names model 'gpt-3.5-turbo-0125', not the route's model 'gpt-4o' (the "
                  "answer: no_image_claim)");
    r = chat_reply(chat_body({{"content", ""}}, "gpt-3.5-turbo"));
    v = judge(http_ok(), r, for_model(digits_4821, "gpt-4o"), 27, verdict_checks{});
    CHECK(v.result == outcome::model_mismatch);
    CHECK(v.reason.ends_with("(the answer: empty_answer)"));
    // HTTP errors and malformed bodies stay what they are.
    v = judge(http_status(503), r, for_model(digits_4821, "gpt-4o"), 27, verdict_checks{});
    CHECK(v.result == outcome::http_5xx);
  }

  TEST_CASE("served model names match across provider prefixes - snapshots - versions and case") {
    struct served_case {
      const char* served;
      const char* route;
      bool same;
    };
    for (const auto& c : std::initializer_list<served_case>{
             {"gpt-4o-2024-08-06", "gpt-4o", true},
             {"gpt-4o", "openai/gpt-4o", true},
             {"openai/gpt-4o-2024-11-20", "gpt-4o", true},
             {"GPT-4o", "gpt-4o", true},
             {"gpt-4-0613", "gpt-4", true},
             {"gpt-4.1-mini-2025-04-14", "gpt-4.1-mini", true},
             {"claude-3-5-sonnet-20241022", "claude-3-5-sonnet-latest", true},
             {"claude-haiku-4-5-20251001", "claude-haiku-4-5", true},
             {"claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-v2", true},
             {"gemini-2.0-flash-001", "gemini-2.0-flash", true},
             {"models/gemini-2.0-flash", "gemini-2.0-flash", true},
             {"anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku", true},
             {"llava:latest", "llava", true},
             {"gpt-4o-mini", "gpt-4o", false},
             {"gpt-4o-mini-2024-07-18", "gpt-4o", false},
             {"gpt-3.5-turbo", "gpt-4o", false},
             {"claude-3-haiku-20240307", "claude-3-5-sonnet-20241022", false},
             {"gemini-1.5-flash-002", "gemini-2.0-flash", false},
         }) {
      CAPTURE(c.served);
      CAPTURE(c.route);
      CHECK(same_model(c.served, c.route) == c.same);
    }
  }

  TEST_CASE("a reply without a model or with the route's snapshot is not a mismatch") {
    auto r = chat_reply(chat_body({{"content", "4821"}}, ""));
    CHECK(judge(http_ok(), r, for_model(digits_4821, "gpt-4o"), 27, verdict_checks{}).result ==
          outcome::ok);
    json body = chat_body({{"content", "4821"}});
    body.erase("model");
    r = chat_reply(body);
    CHECK(r.model.empty());
    CHECK(judge(http_ok(), r, for_model(digits_4821, "gpt-4o"), 27, verdict_checks{}).result ==
          outcome::ok);
    r = chat_reply(chat_body({{"content", "4821"}}, "gpt-4o-2024-08-06"));
    CHECK(
        judge(http_ok(), r, for_model(digits_4821, "openai/gpt-4o"), 27, verdict_checks{}).result ==
        outcome::ok);
  }

  TEST_CASE("expect_model takes a prefix - a re: regex or off for gateways naming another model") {
    // Azure: the route's model is the deployment name, the reply names the base model.
    const auto r = chat_reply(chat_body({{"content", "4821"}}, "gpt-4o-2024-11-20"));
    const auto e = for_model(digits_4821, "prod-vision-deployment");
    verdict_checks checks;
    CHECK(judge(http_ok(), r, e, 27, checks).result == outcome::model_mismatch);
    checks.expect_model = expect_model("gpt-4o");
    CHECK(judge(http_ok(), r, e, 27, checks).result == outcome::ok);
    checks.expect_model = expect_model("GPT-4o-2024");
    CHECK(judge(http_ok(), r, e, 27, checks).result == outcome::ok);
    checks.expect_model = expect_model("gpt-4.1");
    auto v = judge(http_ok(), r, e, 27, checks);
    check_verdict(v,
                  outcome::model_mismatch,
                  "the reply names model 'gpt-4o-2024-11-20', not expect_model 'gpt-4.1'");
    checks.expect_model = expect_model("re:^gpt-4o-(2024|2025)");
    CHECK(judge(http_ok(), r, e, 27, checks).result == outcome::ok);
    checks.expect_model = expect_model("re:mini$");
    v = judge(http_ok(), r, e, 27, checks);
    check_verdict(v,
                  outcome::model_mismatch,
                  "the reply names model 'gpt-4o-2024-11-20', not expect_model re:mini$");
    checks.expect_model = expect_model("off");
    CHECK(judge(http_ok(), r, e, 27, checks).result == outcome::ok);
  }

  TEST_CASE("expect_model rejects an empty value and unusable regexes") {
    std::string error;
    CHECK_FALSE(model_expectation::parse("", error));
    CHECK(error == "empty; use a model name prefix, re:<regex> or off");
    CHECK_FALSE(model_expectation::parse("re:(a)\\1", error));
    CHECK(error == "back-references are not supported");
    CHECK_FALSE(model_expectation::parse("re:([", error));
    CHECK(error.starts_with("not a valid regular expression"));
    CHECK_FALSE(model_expectation::parse("re:", error));
  }

  // ---- reasoning models

  TEST_CASE("a think block that doubts the image before a right answer is ok") {
    const auto r = chat_reply(chat_body(
        {{"content",
          "<think>\nThe user asks for the number. Hmm, I don't see an image at first glance... "
          "wait, there is no image? No, there it is: dark digits on a light background, maybe "
          "1234 or 4821. Reading carefully: 4, 8, 2, 1.\n</think>\n\n4821"}}));
    CHECK(r.text == "4821");
    CHECK(r.reasoning.find("I don't see an image") != std::string::npos);
    const auto v = judge_4821(r, 27);
    CHECK(v.result == outcome::ok);
    CHECK(v.note == probe_note::none);
  }

  TEST_CASE("thinking tags in the text are not the answer even when the parser left them") {
    auto v = judge_text(
        "<thinking>I cannot see the image clearly. 1234?</thinking>The number "
        "is 4821.");
    CHECK(v.result == outcome::ok);
    v = judge_text("<THINK>there is no image</THINK> 4821");
    CHECK(v.result == outcome::ok);
    // Servers that put <think> in the template send only the closing tag.
    v = judge_text("No image provided? It is faint but readable.</think>4821");
    CHECK(v.result == outcome::ok);
    // The final answer still counts: a claim there fails.
    v = judge_text("<think>Let me look.</think>I don't see an image in your message.");
    check_verdict(
        v, outcome::no_image_claim, "no-image claim: 'I don't see an image in your message.'");
  }

  TEST_CASE("a reasoning field beside a right answer is ok and its doubts are no claim") {
    for (const char* field : {"reasoning_content", "reasoning"}) {
      const auto r = chat_reply(
          chat_body({{"content", "4821"},
                     {field, "The image did not come through? No: I can read 4821 in it."}}));
      CHECK(r.text == "4821");
      CHECK(r.reasoning == "The image did not come through? No: I can read 4821 in it.");
      CHECK(judge_4821(r, 27).result == outcome::ok);
    }
  }

  TEST_CASE("reasoning that ran out of tokens before an answer is empty_answer naming max_tokens") {
    auto r = chat_reply(chat_body(
        {{"content", "<think>The image shows digits. Let me read them one by one: the first"}},
        "gpt-4o-2024-08-06",
        "length"));
    CHECK(r.text.empty());
    CHECK_FALSE(r.reasoning.empty());
    auto v = judge_4821(r, 27);
    check_verdict(v,
                  outcome::empty_answer,
                  "empty answer: the model was still reasoning when the token limit was reached "
                  "(finish_reason length); raise max_tokens");
    r = chat_reply(chat_body(
        {{"content", nullptr}, {"reasoning_content", "I cannot see the image, let me think"}},
        "gpt-4o-2024-08-06",
        "length"));
    v = judge_4821(r, 27);
    CHECK(v.result == outcome::empty_answer);
    CHECK(v.reason.ends_with("raise max_tokens"));
    // An unclosed think with no answer and a normal stop: empty, never a no-image claim.
    v = judge_text("<think>there is no image here, I think");
    check_verdict(v, outcome::empty_answer, "empty answer: only reasoning, no final answer");
  }

  // ---- hedges

  TEST_CASE("a right answer wrapped in a no-image hedge is ok with the note hedged") {
    const auto r = chat_reply(
        chat_body({{"content",
                    "The image is quite small and low resolution, so I can't see the image in full "
                    "detail, but the number appears to be 4821."}}));
    const auto v = judge_4821(r, 27);
    CHECK(v.result == outcome::ok);
    CHECK(v.reason.empty());
    CHECK(v.note == probe_note::hedged);
    CHECK(to_string(v.note) == "hedged");
  }

  TEST_CASE("a hedge does not save a wrong or ambiguous answer or a custom expectation") {
    auto v = judge_text("I can't see the image clearly, but it might be 1234.");
    CHECK(v.result == outcome::no_image_claim);
    CHECK(v.note == probe_note::none);
    v = judge_text("I can't see the image clearly: either 4821 or 1234.");
    CHECK(v.result == outcome::no_image_claim);
    answer_expectation custom;
    custom.accepted = {"octagon"};
    v = judge(http_ok(),
              answer("I can't see the image well, but it looks like an octagon."),
              custom,
              std::nullopt,
              verdict_checks{});
    CHECK(v.result == outcome::no_image_claim);
    // A hedged right answer still goes through the usage check.
    v = judge(http_ok(),
              answer("I can't see the image clearly, but it reads 4821.", 27),
              digits_4821,
              25,
              verdict_checks{});
    CHECK(v.result == outcome::image_tokens_missing);
  }
}

}  // namespace verdict_test
