// Owning pointers to OpenSSL objects: std::unique_ptr with a stateless
// deleter calling the object's _free function. One set of names for the whole
// project, e.g. PkeyPtr pkey(d2i_PUBKEY(...)); MdCtxPtr ctx(EVP_MD_CTX_new()).
#ifndef STRONGROOM_BASE_OPENSSL_PTR_H_
#define STRONGROOM_BASE_OPENSSL_PTR_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include <memory>

namespace sr {

// Calls Free on the pointer (OpenSSL's _free functions accept null).
template <auto Free>
struct OpensslFree {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OpensslFree<&EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslFree<&EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpensslFree<&EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpensslFree<&BIO_free>>;
using X509Ptr = std::unique_ptr<X509, OpensslFree<&X509_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpensslFree<&BN_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpensslFree<&ECDSA_SIG_free>>;
using OsslParamPtr = std::unique_ptr<OSSL_PARAM, OpensslFree<&OSSL_PARAM_free>>;
using OsslParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OpensslFree<&OSSL_PARAM_BLD_free>>;

}  // namespace sr

#endif  // STRONGROOM_BASE_OPENSSL_PTR_H_
