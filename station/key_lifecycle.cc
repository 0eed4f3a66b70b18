#include "station/key_lifecycle.h"

#include <google/protobuf/util/time_util.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/openssl_ptr.h"
#include "policy/gate.h"
#include "policy/trust_policy.h"
#include "station/log_state.h"
#include "station/station_log.h"

namespace sr {
namespace v1 = strongroom::v1;
using google::protobuf::util::TimeUtil;

namespace {

// The key and the serial of the release token that holds it.
Result<std::pair<hsm::KeyInfo, std::string>> FindInReleaseToken(Station& station,
                                                                std::string_view label) {
  SR_RETURN_IF_ERROR(hsm::ValidateKeyLabel(label));
  // With one token for both roles (--module) the station's own keys sit
  // beside the release keys: they are not release keys.
  if (label == kLogKeyLabel || label == kAttestationKeyLabel)
    return InvalidArgument("'" + std::string(label) +
                           "' is the station's own key in the log token, not a release key");
  SR_ASSIGN_OR_RETURN(auto session, station.OpenSession(TokenRole::kRelease, nullptr));
  SR_ASSIGN_OR_RETURN(std::vector<hsm::KeyInfo> keys, session->ListKeys());
  std::string labels;
  for (hsm::KeyInfo& k : keys) {
    if (k.label == label) return std::make_pair(std::move(k), session->token().serial);
    labels += (labels.empty() ? "" : ", ") + k.label;
  }
  return NotFound("no key labelled '" + std::string(label) + "' in the release token of station " +
                  station.dir() + " (its keys: " + (labels.empty() ? "none" : labels) +
                  "; `strongroom key list` shows them)");
}

}  // namespace

Result<hsm::KeyInfo> FindReleaseKey(Station& station, std::string_view label) {
  SR_ASSIGN_OR_RETURN(auto found, FindInReleaseToken(station, label));
  return std::move(found.first);
}

namespace {

Status CheckReason(const std::string& reason, bool required) {
  if (required && reason.empty())
    return InvalidArgument("give --reason: why the key is revoked (it is logged)");
  if (reason.size() > kMaxKeyEndReasonBytes)
    return InvalidArgument("--reason is longer than " + std::to_string(kMaxKeyEndReasonBytes) +
                           " bytes");
  for (unsigned char ch : reason)
    if (ch < 0x20 || ch == 0x7f)
      return InvalidArgument("--reason holds a control character; give one line of text");
  return Status::Ok();
}

// compromised_since normalized to RFC 3339 UTC; not in the future.
Result<std::string> CompromiseTime(const std::string& text) {
  if (text.empty()) return std::string();
  google::protobuf::Timestamp ts;
  if (text.size() > 64 || !TimeUtil::FromString(text, &ts))
    return InvalidArgument("--compromised-since '" + text.substr(0, 64) +
                           "' is not an RFC 3339 time (e.g. 2026-11-30T08:00:00Z)");
  if (policy::ToTimePoint(ts) > policy::Clock::now())
    return InvalidArgument("--compromised-since " + text +
                           " is in the future: give the earliest time the key may have been "
                           "misused");
  return policy::FormatTime(ts);
}

template <typename Payload>
void FillEnd(Payload* p, const hsm::KeyInfo& key, const std::string& reason,
             const std::string& now) {
  p->set_key_label(key.label);
  p->set_fingerprint(key.fingerprint_hex);
  p->set_reason(reason);
  p->set_effective_time(now);
  p->set_algorithm(std::string(hsm::AlgorithmName(key.algorithm)));
}

// A refused revoke/retire is logged like every refusal of the station: a
// REFUSAL naming the key and why (no product: it is not a signing). Returns
// `why`, with a note when the refusal itself could not be logged.
Status LogRefusal(StationLog& log, const std::string& label, const std::string& fingerprint,
                  policy::Reason reason, const char* input, const Status& why) {
  v1::Event ev;
  ev.set_kind(v1::EVENT_KIND_REFUSAL);
  v1::RefusalEvent* ref = ev.mutable_refusal();
  ref->set_key_label(label);
  ref->set_key_fingerprint(fingerprint);
  *ref->add_reasons() = policy::RefusalReasonOf({reason, input, why.message()});
  Result<std::uint64_t> logged = log.AppendAndCommit(std::move(ev));
  if (!logged.ok())
    return Status(why.code(), why.message() + " (and the refusal could not be logged: " +
                                  logged.status().message() + ")");
  return why;
}

Result<KeyEndResult> EndKey(Station& station, const SecretBytes& log_pin, const KeyEndRequest& r,
                            bool revoke) {
  SR_RETURN_IF_ERROR(CheckReason(r.reason, revoke));
  SR_ASSIGN_OR_RETURN(std::string compromised, CompromiseTime(r.compromised_since));
  SR_RETURN_IF_ERROR(hsm::ValidateKeyLabel(r.label));
  LogState state;
  SR_ASSIGN_OR_RETURN(auto log, OpenLogWithState(station, log_pin, &state));
  log->set_operators(r.operators);
  auto found = FindInReleaseToken(station, r.label);
  if (!found.ok() && found.status().code() == Code::kNotFound)
    return LogRefusal(*log, r.label, "", policy::Reason::kRequestMalformed, "request",
                      found.status());
  if (!found.ok()) return found.status();
  auto& [key, serial] = *found;
  if (const policy::EndedKey* e = state.Ended(key.fingerprint_hex)) {
    // Revoking a retired key is allowed (a retired key found compromised).
    if (e->revoked || !revoke)
      return LogRefusal(
          *log, key.label, key.fingerprint_hex,
          e->revoked ? policy::Reason::kKeyRevoked : policy::Reason::kKeyRetired, "log",
          FailedPrecondition("key '" + key.label + "' (" + key.fingerprint_hex.substr(0, 16) +
                             "...) is already " + (e->revoked ? "revoked" : "retired") +
                             " (event " + std::to_string(e->event_index) + ", " +
                             e->effective_time + ")"));
  }
  std::string now = NowRfc3339();
  v1::Event ev;
  ev.set_time(now);
  if (revoke) {
    ev.set_kind(v1::EVENT_KIND_KEY_REVOKED);
    FillEnd(ev.mutable_key_revoked(), key, r.reason, now);
    ev.mutable_key_revoked()->set_compromised_since(compromised);
    ev.mutable_key_revoked()->set_token_serial(serial);
  } else {
    ev.set_kind(v1::EVENT_KIND_KEY_RETIRED);
    FillEnd(ev.mutable_key_retired(), key, r.reason, now);
    ev.mutable_key_retired()->set_token_serial(serial);
  }
  SR_ASSIGN_OR_RETURN(std::uint64_t index, log->AppendAndCommit(std::move(ev)));
  return KeyEndResult{std::move(key), index, now, compromised};
}

// The signature AlgorithmIdentifier for key's algorithm. RSASSA-PSS needs
// explicit parameters, which OpenSSL builds only inside a signing context
// for a key it holds itself; the DER of RFC 4055's SHA-256 / MGF1-SHA-256 /
// salt 32 parameters is fixed, so it is written here.
using AlgorPtr = std::unique_ptr<X509_ALGOR, OpensslFree<&X509_ALGOR_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, OpensslFree<&ASN1_STRING_free>>;
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, OpensslFree<&ASN1_BIT_STRING_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, OpensslFree<&X509_REQ_free>>;

Result<AlgorPtr> SignatureAlgorithm(hsm::Algorithm a) {
  AlgorPtr owned(X509_ALGOR_new());
  X509_ALGOR* alg = owned.get();
  if (alg == nullptr) return Internal("out of memory");
  int ok = 0;
  switch (a) {
    case hsm::Algorithm::kEcdsaP256:
      ok = X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, nullptr);
      break;
    case hsm::Algorithm::kEcdsaP384:
      ok = X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA384), V_ASN1_UNDEF, nullptr);
      break;
    case hsm::Algorithm::kEd25519:
      ok = X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ED25519), V_ASN1_UNDEF, nullptr);
      break;
    case hsm::Algorithm::kRsaPss3072: {
      static const unsigned char kPssSha256[] = {
          0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
          0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48,
          0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
          0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20};
      Asn1StringPtr params(ASN1_STRING_new());
      if (params && ASN1_STRING_set(params.get(), kPssSha256, sizeof kPssSha256) == 1) {
        ok = X509_ALGOR_set0(alg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, params.get());
        if (ok == 1) params.release();  // alg owns it now
      }
      break;
    }
  }
  if (ok != 1) return Internal("cannot build the CSR's signature algorithm");
  return owned;
}

