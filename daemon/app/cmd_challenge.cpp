// `visionwatch challenge`: draws a probe's challenge (one image, or --images N) exactly as a probe
// would, so an operator can see what a route was sent (the seed is in every probe's log line) or
// try a model by hand.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include "daemon/app/commands.hpp"
#include "probes/challenge.hpp"

namespace visionwatch {
namespace {

struct challenge_args {
  std::string kind = "digits";
  std::string seed;  ///< empty: pick a random seed
  std::string out;
  int width = 512;
  int height = 512;
  int images = 1;
};

/// Strict decimal: CLI11's own integer parsing wraps "-1" to 2^64-1 and accepts overflow.
std::optional<std::uint64_t> parse_seed(const std::string& text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, 10);
  if (text.empty() || ec != std::errc{} || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::uint64_t random_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32U) ^ device();
}

bool write_all(std::FILE* f, const std::string& bytes) {
  return std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
}

/// Image i (1-based) of several: "out.image" becomes "out-1.png", "out-2.png"...
std::string numbered_path(const std::string& out, int i) {
  const std::string suffix = "-" + std::to_string(i);
  const auto slash = out.find_last_of('/');
  const auto dot = out.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot == (slash == std::string::npos ? 0 : slash + 1)) {
    return out + suffix;
  }
  return out.substr(0, dot) + suffix + out.substr(dot);
}

/// Writes `bytes` to `path`; false (and a message on stderr) when it cannot.
bool write_file(const std::string& path, const std::string& bytes) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "wb"),
                                                       &std::fclose);
  if (!file) {
    std::fprintf(stderr,
                 "visionwatch challenge: cannot create %s: %s\n",
                 path.c_str(),
                 std::strerror(errno));
    return false;
  }
  const bool written = write_all(file.get(), bytes);
  const int write_errno = errno;
  if (!written || std::fclose(file.release()) != 0) {
    std::fprintf(stderr,
                 "visionwatch challenge: cannot write %s: %s\n",
                 path.c_str(),
                 std::strerror(written ? errno : write_errno));
    return false;
  }
  return true;
}

int run_challenge(const challenge_args& args) {
  challenge_options options;
  // Validated by the option's check; a miss here would be a bug, reported as such.
  const auto kind = challenge_kind_from_string(args.kind);
  if (!kind) {
    std::fprintf(stderr, "visionwatch challenge: unknown kind '%s'\n", args.kind.c_str());
    return exit_usage;
  }
  options.kind = *kind;
  options.width = args.width;
  options.height = args.height;
  const auto parsed = args.seed.empty() ? std::optional<std::uint64_t>{} : parse_seed(args.seed);
  if (!args.seed.empty() && !parsed) {
    std::fprintf(stderr, "visionwatch challenge: invalid seed '%s'\n", args.seed.c_str());
    return exit_usage;
  }
  const std::uint64_t seed = parsed ? *parsed : random_seed();
  if (args.images > 1 && args.out == "-") {
    std::fprintf(stderr, "visionwatch challenge: --out - writes one image; give a file name\n");
    return exit_usage;
  }
  challenge_set set;
  try {
    set = make_challenge_set(options, seed, args.images);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "visionwatch challenge: %s\n", e.what());
    return exit_usage;
  }

  std::string text = "seed: " + std::to_string(seed) + "\n";
  if (args.images > 1) {
    text += "images: " + std::to_string(args.images) + "\n";
  }
  text += "question: " + set.question + "\nanswer: " + set.answer + "\n";
  if (args.out == "-") {
    if (!write_all(stdout, set.images.front().image)) {
      std::fprintf(stderr,
                   "visionwatch challenge: cannot write the PNG to stdout: %s\n",
                   std::strerror(errno));
      return exit_runtime;
    }
    std::fputs(text.c_str(), stderr);
    return exit_ok;
  }
  for (std::size_t i = 0; i < set.images.size(); ++i) {
    const std::string path =
        args.images > 1 ? numbered_path(args.out, static_cast<int>(i) + 1) : args.out;
    if (!write_file(path, set.images[i].image)) {
      return exit_runtime;
    }
    if (args.images > 1) {
      text += "image " + std::to_string(i + 1) + ": " + path + "\n";
    }
  }
  std::fputs(text.c_str(), stdout);
  return exit_ok;
}

}  // namespace

void add_challenge_command(CLI::App& app, cli_context& ctx) {
  auto args = std::make_shared<challenge_args>();
  CLI::App* cmd = app.add_subcommand(
      "challenge", "Draw a probe's image challenge and print its seed, question and answer");
  const CLI::Validator kind_check(
      [](std::string& value) -> std::string {
        if (challenge_kind_from_string(value)) {
          return {};
        }
        return "unknown kind '" + value + "' (expected digits, color, shape or count)";
      },
      "digits|color|shape|count",
      "challenge kind");
  cmd->add_option("--kind", args->kind, "Challenge kind: digits, color, shape or count")
      ->check(kind_check)
      ->capture_default_str();
  const CLI::Validator seed_check(
      [](std::string& value) -> std::string {
        if (parse_seed(value)) {
          return {};
        }
        return "invalid seed '" + value + "' (expected a decimal number from 0 to " +
               std::to_string(std::numeric_limits<std::uint64_t>::max()) + ")";
      },
      "UINT64",
      "seed");
  cmd->add_option("--seed", args->seed, "64-bit seed (decimal); random when omitted")
      ->check(seed_check);
  cmd->add_option("--out,-o", args->out, "Where to write the PNG; '-' writes it to stdout")
      ->required();
  const std::string range =
      std::to_string(challenge_min_size) + ".." + std::to_string(challenge_max_size);
  cmd->add_option("--width", args->width, "Image width in pixels (" + range + ")")
      ->check(CLI::Range(challenge_min_size, challenge_max_size))
      ->capture_default_str();
  cmd->add_option("--height", args->height, "Image height in pixels (" + range + ")")
      ->check(CLI::Range(challenge_min_size, challenge_max_size))
      ->capture_default_str();
  cmd->add_option("--images",
                  args->images,
                  "Images in the probe (1.." + std::to_string(challenge_max_images) +
                      "); with more than one, --out x.png writes x-1.png, x-2.png...")
      ->check(CLI::Range(1, challenge_max_images))
      ->capture_default_str();
  cmd->callback([args, &ctx] { ctx.run = [args] { return run_challenge(*args); }; });
}

}  // namespace visionwatch
