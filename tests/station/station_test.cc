// In-process tests of sr::Station and the log-key signer the log module uses.
#include "station/station.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "base/encoding.h"
#include "base/file.h"
#include "policy/json.h"
#include "policy/keys.h"
#include "tests/testing/temp_dir.h"

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

using sr::testing::TempDir;

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
  TempDir tmp("sr-station");
  std::string dir = tmp.path() + "/st";
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
  TempDir tmp("sr-station");
  std::string dir = tmp.path() + "/st";
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
  TempDir tmp("sr-station");
  std::string dir = tmp.path() + "/st";
  FixedPin rso("release-so"), same("same-user-pin"), lso("log-so");
  sr::StationInitOptions o{dir, "", "", "", &rso, &same, &lso, &same};
  auto st = sr::Station::Init(o);
  REQUIRE_FALSE(st.ok());
  CHECK(st.status().message().find("different user PINs") != std::string::npos);
  CHECK_FALSE(sr::PathExists(dir));
}

TEST_CASE("station: a token file a kill left empty is restored from the station's copy") {
  TempDir tmp("sr-station");
  std::string dir = tmp.path() + "/st";
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

namespace {

// station.json rewritten with `edit` applied to its record.
void EditStationJson(const std::string& dir,
                     const std::function<void(strongroom::v1::Station&)>& edit) {
  auto json = sr::ReadFile(dir + "/station.json");
  REQUIRE(json.ok());
  strongroom::v1::Station r;
  REQUIRE(sr::policy::ParseJsonMessage(*json, &r, "station.json").ok());
  edit(r);
  sr::Status w = sr::WriteFileAtomic(dir + "/station.json", sr::policy::MessageToJson(r), 0600);
  REQUIRE_MESSAGE(w.ok(), w.message());
}

bool VerifyWithPem(const std::string& pem, const std::string& msg, const std::string& sig) {
  auto key = sr::policy::PublicKey::FromPem(pem);
  REQUIRE_MESSAGE(key.ok(), key.status().message());
  return key->Verify(msg, sig);
}

}  // namespace

TEST_CASE(
    "station: the attestation key is ECDSA P-256; an older station's Ed25519 one still signs") {
  TempDir tmp("sr-station");
  std::string dir = tmp.path() + "/st";
  TestPins pins;
  sr::StationInitOptions o = pins.Options(dir);
  REQUIRE(sr::Station::Init(o).ok());
  sr::SecretBytes pin = *pins.lus.ReadPin();
  const std::string vsa = "DSSEv1 28 application/vnd.in-toto+json 2 {}";
  sr::GeneratedKey old_key;
  {
    auto st = sr::Station::Open(dir);
    REQUIRE(st.ok());
    const auto& ak = (*st)->record().attestation_key();
    CHECK(ak.algorithm() == "ecdsa-p256");
    CHECK(ak.public_key().empty());  // the raw form is for Ed25519 keys only
    auto signer = sr::LogKeySigner::Open(**st, pin);
    REQUIRE_MESSAGE(signer.ok(), signer.status().message());
    CHECK((*signer)->attestation_key().fingerprint_hex == ak.fingerprint());
    auto sig = (*signer)->SignAttestation(vsa);
    REQUIRE(sig.ok());
    CHECK(VerifyWithPem(ak.public_key_pem(), vsa, *sig));
    CHECK_FALSE(VerifyWithPem(ak.public_key_pem(), vsa + " ", *sig));
    CHECK_FALSE(VerifyWithPem((*st)->record().log_key().public_key_pem(), vsa, *sig));
    signer.value().reset();
    // What a station made before 2026-12 has: an Ed25519 attestation key.
    auto session = (*st)->OpenSession(sr::TokenRole::kLog, &pin);
    REQUIRE(session.ok());
    auto k =
        sr::GenerateStationKey(**st, **session, "attest-ed25519", sr::hsm::Algorithm::kEd25519);
    REQUIRE_MESSAGE(k.ok(), k.status().message());
    old_key = *k;
  }
  auto pem = sr::ReadFile(old_key.pem_path);
  REQUIRE(pem.ok());
  EditStationJson(dir, [&](strongroom::v1::Station& r) {
    auto* ak = r.mutable_attestation_key();
    ak->set_label(old_key.info.label);
    ak->set_uri(old_key.info.uri);
    ak->set_algorithm("ed25519");
    ak->set_public_key(sr::Base64Encode(old_key.info.spki_der.substr(12)));
    ak->set_public_key_pem(*pem);
    ak->set_fingerprint(old_key.info.fingerprint_hex);
  });
  {
    auto st = sr::Station::Open(dir);
    REQUIRE(st.ok());
    auto signer = sr::LogKeySigner::Open(**st, pin);
    REQUIRE_MESSAGE(signer.ok(), signer.status().message());
    auto sig = (*signer)->SignAttestation(vsa);
    REQUIRE(sig.ok());
    CHECK(sig->size() == 64);
    CHECK(VerifyWithPem(*pem, vsa, *sig));
  }
  // station.json naming another algorithm than the token's key: refused.
  EditStationJson(dir, [](strongroom::v1::Station& r) {
    r.mutable_attestation_key()->set_algorithm("ecdsa-p256");
  });
  auto st = sr::Station::Open(dir);
  REQUIRE(st.ok());
  auto mismatch = sr::LogKeySigner::Open(**st, pin);
  CHECK(mismatch.status().code() == sr::Code::kDataLoss);
  CHECK(mismatch.status().message().find("does not match") != std::string::npos);
}
