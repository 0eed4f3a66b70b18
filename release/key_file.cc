#include "release/key_file.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/file.h"
#include "base/hash.h"
#include "base/openssl_ptr.h"

namespace sr::release {
namespace {
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;
}

Result<std::unique_ptr<KeyFileSigner>> KeyFileSigner::FromFile(std::string_view path) {
  SR_ASSIGN_OR_RETURN(UniqueFd fd, OpenReadOnly(path));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoError("stat", path, errno);
  if (!S_ISREG(st.st_mode)) return InvalidArgument(std::string(path) + ": not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxKeyFileBytes)
    return InvalidArgument(std::string(path) + ": larger than 64 KiB, not a private key file");
  SecretBytes buf(static_cast<std::size_t>(st.st_size));
  if (!buf.empty()) {
    SR_RETURN_IF_ERROR(
        ReadExactAt(fd.get(), 0, reinterpret_cast<char*>(buf.data()), buf.size(), path));
  }
  return FromPem(buf, path);
}

Result<std::unique_ptr<KeyFileSigner>> KeyFileSigner::FromPem(const SecretBytes& pem,
                                                              std::string_view what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* raw = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  ERR_clear_error();
  if (raw == nullptr)
    return InvalidArgument(std::string(what) + ": not an unencrypted PEM private key");
  std::shared_ptr<EVP_PKEY> key(raw, EVP_PKEY_free);
  auto pub = policy::PublicKey::FromEvp(raw);
  if (!pub.ok()) return pub.status().Annotate(what);
  return std::unique_ptr<KeyFileSigner>(new KeyFileSigner(std::move(key), std::move(pub).value()));
}

Result<std::string> KeyFileSigner::Sign(std::string_view message) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const std::string& alg = public_.algorithm();
  const EVP_MD* md = alg == "ed25519" ? nullptr : alg == "ecdsa-p384" ? Sha384Md() : Sha256Md();
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key_.get()) != 1)
    return Internal("cannot initialize signing with the " + alg + " key");
  if (alg == "rsa-pss" && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    return Internal("cannot set RSA-PSS padding");
  std::size_t len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(message.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data, message.size()) != 1)
    return Internal("signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data,
                     message.size()) != 1)
    return Internal("signing failed");
  sig.resize(len);
  return sig;
}

}  // namespace sr::release
