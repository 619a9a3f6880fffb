#include "tests/support/test_ca.hpp"

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/test_paths.hpp"

namespace visionwatch::test {
namespace {

void openssl(const std::filesystem::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  const auto r = run_process(args, {}, std::chrono::seconds(60));
  std::ofstream(dir / "openssl.log", std::ios::app) << r.out << r.err;
  if (r.exit_code != 0) {
    throw std::runtime_error("openssl " + args[1] + " failed: " + r.err);
  }
}

test_pki generate() {
  test_pki p;
  p.dir = make_temp_dir("visionwatch-pki");
  p.ca_cert = p.dir / "ca.pem";
  p.server_cert = p.dir / "server.pem";
  p.server_key = p.dir / "server.key";
  p.other_ca_cert = p.dir / "other-ca.pem";
  const auto ca_key = p.dir / "ca.key";
  const auto other_key = p.dir / "other-ca.key";
  const auto csr = p.dir / "server.csr";
  const auto ext = p.dir / "server.ext";
  {
    std::ofstream out(ext);
    out << "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
           "basicConstraints=critical,CA:FALSE\n"
           "keyUsage=critical,digitalSignature,keyEncipherment\n"
           "extendedKeyUsage=serverAuth\n";
  }
  const std::vector<std::string> ec_key = {
      "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
  auto make_ca = [&](const std::filesystem::path& cert,
                     const std::filesystem::path& key,
                     const std::string& cn) {
    std::vector<std::string> a = {"req", "-x509"};
    a.insert(a.end(), ec_key.begin(), ec_key.end());
    a.insert(a.end(),
             {"-keyout",
              key.string(),
              "-out",
              cert.string(),
              "-days",
              "30",
              "-subj",
              "/CN=" + cn,
              "-addext",
              "basicConstraints=critical,CA:TRUE",
              "-addext",
              "keyUsage=critical,keyCertSign,cRLSign"});
    openssl(p.dir, a);
  };
  make_ca(p.ca_cert, ca_key, "visionwatch test CA");
  make_ca(p.other_ca_cert, other_key, "visionwatch unrelated CA");
  std::vector<std::string> req = {"req"};
  req.insert(req.end(), ec_key.begin(), ec_key.end());
  req.insert(req.end(),
             {"-keyout", p.server_key.string(), "-out", csr.string(), "-subj", "/CN=localhost"});
  openssl(p.dir, req);
  openssl(p.dir,
          {"x509",
           "-req",
           "-in",
           csr.string(),
           "-CA",
           p.ca_cert.string(),
           "-CAkey",
           ca_key.string(),
           "-CAcreateserial",
           "-out",
           p.server_cert.string(),
           "-days",
           "30",
           "-extfile",
           ext.string()});
  return p;
}

}  // namespace

const test_pki& test_certificates() {
  static const test_pki pki = generate();
  return pki;
}

}  // namespace visionwatch::test
