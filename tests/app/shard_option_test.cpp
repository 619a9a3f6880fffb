// `--shard i/n` on the real binary: `validate` lists the routes the shard owns (the flag wins
// over global.shard), `check` probes only those, and a bad value is a usage error naming the
// flag on every command that takes it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/config/exit_codes.hpp"
#include "daemon/config/shard.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace {

namespace fs = std::filesystem;
namespace vt = visionwatch::test;

const std::vector<std::string> names = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"};

/// Six routes on a gateway nobody listens on (`check` fails them fast); `global` lines added.
fs::path write_config(const fs::path& dir, const std::string& global = {}) {
  std::string y = "global:\n  listen: \"127.0.0.1:0\"\n" + global +
                  "gateways:\n  - {name: gw, base_url: \"http://127.0.0.1:1/v1\", proxy_url: "
                  "none}\nroutes:\n";
  for (const auto& n : names) {
    y += "  - {name: " + n + ", gateway: gw, model: m}\n";
  }
  auto p = dir / "config.yaml";
  std::ofstream(p) << y;
  return p;
}

/// The "  name" lines validate prints under "shard i/n owns ...", in order.
std::string owned_listing(std::uint32_t shard, std::uint32_t shards) {
  std::string out;
  std::size_t count = 0;
  for (const auto& n : names) {
    if (visionwatch::shard_owner(n, shards) == shard) {
      out += "  " + n + "\n";
      ++count;
    }
  }
  return "shard " + std::to_string(shard) + "/" + std::to_string(shards) + " owns " +
         std::to_string(count) + " of 6 routes:\n" + out;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("validate --shard lists the routes that shard owns and the flag wins over the file") {
    const auto dir = vt::make_temp_dir("vw-shard-cli");
    const auto plain = write_config(dir);
    for (std::uint32_t i = 1; i <= 3; ++i) {
      const auto r = vt::run_visionwatch(
          {"validate", "--config", plain.string(), "--shard", std::to_string(i) + "/3"});
      INFO(r.err);
      CHECK(r.exit_code == visionwatch::exit_ok);
      CHECK(r.out.find(owned_listing(i, 3)) != std::string::npos);
    }
    // Without a shard nothing is listed; global.shard lists; --shard overrides it.
    CHECK(vt::run_visionwatch({"validate", "--config", plain.string()}).out.find(" owns ") ==
          std::string::npos);
    const auto sharded = write_config(dir, "  shard: \"2/2\"\n");
    CHECK(vt::run_visionwatch({"validate", "--config", sharded.string()})
              .out.find(owned_listing(2, 2)) != std::string::npos);
    CHECK(vt::run_visionwatch({"validate", "--config", sharded.string(), "--shard", "1/2"})
              .out.find(owned_listing(1, 2)) != std::string::npos);
    fs::remove_all(dir);
  }

  TEST_CASE("a bad shard is a usage error naming the flag or a config error naming the line") {
    const auto dir = vt::make_temp_dir("vw-shard-cli-bad");
    const auto plain = write_config(dir);
    for (const char* command : {"validate", "check", "run"}) {
      CAPTURE(command);
      const auto r = vt::run_visionwatch({command, "--config", plain.string(), "--shard", "4/3"});
      CHECK(r.exit_code == visionwatch::exit_usage);
      CHECK(r.err.find("--shard: \"4/3\": the shard number must be between 1 and 3") !=
            std::string::npos);
      const auto word =
          vt::run_visionwatch({command, "--config", plain.string(), "--shard", "two"});
      CHECK(word.exit_code == visionwatch::exit_usage);
      CHECK(word.err.find("--shard: \"two\" is not a shard i/n") != std::string::npos);
    }
    const auto bad = write_config(dir, "  shard: \"0/2\"\n");
    const auto r = vt::run_visionwatch({"validate", "--config", bad.string()});
    CHECK(r.exit_code == visionwatch::exit_config);
    CHECK(r.err.find(bad.string() + ":3: global.shard: \"0/2\": the shard number must be between "
                                    "1 and 2") != std::string::npos);
    fs::remove_all(dir);
  }

  TEST_CASE("check --shard probes only the routes that shard owns") {
    const auto dir = vt::make_temp_dir("vw-shard-check");
    const auto config = write_config(dir);
    const auto r = vt::run_visionwatch(
        {"check", "--config", config.string(), "--shard", "2/3", "-n", "1", "-o", "json"});
    INFO(r.err);
    CHECK(r.exit_code == visionwatch::exit_failed);  // nobody listens: every probe fails
    for (const auto& n : names) {
      CAPTURE(n);
      const bool listed = r.out.find("\"" + n + "\"") != std::string::npos;
      CHECK(listed == (visionwatch::shard_owner(n, 3) == 2));
    }
    const auto none = vt::run_visionwatch(
        {"check", "--config", config.string(), "--shard", "2/3", "--route", "nope"});
    CHECK(none.exit_code == visionwatch::exit_usage);
    CHECK(none.err.find("no such route owned by shard 2/3") != std::string::npos);
    fs::remove_all(dir);
  }
}
