// In-process tests of sr::Station and the log-key signer the log module uses.
#include "signer/station.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/encoding.h"
#include "base/file.h"

namespace {

// A PinSource that hands out a fixed PIN: stands in for the later M-of-N
// share-combining source, which plugs into the same interface.
class FixedPin final : public sr::PinSource {
 public:
  explicit FixedPin(std::string pin) : pin_(pin.begin(), pin.end()) {}
  sr::Result<sr::SecretBytes> ReadPin() override { return pin_; }
  std::string Describe() const override { return "fixed test PIN"; }

 private:
  sr::SecretBytes pin_;
};

// A temp dir removed when the test case ends.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sr-station-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// The four PINs of a test station and the init options that use them.
struct TestPins {
  FixedPin rso{"release-so"}, rus{"release-user"}, lso{"log-so"}, lus{"log-user"};
  sr::StationInitOptions Options(const std::string& dir) {
    sr::StationInitOptions o;
    o.dir = dir;
    o.release_so = &rso;
    o.release_user = &rus;
    o.log_so = &lso;
    o.log_user = &lus;
    return o;
  }
};

bool VerifyEd25519(const std::string& raw_pub, const std::string& msg, const std::string& sig) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                  reinterpret_cast<const unsigned char*>(raw_pub.data()),
                                  raw_pub.size()),
      &EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1);
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

}  // namespace

TEST_CASE("station: the log key signs checkpoints that verify with station.json's public key") {
  TempDir tmp;
  std::string dir = tmp.path + "/st";
  TestPins pins;
  sr::StationInitOptions o = pins.Options(dir);
  FixedPin& lus = pins.lus;
  FixedPin& rus = pins.rus;
  {
    auto st = sr::Station::Init(o);
    REQUIRE_MESSAGE(st.ok(), st.status().message());
    CHECK((*st)->record().tokens_size() == 2);
    CHECK((*st)->record().log_key().algorithm() == "ed25519");
  }
  auto st = sr::Station::Open(dir);
  REQUIRE_MESSAGE(st.ok(), st.status().message());
  auto pub = sr::Base64Decode((*st)->record().log_key().public_key());
  REQUIRE(pub.ok());
  REQUIRE(pub->size() == 32);
  sr::SecretBytes pin = *lus.ReadPin();
  auto signer = sr::LogKeySigner::Open(**st, pin);
  REQUIRE_MESSAGE(signer.ok(), signer.status().message());
  CHECK((*signer)->PublicKey() == *pub);
  std::string checkpoint = "example.com/log\n42\nq3Ab8E0sHw2yQ4Zc0n9F6oQ7mJ3pP8eX1tL5vR2wZ0k=\n";
  for (int i = 0; i < 3; ++i) {
    auto sig = (*signer)->Sign(checkpoint);
    REQUIRE(sig.ok());
    CHECK(sig->size() == 64);
    CHECK(VerifyEd25519(*pub, checkpoint, *sig));
    CHECK_FALSE(VerifyEd25519(*pub, checkpoint + " ", *sig));
  }
  // PKCS#11 login state is per process and token: while one session is
  // logged in, another login is refused rather than silently sharing it.
  sr::SecretBytes release = *rus.ReadPin();
  auto twice = sr::LogKeySigner::Open(**st, release);
  CHECK(twice.status().message().find("CKR_USER_ALREADY_LOGGED_IN") != std::string::npos);
  signer.value().reset();
  // The release PIN does not open the log token.
  auto wrong = sr::LogKeySigner::Open(**st, release);
  CHECK(wrong.status().message().find("CKR_PIN_INCORRECT") != std::string::npos);
}

TEST_CASE("station: a second user of the same station is refused while the first holds the lock") {
  TempDir tmp;
  std::string dir = tmp.path + "/st";
  FixedPin rso("release-so"), rus("release-user"), lso("log-so"), lus("log-user");
  sr::StationInitOptions o{dir, "", "", "", &rso, &rus, &lso, &lus};
  auto first = sr::Station::Init(o);
  REQUIRE(first.ok());
  auto second = sr::Station::Open(dir);
  CHECK(second.status().code() == sr::Code::kUnavailable);
  first.value().reset();
  CHECK(sr::Station::Open(dir).ok());
}

TEST_CASE("station: identical release and log user PINs are refused before anything is created") {
  TempDir tmp;
  std::string dir = tmp.path + "/st";
  FixedPin rso("release-so"), same("same-user-pin"), lso("log-so");
  sr::StationInitOptions o{dir, "", "", "", &rso, &same, &lso, &same};
  auto st = sr::Station::Init(o);
  REQUIRE_FALSE(st.ok());
  CHECK(st.status().message().find("different user PINs") != std::string::npos);
  CHECK_FALSE(sr::PathExists(dir));
}

TEST_CASE("station: a token file a kill left empty is restored from the station's copy") {
  TempDir tmp;
  std::string dir = tmp.path + "/st";
  TestPins pins;
  sr::StationInitOptions o = pins.Options(dir);
  FixedPin& lus = pins.lus;
  REQUIRE(sr::Station::Init(o).ok());
  // What SoftHSMv2 leaves when killed between ftruncate and write at login.
  int emptied = 0;
  for (const auto& t : std::filesystem::directory_iterator(dir + "/tokens")) {
    std::filesystem::resize_file(t.path() / "token.object", 0);
    ++emptied;
  }
  REQUIRE(emptied == 2);
  {
    auto st = sr::Station::Open(dir);
    REQUIRE_MESSAGE(st.ok(), st.status().message());
    sr::SecretBytes pin = *lus.ReadPin();
    auto signer = sr::LogKeySigner::Open(**st, pin);
    REQUIRE_MESSAGE(signer.ok(), signer.status().message());
    CHECK((*signer)->Sign("checkpoint\n").ok());
  }
  // Without the station's copy the loss is reported, not papered over.
  std::filesystem::remove_all(dir + "/token-backups");
  auto st = sr::Station::Open(dir);  // refreshes the copies from the whole files
  REQUIRE(st.ok());
  st.value().reset();
  for (const auto& t : std::filesystem::directory_iterator(dir + "/tokens"))
    std::filesystem::resize_file(t.path() / "token.object", 0);
  std::filesystem::remove_all(dir + "/token-backups");
  auto lost = sr::Station::Open(dir);
  CHECK(lost.status().code() == sr::Code::kDataLoss);
  CHECK(lost.status().message().find("is empty") != std::string::npos);
}
