#pragma once
/// Reasoning models write their thinking into the content, as `<think>…</think>` (DeepSeek-R1,
/// Qwen3, QwQ through vLLM/Ollama/most gateways) or `<thinking>…</thinking>` (Claude through
/// some gateways). That text is not the answer: a doubt about the image inside it is no claim,
/// and a number inside it is no candidate. Pure.

#include <string>
#include <string_view>

namespace visionwatch {

/// The content split into the final answer and the reasoning around it.
struct split_text {
  std::string answer;     ///< the content without its thinking blocks, trimmed
  std::string reasoning;  ///< the thinking blocks' insides, joined by a blank line
};

/// True when `text` holds a thinking tag (`<think>`, `</think>`, `<thinking>`, `</thinking>`).
bool has_thinking_tags(std::string_view text) noexcept;

/// Moves every thinking block out of `text`. Tags match case-insensitively. An unclosed block
/// runs to the end (a model stopped while thinking: the whole rest is reasoning, no answer); a
/// closing tag without an opening one ends reasoning that started with the text (servers that
/// put `<think>` in the prompt template send only `…</think>answer`).
split_text split_reasoning(std::string_view text);

}  // namespace visionwatch
