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
  // The codes a module returns when the disk under its token is full, and
  // every other standard code (v2.40 and v3.0), by value.
  CHECK(sr::hsm::CkrName(0x6) == "CKR_FUNCTION_FAILED");
  CHECK(sr::hsm::CkrName(0x5) == "CKR_GENERAL_ERROR");
  CHECK(sr::hsm::CkrName(0x2) == "CKR_HOST_MEMORY");
  CHECK(sr::hsm::CkrName(0x7) == "CKR_ARGUMENTS_BAD");
  CHECK(sr::hsm::CkrName(0xf0) == "CKR_UNWRAPPING_KEY_HANDLE_INVALID");
  CHECK(sr::hsm::CkrName(0x1b5) == "CKR_EXCEEDED_MAX_ITERATIONS");
  CHECK(sr::hsm::CkrName(0x1b9) == "CKR_PUBLIC_KEY_INVALID");
  CHECK(sr::hsm::CkrName(0x42) == "CKR_AEAD_DECRYPT_FAILED");
  CHECK(sr::hsm::CkrName(0x201) == "CKR_TOKEN_RESOURCE_EXCEEDED");
  CHECK(sr::hsm::CkrName(0x202) == "CKR_OPERATION_CANCEL_FAILED");
  const unsigned long standard[] = {
      0x0,   0x1,   0x2,   0x3,   0x5,   0x6,   0x7,   0x8,   0x9,   0xa,   0x10,  0x11,  0x12,
      0x13,  0x1b,  0x20,  0x21,  0x30,  0x31,  0x32,  0x40,  0x41,  0x42,  0x50,  0x51,  0x54,
      0x60,  0x62,  0x63,  0x64,  0x65,  0x66,  0x67,  0x68,  0x69,  0x6a,  0x70,  0x71,  0x82,
      0x90,  0x91,  0xa0,  0xa1,  0xa2,  0xa3,  0xa4,  0xb0,  0xb1,  0xb3,  0xb4,  0xb5,  0xb6,
      0xb7,  0xb8,  0xc0,  0xc1,  0xd0,  0xd1,  0xe0,  0xe1,  0xe2,  0xf0,  0xf1,  0xf2,  0x100,
      0x101, 0x102, 0x103, 0x104, 0x105, 0x110, 0x112, 0x113, 0x114, 0x115, 0x120, 0x121, 0x130,
      0x140, 0x150, 0x160, 0x170, 0x180, 0x190, 0x191, 0x1a0, 0x1a1, 0x1b0, 0x1b1, 0x1b5, 0x1b6,
      0x1b7, 0x1b8, 0x1b9, 0x200, 0x201, 0x202};
  for (unsigned long rv : standard) {
    INFO("CK_RV 0x", std::hex, rv);
    CHECK(sr::hsm::CkrName(rv).rfind("CKR_", 0) == 0);
  }
  CHECK(sr::hsm::CkrName(0x4) == "unknown CK_RV 0x4");
  sr::Status s = sr::hsm::CkrError(CKR_DEVICE_MEMORY, "C_GenerateKeyPair", "token 'x'");
  CHECK(s.message().find("token is full") != std::string::npos);
  CHECK(s.message().find("(0x31)") != std::string::npos);
}
