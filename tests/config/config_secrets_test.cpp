#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "tests/config/config_test_support.hpp"
#include "tests/support/scoped_temp_dir.hpp"
#include "tests/support/test_paths.hpp"

using namespace visionwatch;
using namespace visionwatch::config_testing;

TEST_SUITE("unit") {
  TEST_CASE("inline secrets are refused with a pointer to the secret forms") {
    CHECK(errors_of("gateways:\n  - {name: gw, base_url: \"https://g/\", api_key: sk-1}\n"
                    "routes: [{name: r, gateway: gw, model: m}]\n"
                    "receivers: [{name: p, type: pagerduty, secret: abc, secret_env: PD}]\n",
                    env_of({{"PD", "routing"}})) ==
          std::vector<std::string>{
              "config.yaml:2: gateways[0].api_key: unknown key (secrets are read from "
              "api_key_env, api_key_file or api_key_credential)",
              "config.yaml:4: receivers[0].secret: unknown key (secrets are read from secret_env, "
              "secret_file or secret_credential)"});
  }

  TEST_CASE(
      "secrets come from env or file or systemd credential with one trailing newline stripped") {
    const temp_files tmp("vw-secret",
                         {{"key.txt", "file-key\n"}, {"hook", "whsec_abc\n\n"}, {"empty", ""}});
    std::filesystem::create_directory(tmp.path / "subdir");
    const std::string yaml =
        "gateways:\n"
        "  - {name: a, base_url: \"https://a/\", api_key_env: A_KEY}\n"
        "  - {name: b, base_url: \"https://b/\", api_key_file: key.txt}\n"
        "  - {name: c, base_url: \"https://c/\", api_key_credential: key.txt}\n"
        "routes: [{name: r, gateway: a, model: m}]\n"
        "receivers:\n"
        "  - {name: s, type: slack, url_credential: slack}\n";
    write_file(tmp.path, "slack", "https://hooks.slack.com/services/T/B/C\n");
    const auto file = (tmp.path / "c.yaml").string();
    auto r = parse_config(
        yaml, file, env_of({{"A_KEY", "env-key"}, {"CREDENTIALS_DIRECTORY", tmp.path.string()}}));
    REQUIRE(r.value);
    CHECK(r.value->gateways[0].api_key == "env-key");
    CHECK(r.value->gateways[1].api_key == "file-key");
    CHECK(r.value->gateways[2].api_key == "file-key");
    CHECK(r.value->receivers[0].url == "https://hooks.slack.com/services/T/B/C");

    r = parse_config(
        "gateways:\n"
        "  - {name: a, base_url: \"https://a/\", api_key_env: A_KEY}\n"
        "  - {name: b, base_url: \"https://b/\", api_key_file: empty}\n"
        "  - {name: c, base_url: \"https://c/\", api_key_credential: key.txt}\n"
        "  - {name: d, base_url: \"https://d/\", api_key_file: hook}\n"
        "  - {name: e, base_url: \"https://e/\", api_key_env: E, api_key_file: key.txt}\n"
        "  - {name: f, base_url: \"https://f/\", api_key_file: subdir}\n"
        "  - {name: g, base_url: \"https://g/\", api_key_file: /dev/null}\n"
        "routes: [{name: r, gateway: a, model: m}]\n",
        file,
        no_env);
    std::vector<std::string> errors;
    errors.reserve(r.errors.size());
    for (const auto& e : r.errors) {
      errors.push_back(e.to_string());
    }
    CHECK(errors ==
          std::vector<std::string>{
              file + ":2: gateways[0].api_key_env: environment variable A_KEY is not set",
              file + ":3: gateways[1].api_key_file: " + tmp.path.string() + "/empty is empty",
              file + ":4: gateways[2].api_key_credential: CREDENTIALS_DIRECTORY is not set "
                     "(api_key_credential needs systemd LoadCredential= or SetCredential=)",
              file + ":5: gateways[3].api_key_file: the secret contains a line break or NUL byte",
              file + ":6: gateways[4].api_key_file: set only one of api_key_env, api_key_file",
              file + ":7: gateways[5].api_key_file: cannot read " + tmp.path.string() +
                  "/subdir: is a directory",
              file + ":8: gateways[6].api_key_file: cannot read /dev/null: not a regular file"});
  }

  TEST_CASE("secret values never appear in any error message") {
    const std::string secret = "sk-VWTESTSECRET-0123456789";
    const test::scoped_temp_dir tmp("vw-leak");
    const auto& dir = tmp.path;
    write_file(dir, "key", secret + "\n");
    const auto env = env_of({{"LEAK", secret}, {"LEAK_URL", "https://user:" + secret + "@h/"}});
    const std::string yaml =
        "global: {listen: \"${LEAK}\", public_url: \"ftp://x:${LEAK}@h/\"}\n"
        "gateways:\n"
        "  - name: gw\n"
        "    base_url: \"${LEAK}\"\n"
        "    api_key_env: LEAK\n"
        "    headers: {X-Key: \"${LEAK}\\nX\", Authorization: \"Bearer ${LEAK}\"}\n"
        "    proxy_url: \"${LEAK_URL}#frag\"\n"
        "  - {name: \"${LEAK} x\", base_url: \"https://h/\", api_key_file: key}\n"
        "routes:\n"
        "  - name: \"${LEAK}!\"\n"
        "    gateway: \"${LEAK}\"\n"
        "    model: m\n"
        "    interval: \"${LEAK}\"\n"
        "    window: \"${LEAK}\"\n"
        "    challenge: {kind: \"${LEAK}\", width: \"${LEAK}\", detail: \"${LEAK}\"}\n"
        "  - matrix: {gateway: gw, models: [\"${LEAK} y\"]}\n"
        "receivers:\n"
        "  - {name: s, type: slack, url_file: key, secret_env: LEAK}\n"
        "  - {name: t, type: \"${LEAK}\", url: \"${LEAK}\"}\n"
        "silences: [{route: \"${LEAK}\", until: \"${LEAK}\"}]\n";
    const auto r = parse_config(yaml, (dir / "c.yaml").string(), env);
    CHECK(r.errors.size() >= 15);
    for (const auto& e : r.errors) {
      const auto text = e.to_string();
      CAPTURE(text);
      CHECK(text.find("VWTESTSECRET") == std::string::npos);
    }
  }
}
