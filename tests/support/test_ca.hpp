#pragma once
/// A throw-away PKI for TLS tests, made with the openssl CLI at test time: a CA, a server
/// certificate it signed (SAN: localhost, 127.0.0.1, ::1) and a second, unrelated CA.

#include <filesystem>

namespace visionwatch::test {

struct test_pki {
  std::filesystem::path dir;
  std::filesystem::path ca_cert;        ///< PEM: the CA that signed server_cert
  std::filesystem::path server_cert;    ///< PEM: CN=localhost, SAN localhost, 127.0.0.1, ::1
  std::filesystem::path server_key;     ///< PEM private key of server_cert
  std::filesystem::path other_ca_cert;  ///< PEM: a CA that signed nothing here
};

/// Generated on first use (once per test process) in a fresh temp dir. Throws
/// std::runtime_error with the openssl output when generation fails.
const test_pki& test_certificates();

}  // namespace visionwatch::test
