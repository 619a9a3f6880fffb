// `visionwatch validate` projects each gateway's probes and spend a day, and warns when a budget
// cannot hold it: the real binary, as a reviewer runs it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/config/exit_codes.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace {

namespace fs = std::filesystem;
namespace test = visionwatch::test;

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("validate prints the projected daily probes and spend per gateway and budget warnings") {
    const auto dir = test::make_temp_dir("vw-validate-spend");
    const auto file = (dir / "spend.yaml").string();
    // 5 s probes of a $2.50/$10 model: 17,280 probes of 109 prompt and 10 completion tokens,
    // 24 control requests of 24 and 10: about $6.44 a day, over the $1 budget.
    std::ofstream(file) << "gateways:\n"
                           "  - {name: pricey, base_url: \"https://p/v1\", budget: {daily_usd: 1}}\n"
                           "  - {name: local, base_url: \"https://l/v1\"}\n"
                           "routes:\n"
                           "  - {name: r1, gateway: pricey, model: m, interval: 5s, timeout: 5s,\n"
                           "     challenge: {detail: low},\n"
                           "     price: {input_per_million: 2.5, output_per_million: 10}}\n"
                           "  - {name: r2, gateway: local, model: m, retry_interval: 15s}\n";
    const auto r = test::run_process({test::visionwatch_binary().string(), "validate", "--config", file});
    CHECK(r.exit_code == visionwatch::exit_ok);
    CHECK(r.out == file + ": valid (2 gateways, 2 routes, 0 receivers)\n"
                          "projected per day (typical tokens of each route's challenge, route "
                          "prices):\n"
                          "  gateway pricey: 17280 probes + 24 control requests a day, ~$6.44; "
                          "budget $1.00 a day\n"
                          "  gateway local: 1440 probes + 24 control requests a day; if every "
                          "probe failed (retried at retry_interval): 5760 probes; no price set\n");
    CHECK(r.err == file + ": warning: gateway pricey: the projected spend of $6.44 a day is over "
                          "its budget of $1.00; its probes will pause before the day ends (UTC)\n");
    fs::remove_all(dir);
  }
}
