#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include <memory>

#include "hsm/pkcs11_error.h"
#include "hsm/pubkey.h"
#include "tests/testing/softhsm.h"

namespace {

using sr::hsm::Algorithm;

// Verifies sig over msg with the SPKI, the way any standard verifier would.
bool VerifyWithOpenSsl(Algorithm alg, const std::string& spki, const std::string& msg,
                       const std::string& sig) {
  const auto* p = reinterpret_cast<const unsigned char*>(spki.data());
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(d2i_PUBKEY(nullptr, &p, spki.size()),
                                                          &EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const EVP_MD* md = alg == Algorithm::kEd25519     ? nullptr
                     : alg == Algorithm::kEcdsaP384 ? EVP_sha384()
                                                    : EVP_sha256();
  EVP_PKEY_CTX* pctx = nullptr;
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key.get()) == 1);
  if (alg == Algorithm::kRsaPss3072) {
    REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1);
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

const Algorithm kAll[] = {Algorithm::kEcdsaP256, Algorithm::kEcdsaP384, Algorithm::kEd25519,
                          Algorithm::kRsaPss3072};

}  // namespace

TEST_CASE("hsm: a token holding keys of all four algorithms lists, exports and signs with each") {
  sr::testing::SoftHsmToken t;
  auto s = t.Login();
  for (Algorithm a : kAll) {
    auto k = s->GenerateKey("key-" + std::string(sr::hsm::AlgorithmName(a)), a);
    REQUIRE_MESSAGE(k.ok(), k.status().message());
    CHECK(k->fingerprint_hex.size() == 64);
    CHECK(k->uri.find("object=key-") != std::string::npos);
  }
  auto keys = s->ListKeys();
  REQUIRE_MESSAGE(keys.ok(), keys.status().message());
  REQUIRE(keys->size() == 4);
  for (const auto& info : *keys) {
    INFO("key " << info.label);
    CHECK(info.label == "key-" + std::string(sr::hsm::AlgorithmName(info.algorithm)));
    auto pem = sr::hsm::SpkiToPem(info.spki_der);
    REQUIRE(pem.ok());
    CHECK(pem->starts_with("-----BEGIN PUBLIC KEY-----"));
    auto h = s->FindKey(info.uri);
    REQUIRE_MESSAGE(h.ok(), h.status().message());
    for (std::string msg :
         {std::string("firmware 5.4.3"), std::string(100000, 'x'), std::string()}) {
      auto sig = s->Sign(*h, msg);
      REQUIRE_MESSAGE(sig.ok(), sig.status().message());
      CHECK(VerifyWithOpenSsl(info.algorithm, info.spki_der, msg, *sig));
      CHECK_FALSE(VerifyWithOpenSsl(info.algorithm, info.spki_der, msg + "!", *sig));
    }
  }
}

TEST_CASE("hsm: generated private keys are sensitive and their CKA_VALUE cannot be read") {
  sr::testing::SoftHsmToken t;
  auto s = t.Login();
  for (Algorithm a : {Algorithm::kEcdsaP256, Algorithm::kEd25519}) {
    REQUIRE(s->GenerateKey("k" + std::to_string(static_cast<int>(a)), a).ok());
    auto h = s->FindKey("k" + std::to_string(static_cast<int>(a)));
    REQUIRE_MESSAGE(h.ok(), h.status().message());
    CHECK(s->PrivateFlag(*h, CKA_SENSITIVE).value());
    CHECK(s->PrivateFlag(*h, CKA_ALWAYS_SENSITIVE).value());
    CHECK_FALSE(s->PrivateFlag(*h, CKA_EXTRACTABLE).value());
    CHECK(s->PrivateFlag(*h, CKA_NEVER_EXTRACTABLE).value());
    CHECK(s->PrivateFlag(*h, CKA_TOKEN).value());
    CHECK(s->PrivateFlag(*h, CKA_PRIVATE).value());
    auto value = s->ReadPrivateAttribute(*h, CKA_VALUE);
    REQUIRE_FALSE(value.ok());
    CHECK(value.status().message().find("CKR_ATTRIBUTE_SENSITIVE") != std::string::npos);
  }
}

