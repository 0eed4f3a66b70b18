// C2SP signed notes with ECDSA signatures (type 0x02), as a station on a
// module without Ed25519 (a TPM) signs its checkpoints. The signer here is
// OpenSSL in memory; the TPM itself is tests/hsm/tpm_station_test.cc.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "base/encoding.h"
#include "base/hash.h"
#include "log/note.h"

namespace sr::log {
namespace {

// ECDSA P-256 in memory: the SPKI DER as public key, DER signatures over
// SHA-256 of the message, as the HSM log signer gives them.
class EcdsaTestSigner final : public NoteSigner {
 public:
  explicit EcdsaTestSigner(std::string name, const char* curve = "P-256")
      : name_(std::move(name)), pkey_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve)) {
    REQUIRE(pkey_ != nullptr);
    unsigned char* der = nullptr;
    int n = i2d_PUBKEY(pkey_, &der);
    REQUIRE(n > 0);
    spki_.assign(reinterpret_cast<char*>(der), n);
    OPENSSL_free(der);
  }
  ~EcdsaTestSigner() override { EVP_PKEY_free(pkey_); }
  std::string Name() const override { return name_; }
  std::uint8_t SignatureType() const override { return kNoteEcdsa; }
  std::string PublicKey() const override { return spki_; }
  Result<std::string> Sign(std::string_view msg) override {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::string sig(160, '\0');
    std::size_t len = sig.size();
    bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey_) == 1 &&
              EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                             reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return Internal("signing failed");
    sig.resize(len);
    return sig;
  }

 private:
  std::string name_;
  EVP_PKEY* pkey_;
  std::string spki_;
};

TEST_CASE("note: an ECDSA verifier key is name+hex(SHA-256(SPKI)[:4])+base64(0x02 || SPKI)") {
  EcdsaTestSigner s("example.com/log");
  std::string vkey = VerifierKeyOf(s);
  std::string id = Sha256Bytes(s.PublicKey()).substr(0, 4);
  CHECK(vkey == "example.com/log+" + HexEncode(id) + "+" + Base64Encode("\x02" + s.PublicKey()));
  // The key ID hashes neither the name nor the type byte (witness's definition).
  CHECK(KeyId("another.name", s.PublicKey(), kNoteEcdsa) == id);
  auto v = NoteVerifier::Parse(vkey);
  REQUIRE(v.ok());
  CHECK(v->type() == kNoteEcdsa);
  CHECK(v->ToString() == vkey);
}

TEST_CASE("note: an ECDSA-signed checkpoint opens with its key; an altered one is data loss") {
  EcdsaTestSigner s("example.com/log");
  Checkpoint c{"example.com/log", 7, std::string(32, '\x11'), {}};
  auto note = SignNote(c.Text(), s);
  REQUIRE(note.ok());
  auto v = NoteVerifier::Parse(VerifierKeyOf(s));
  REQUIRE(v.ok());
  auto opened = OpenCheckpoint(*note, *v);
  REQUIRE(opened.ok());
  CHECK(opened->size == 7);
  std::string bad = *note;
  bad[bad.find("\n7\n") + 1] = '8';
  CHECK(OpenCheckpoint(bad, *v).status().code() == Code::kDataLoss);
  // A P-384 key signs type 0x02 too (still over SHA-256).
  EcdsaTestSigner s384("example.com/log", "P-384");
  auto n384 = SignNote(c.Text(), s384);
  REQUIRE(n384.ok());
  CHECK(OpenCheckpoint(*n384, NoteVerifier::Parse(VerifierKeyOf(s384)).value()).ok());
  // Another key of the same name: its line is not ours, so no signature found.
  EcdsaTestSigner other("example.com/log");
  auto o = NoteVerifier::Parse(VerifierKeyOf(other));
  REQUIRE(o.ok());
  CHECK(OpenCheckpoint(*note, *o).status().code() == Code::kDataLoss);
}

TEST_CASE(
    "note: type 0x02 verifier keys that are not ECDSA SPKIs, or of an unknown type, are refused") {
  EcdsaTestSigner s("n");
  std::string spki = s.PublicKey();
  auto parse = [](const std::string& body, const std::string& id) {
    return NoteVerifier::Parse("n+" + HexEncode(id) + "+" + Base64Encode(body));
  };
  std::string good_id = Sha256Bytes(spki).substr(0, 4);
  CHECK(parse("\x02" + spki, good_id).ok());
  CHECK_FALSE(parse("\x02" + spki, std::string(4, '\0')).ok());  // wrong key id
  std::string ed =
      std::string("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12) + std::string(32, '\x01');
  auto not_ec = parse("\x02" + ed, Sha256Bytes(ed).substr(0, 4));
  CHECK(not_ec.status().code() == Code::kInvalidArgument);
  std::string trailing = spki + "x";
  CHECK_FALSE(parse("\x02" + trailing, Sha256Bytes(trailing).substr(0, 4)).ok());
  CHECK_FALSE(parse("\x03" + spki, good_id).ok());
}

}  // namespace
}  // namespace sr::log