// Splits "/C=DE/O=Org/CN=Name" or "CN=Name,O=Org" into (field, value)
// pairs; a backslash escapes the next character.
Result<std::vector<std::pair<std::string, std::string>>> ParseSubject(std::string_view dn) {
  if (dn.empty() || dn.size() > 1024)
    return InvalidArgument(
        "--subject must be a distinguished name of 1 to 1024 bytes, e.g. "
        "\"/O=Example/CN=IC-22 release signing\"");
  char sep = dn.front() == '/' ? '/' : ',';
  if (sep == '/') dn.remove_prefix(1);
  std::vector<std::pair<std::string, std::string>> out;
  std::string part;
  auto flush = [&]() -> Status {
    auto eq = part.find('=');
    std::size_t b = part.find_first_not_of(' ');
    if (eq == std::string::npos || b == std::string::npos || b >= eq)
      return InvalidArgument("--subject: '" + part + "' is not FIELD=value (e.g. CN=Name)");
    std::string field = part.substr(b, eq - b);
    while (!field.empty() && field.back() == ' ') field.pop_back();
    out.emplace_back(field, part.substr(eq + 1));
    part.clear();
    return Status::Ok();
  };
  for (std::size_t i = 0; i < dn.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(dn[i]);
    if (ch < 0x20 || ch == 0x7f) return InvalidArgument("--subject holds a control character");
    if (dn[i] == '\\' && i + 1 < dn.size()) {
      part += dn[++i];
    } else if (dn[i] == sep) {
      SR_RETURN_IF_ERROR(flush());
    } else {
      part += dn[i];
    }
  }
  SR_RETURN_IF_ERROR(flush());
  return out;
}