TEST_CASE("hsm: a wrong PIN reports CKR_PIN_INCORRECT in words and never locks the token") {
  sr::testing::SoftHsmToken t;
  sr::SecretBytes wrong = sr::testing::Pin("not-the-pin");
  for (int i = 0; i < 12; ++i) {
    auto s = sr::hsm::Session::Open(t.module, t.token, &wrong);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == sr::Code::kHsm);
    CHECK(s.status().message().find("CKR_PIN_INCORRECT (0xa0)") != std::string::npos);
    CHECK(s.status().message().find("token 'test-token'") != std::string::npos);
    CHECK(s.status().message().find(sr::hsm::kSoftHsmModulePath) != std::string::npos);
  }
  auto ok = sr::hsm::Session::Open(t.module, t.token, &t.user_pin);
  CHECK_MESSAGE(ok.ok(), ok.status().message());
}

TEST_CASE("hsm: duplicate labels, unknown keys, unknown tokens and missing modules are named") {
  sr::testing::SoftHsmToken t;
  auto s = t.Login();
  REQUIRE(s->GenerateKey("release-1", Algorithm::kEcdsaP256).ok());
  auto dup = s->GenerateKey("release-1", Algorithm::kEd25519);
  CHECK(dup.status().code() == sr::Code::kAlreadyExists);
  CHECK(dup.status().message().find("release-1") != std::string::npos);
  auto missing = s->FindKey("pkcs11:object=nope");
  CHECK(missing.status().code() == sr::Code::kNotFound);
  CHECK(missing.status().message().find("nope") != std::string::npos);
  CHECK(missing.status().message().find("test-token") != std::string::npos);
  auto other = s->FindKey("pkcs11:token=other;object=release-1");
  CHECK(other.status().code() == sr::Code::kNotFound);
  auto tok = t.module->FindToken("no-such-token");
  CHECK(tok.status().code() == sr::Code::kNotFound);
  CHECK(tok.status().message().find("'test-token'") != std::string::npos);
  auto mod = sr::hsm::Module::Load("/nonexistent/libpkcs11.so");
  CHECK(mod.status().code() == sr::Code::kNotFound);
  CHECK(mod.status().message().find("/nonexistent/libpkcs11.so") != std::string::npos);
  CHECK(s->GenerateKey("../evil", Algorithm::kEd25519).status().code() ==
        sr::Code::kInvalidArgument);
}

