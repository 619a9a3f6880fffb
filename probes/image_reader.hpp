#pragma once
/// Reads a challenge image back from its pixels: the answer an attentive observer would give.
/// Used by the fake upstream in tests and by the built-in demo gateway, so a "model" that really
/// looks at the image answers right and one that gets a blank or wrong image answers wrong.
/// Exact for every image make_challenge draws; for any other image it gives a best guess or
/// nothing, never a crash. Pure and thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/challenge.hpp"
#include "probes/png_codec.hpp"

namespace visionwatch {

/// The answer `image` shows for a challenge of `kind`, spelled like challenge::answer (objects
/// left to right, one space apart):
/// digits  — the digit blobs left to right, each matched against glyphs of the challenge font;
/// color   — each non-background blob's most common colour, named after the nearest challenge
///           colour;
/// shape   — each blob classified by fill ratio and top/bottom balance;
/// count   — per box (the largest outlines), the dark blobs inside it, ignoring specks under a
///           quarter of the largest dot.
/// Empty optional when the image shows nothing to read (blank, no contrast).
std::optional<std::string> read_image(const rgba_image& image, challenge_kind kind);

/// Which challenge a prompt asks about, from its keywords ("colour"/"color", "how many"/"dots",
/// "shape", "number"/"digits"); case-insensitive. Works for our questions and close rewordings.
std::optional<challenge_kind> kind_from_question(std::string_view question) noexcept;

/// decode_image (PNG, JPEG, WebP or GIF, by sniffing) + kind_from_question + read_image. Empty
/// when the image is invalid, the question is not recognised or the image shows nothing.
std::optional<std::string> read_challenge(std::string_view image_bytes, std::string_view question);

/// The answer to a probe of several images: each image read with read_challenge, the answers
/// joined in image order with one space (as challenge_set::answer). Empty when any image reads
/// as nothing.
std::optional<std::string> read_challenges(const std::vector<std::string_view>& images,
                                           std::string_view question);

}  // namespace visionwatch