// The request with subject, public key and signature algorithm, unsigned.
Result<ReqPtr> UnsignedRequest(const hsm::KeyInfo& key, std::string_view subject) {
  SR_ASSIGN_OR_RETURN(auto fields, ParseSubject(subject));
  const unsigned char* p = reinterpret_cast<const unsigned char*>(key.spki_der.data());
  PkeyPtr pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(key.spki_der.size())));
  ReqPtr req(X509_REQ_new());
  if (!pub || !req) return Internal("cannot read the public key of '" + key.label + "'");
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  for (const auto& [field, value] : fields) {
    if (X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1)
      return InvalidArgument("--subject: '" + field + "=" + value +
                             "' is not an attribute OpenSSL knows (use C, ST, L, O, OU, CN, "
                             "emailAddress, ...) or its value is too long");
  }
  if (X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_pubkey(req.get(), pub.get()) != 1)
    return Internal("cannot build the certification request");
  SR_ASSIGN_OR_RETURN(AlgorPtr alg, SignatureAlgorithm(key.algorithm));
  if (X509_REQ_set1_signature_algo(req.get(), alg.get()) != 1)
    return Internal("cannot set the CSR's signature algorithm");
  return req;
}

}  // namespace

Result<KeyEndResult> RevokeKey(Station& station, const SecretBytes& log_pin,
                               const KeyEndRequest& r) {
  return EndKey(station, log_pin, r, /*revoke=*/true);
}

Result<KeyEndResult> RetireKey(Station& station, const SecretBytes& log_pin,
                               const KeyEndRequest& r) {
  if (!r.compromised_since.empty())
    return InvalidArgument("--compromised-since is for `key revoke`: a compromised key is revoked");
  return EndKey(station, log_pin, r, /*revoke=*/false);
}

Result<std::string> KeyCsr(Station& station, const SecretBytes& pin, std::string_view label,
                           std::string_view subject) {
  SR_RETURN_IF_ERROR(hsm::ValidateKeyLabel(label));
  SR_RETURN_IF_ERROR(ParseSubject(subject).status());  // before any login
  SR_ASSIGN_OR_RETURN(auto session, station.OpenSession(TokenRole::kRelease, &pin));
  SR_ASSIGN_OR_RETURN(hsm::KeyHandle key, session->FindKey(label));
  SR_ASSIGN_OR_RETURN(ReqPtr req, UnsignedRequest(key.info, subject));
  unsigned char* tbs = nullptr;
  int len = i2d_re_X509_REQ_tbs(req.get(), &tbs);
  if (len <= 0) return Internal("cannot encode the certification request");
  std::string info(reinterpret_cast<char*>(tbs), static_cast<std::size_t>(len));
  OPENSSL_free(tbs);
  SR_ASSIGN_OR_RETURN(std::string sig, session->Sign(key, info));
  BitStringPtr bits(ASN1_BIT_STRING_new());
  if (!bits || ASN1_BIT_STRING_set(bits.get(), reinterpret_cast<unsigned char*>(sig.data()),
                                   static_cast<int>(sig.size())) != 1)
    return Internal("out of memory");
  // A signature is a whole number of bytes: no unused bits (OpenSSL's own
  // signing code sets the same flags; there is no setter for them).
  bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  X509_REQ_set0_signature(req.get(), bits.release());
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1)
    return Internal("cannot write the certification request as PEM");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace sr