TEST_CASE("hsm: FindKey pairs the halves by id and names ambiguous or half keys") {
  sr::testing::SoftHsmToken t;
  auto s = t.Login();
  auto k = s->GenerateKey("release-1", Algorithm::kEcdsaP256);
  REQUIRE(k.ok());
  // Objects another tool left: a data object and a lone public key (no
  // private half) under labels of their own, and a second key pair under
  // release-1's label.
  CK_FUNCTION_LIST* fn = t.module->functions();
  CK_SESSION_HANDLE raw = 0;
  REQUIRE(fn->C_OpenSession(t.token.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                            &raw) == CKR_OK);
  CK_OBJECT_CLASS data_class = CKO_DATA;
  CK_BBOOL yes = CK_TRUE;
  std::string label = "release-1";
  CK_ATTRIBUTE data[] = {{CKA_CLASS, &data_class, sizeof data_class},
                         {CKA_TOKEN, &yes, sizeof yes},
                         {CKA_LABEL, label.data(), label.size()},
                         {CKA_VALUE, label.data(), label.size()}};
  CK_OBJECT_HANDLE obj = 0;
  REQUIRE(fn->C_CreateObject(raw, data, 4, &obj) == CKR_OK);
  // A data object of the same label is not a key: release-1 is still one key.
  auto one = s->FindKey("release-1");
  REQUIRE_MESSAGE(one.ok(), one.status().message());
  CHECK(one->info.id == k->id);
  CHECK(one->private_handle != 0);
  CHECK(one->public_handle != one->private_handle);
  auto signed_ = s->Sign(*one, "message");
  REQUIRE(signed_.ok());
  CHECK(VerifyWithOpenSsl(Algorithm::kEcdsaP256, k->spki_der, "message", *signed_));

  auto half = s->GenerateKey("half", Algorithm::kEcdsaP256);
  REQUIRE(half.ok());
  auto half_key = s->FindKey("half");
  REQUIRE(half_key.ok());
  REQUIRE(fn->C_DestroyObject(raw, half_key->private_handle) == CKR_OK);
  auto lonely = s->FindKey("half");
  CHECK(lonely.status().code() == sr::Code::kNotFound);
  CHECK(lonely.status().message().find("has no private key") != std::string::npos);

  CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  std::string params = std::string(sr::hsm::EcParamsFor(Algorithm::kEcdsaP256));
  std::string id = "other-id";
  CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &yes, sizeof yes},
                        {CKA_LABEL, label.data(), label.size()},
                        {CKA_ID, id.data(), id.size()},
                        {CKA_EC_PARAMS, params.data(), params.size()}};
  CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &yes, sizeof yes},
                         {CKA_PRIVATE, &yes, sizeof yes},
                         {CKA_SIGN, &yes, sizeof yes},
                         {CKA_LABEL, label.data(), label.size()},
                         {CKA_ID, id.data(), id.size()}};
  CK_OBJECT_HANDLE pub_h = 0, priv_h = 0;
  REQUIRE(fn->C_GenerateKeyPair(raw, &mech, pub, 4, priv, 5, &pub_h, &priv_h) == CKR_OK);
  auto two = s->FindKey("release-1");
  CHECK(two.status().code() == sr::Code::kInvalidArgument);
  CHECK(two.status().message().find("ambiguous") != std::string::npos);
  CHECK(two.status().message().find("2 matches") != std::string::npos);
  // Named by its id, each pair is found whole.
  auto by_id = s->FindKey(k->uri);
  REQUIRE_MESSAGE(by_id.ok(), by_id.status().message());
  CHECK(by_id->info.fingerprint_hex == k->fingerprint_hex);
  CHECK(by_id->private_handle != 0);
  fn->C_CloseSession(raw);
}

TEST_CASE("hsm: without a login public keys are listed but nothing can be signed") {
  sr::testing::SoftHsmToken t;
  {
    auto s = t.Login();
    REQUIRE(s->GenerateKey("pub-only", Algorithm::kEd25519).ok());
  }
  auto anon = sr::hsm::Session::Open(t.module, t.token, nullptr);
  REQUIRE(anon.ok());
  auto keys = (*anon)->ListKeys();
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 1);
  auto h = (*anon)->FindKey("pub-only");
  REQUIRE(h.ok());
  CHECK((*anon)->Sign(*h, "x").status().code() == sr::Code::kFailedPrecondition);
  CHECK((*anon)->GenerateKey("g", Algorithm::kEd25519).status().code() ==
        sr::Code::kFailedPrecondition);
}

TEST_CASE("hsm: CK_RV codes are named in words and unknown codes keep their raw value") {
  CHECK(sr::hsm::CkrName(CKR_PIN_INCORRECT) == "CKR_PIN_INCORRECT");
  CHECK(sr::hsm::CkrName(CKR_DEVICE_MEMORY) == "CKR_DEVICE_MEMORY");
  CHECK(sr::hsm::CkrName(CKR_KEY_TYPE_INCONSISTENT) == "CKR_KEY_TYPE_INCONSISTENT");
  CHECK(sr::hsm::CkrName(0x80000123UL) == "CKR_VENDOR_DEFINED+0x123");
  sr::Status s = sr::hsm::CkrError(CKR_DEVICE_MEMORY, "C_GenerateKeyPair", "token 'x'");
  CHECK(s.message().find("token is full") != std::string::npos);
  CHECK(s.message().find("(0x31)") != std::string::npos);
}
