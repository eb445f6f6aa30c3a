// TLS and mutual TLS with certificates the test makes with openssl: a client that trusts the CA gets
// in; with mTLS a client without a certificate (or with one from another CA) is refused.
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/controlplane/fixtures.h"

namespace causeway::testing {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, both signed by it;
// and a second CA with its own client certificate.
class Pki {
 public:
  Pki() {
    const std::string d = dir_.path();
    const std::string script = absl::StrCat(
        "set -e\ncd ", d, "\nexec >openssl.log 2>&1\n",
        "for ca in ca other; do openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=$ca -keyout $ca.key -out $ca.crt; done;",
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext;",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr;",
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out server.crt;",
        "for c in ca other; do openssl req -newkey rsa:2048 -nodes -subj /CN=client-$c -keyout client-$c.key -out client-$c.csr;",
        "openssl x509 -req -in client-$c.csr -CA $c.crt -CAkey $c.key -CAcreateserial -days 1 -out client-$c.crt; done");
    std::ofstream(d + "/make-pki.sh") << script;
    ok_ = std::system(("bash " + d + "/make-pki.sh").c_str()) == 0;
  }
  bool ok() const { return ok_; }
  std::string path(const std::string& f) const { return dir_.path() + "/" + f; }

 private:
  TempDir dir_;
  bool ok_ = false;
};

std::unique_ptr<v1::Causeway::Stub> TlsClient(int port, const Pki& pki, const std::string& client) {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = Read(pki.path("ca.crt"));
  if (!client.empty()) {
    o.pem_cert_chain = Read(pki.path("client-" + client + ".crt"));
    o.pem_private_key = Read(pki.path("client-" + client + ".key"));
  }
  return v1::Causeway::NewStub(grpc::CreateChannel(absl::StrCat("localhost:", port), grpc::SslCredentials(o)));
}

grpc::Status Stats(v1::Causeway::Stub& stub) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::StatsResponse r;
  return stub.GetStats(&ctx, v1::StatsRequest(), &r);
}

struct TlsServer {
  TlsServer(const Pki& pki, bool mutual) {
    server::ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.tls_cert = pki.path("server.crt");
    o.tls_key = pki.path("server.key");
    if (mutual) o.tls_client_ca = pki.path("ca.crt");
    absl::StatusOr<server::RunningServer> r = server::StartServer(o, &cp);
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) running = *std::move(r);
  }
  ~TlsServer() {
    if (running.server) running.server->Shutdown();
  }
  RecordingSink sink;
  server::ControlPlane cp{{}, &sink};
  server::RunningServer running;
};

TEST(Tls, ServerCertificateTrustedByTheClient) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << "openssl failed: see its log";
  TlsServer s(pki, /*mutual=*/false);
  EXPECT_TRUE(Stats(*TlsClient(s.running.port, pki, "")).ok());
  // A plaintext client cannot talk to a TLS server.
  auto plain = v1::Causeway::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", s.running.port), grpc::InsecureChannelCredentials()));
  EXPECT_FALSE(Stats(*plain).ok());
}

TEST(Tls, MutualTlsRefusesClientsWithoutAGoodCertificate) {
  Pki pki;
  ASSERT_TRUE(pki.ok());
  TlsServer s(pki, /*mutual=*/true);
  EXPECT_TRUE(Stats(*TlsClient(s.running.port, pki, "ca")).ok());
  EXPECT_EQ(Stats(*TlsClient(s.running.port, pki, "")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Stats(*TlsClient(s.running.port, pki, "other")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(Tls, HalfAConfigurationIsRefused) {
  RecordingSink sink;
  server::ControlPlane cp({}, &sink);
  server::ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.tls_cert = "/nonexistent.crt";
  EXPECT_EQ(server::StartServer(o, &cp).status().code(), absl::StatusCode::kInvalidArgument);
  o.tls_key = "/nonexistent.key";
  EXPECT_EQ(server::StartServer(o, &cp).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace causeway::testing
