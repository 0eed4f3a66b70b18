// libp11 (OpenSC's PKCS#11 wrapper for OpenSSL) as an independent PKCS#11
// consumer of a station strongroom made: after `strongroom station init` and
// `strongroom key generate` on SoftHSMv2, libp11 finds the release key on the
// release token, signs a file with it inside the token, and `openssl dgst
// -verify` with the station's exported public key accepts the signature.
// The PIN reaches this process through a 0600 file, never a command line.
// libp11 0.4.12 has no call that reads CKA_SENSITIVE / CKA_EXTRACTABLE: those
// are checked by pkcs11-tool in tests/cli/station_key_test.cc; here the key
// libp11 hands to OpenSSL holds no private scalar that matches the public
// key. Only an ECDSA key: libp11 0.4.12 cannot enumerate the keys of a token
// that holds an Ed25519 key (measured; docs/hsm.md).
#include <doctest/doctest.h>
#include <libp11.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

struct Run {
  int rc;
  std::string out;
};

Run Sh(const std::string& cmd) {
  std::string full = cmd + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Writes data to path, created with mode (the umask cannot widen it).
void WriteFile(const std::string& path, const std::string& data, unsigned mode) {
  std::filesystem::remove(path);
  {
    std::ofstream f(path, std::ios::binary);
    REQUIRE(f.good());
    f << data;
    REQUIRE(f.good());
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

const std::string kBin = STRONGROOM_BINARY;
constexpr const char* kSoftHsm = "/usr/lib/softhsm/libsofthsm2.so";

// A temp dir with the four 0600 PIN files, a station and one release key.
struct Station {
  std::string root, dir, pins;
  Station() {
    char tmpl[] = "/tmp/sr-libp11-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    root = tmpl;
    dir = root + "/station";
    pins = root + "/pins";
    REQUIRE(::mkdir(pins.c_str(), 0700) == 0);
    for (const char* name : {"release-so", "release", "log-so", "log"})
      WriteFile(pins + "/" + name, std::string("pin-of-") + name + "\n", 0600);
    Run init = Sh(kBin + " station init --station " + dir + " --release-so-pin-source file:" +
                  pins + "/release-so --release-pin-source file:" + pins +
                  "/release --log-so-pin-source file:" + pins + "/log-so --log-pin-source file:" +
                  pins + "/log");
    REQUIRE_MESSAGE(init.rc == 0, init.out);
    Run gen = Sh(kBin + " key generate --station " + dir +
                 " --label fw --algorithm ecdsa-p256 --pin-source file:" + pins +
                 "/release --log-pin-source file:" + pins + "/log");
    REQUIRE_MESSAGE(gen.rc == 0, gen.out);
  }
  ~Station() { std::filesystem::remove_all(root); }
  // The release user PIN, read from its file (one line).
  std::string ReleasePin() const {
    std::string pin = ReadFile(pins + "/release");
    while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
    return pin;
  }
};

}  // namespace

TEST_CASE("libp11 finds the release key, signs in the token, and openssl verifies") {
  Station st;
  // The station's own SoftHSMv2 configuration (its token folder).
  REQUIRE(::setenv("SOFTHSM2_CONF", (st.dir + "/softhsm2.conf").c_str(), 1) == 0);

  PKCS11_CTX* ctx = PKCS11_CTX_new();
  REQUIRE(ctx != nullptr);
  REQUIRE(PKCS11_CTX_load(ctx, kSoftHsm) == 0);
  PKCS11_SLOT* slots = nullptr;
  unsigned int nslots = 0;
  REQUIRE(PKCS11_enumerate_slots(ctx, &slots, &nslots) == 0);
  PKCS11_SLOT* slot = nullptr;
  std::vector<std::string> tokens;
  for (unsigned int i = 0; i < nslots; ++i) {
    if (slots[i].token == nullptr || !slots[i].token->initialized) continue;
    tokens.push_back(slots[i].token->label);
    if (tokens.back() == "release") slot = &slots[i];
  }
  INFO("tokens: ", tokens.size());
  REQUIRE(slot != nullptr);
  CHECK(slot->token->loginRequired);

  {
    std::string pin = st.ReleasePin();
    REQUIRE(PKCS11_open_session(slot, 0) == 0);
    REQUIRE(PKCS11_login(slot, 0, pin.c_str()) == 0);
    OPENSSL_cleanse(pin.data(), pin.size());
  }
  PKCS11_KEY* keys = nullptr;
  unsigned int nkeys = 0;
  REQUIRE(PKCS11_enumerate_keys(slot->token, &keys, &nkeys) == 0);
  PKCS11_KEY* key = nullptr;
  std::string labels;
  for (unsigned int i = 0; i < nkeys; ++i) {
    labels += std::string(keys[i].label ? keys[i].label : "(none)") + " ";
    if (keys[i].label && std::string(keys[i].label) == "fw") key = &keys[i];
  }
  INFO("private keys on the release token: ", labels);
  REQUIRE(key != nullptr);
  CHECK(key->isPrivate);
  CHECK(PKCS11_get_key_type(key) == EVP_PKEY_EC);

  EVP_PKEY* pkey = PKCS11_get_private_key(key);
  REQUIRE(pkey != nullptr);
  // The key libp11 hands to OpenSSL is a handle: libp11 0.4.12 gives it a
  // placeholder private value (a pointer), which is not the key's: it does
  // not match the public key. The private key stays in the token.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  REQUIRE(check != nullptr);
  CHECK(EVP_PKEY_pairwise_check(check) != 1);
  EVP_PKEY_CTX_free(check);

  const std::string message = "strongroom artifact, signed through libp11\n";
  std::string file = st.root + "/artifact.txt";
  WriteFile(file, message, 0600);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  REQUIRE(md != nullptr);
  REQUIRE(EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, pkey) == 1);
  std::size_t siglen = 0;
  REQUIRE(EVP_DigestSign(md, nullptr, &siglen,
                         reinterpret_cast<const unsigned char*>(message.data()),
                         message.size()) == 1);
  std::string sig(siglen, '\0');
  REQUIRE(EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &siglen,
                         reinterpret_cast<const unsigned char*>(message.data()),
                         message.size()) == 1);
  sig.resize(siglen);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(pkey);
  PKCS11_logout(slot);
  PKCS11_release_all_slots(ctx, slots, nslots);
  PKCS11_CTX_unload(ctx);
  PKCS11_CTX_free(ctx);

  std::string sigfile = st.root + "/artifact.sig";
  WriteFile(sigfile, sig, 0600);
  std::string pem = st.dir + "/keys/fw.pem";
  Run ok = Sh("openssl dgst -sha256 -verify " + pem + " -signature " + sigfile + " " + file);
  CHECK_MESSAGE(ok.rc == 0, ok.out);
  // And a changed file is refused: the check is real.
  WriteFile(file, message + "x", 0600);
  Run bad = Sh("openssl dgst -sha256 -verify " + pem + " -signature " + sigfile + " " + file);
  CHECK(bad.rc != 0);
}
