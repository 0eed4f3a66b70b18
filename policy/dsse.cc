#include "policy/dsse.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/hash.h"
#include "policy/json.h"
#include "policy/signature_memo.h"

namespace sr::policy {
namespace pb = google::protobuf;

std::string PreAuthEncoding(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

namespace {

Checked<Envelope> FromObject(const pb::Struct& obj, std::string_view input, std::string_view path) {
  Envelope env;
  auto type = RequiredString(obj, "payloadType", input, path);
  if (!type.ok()) return type.failure();
  env.payload_type = type.value();
  auto payload = RequiredBase64(obj, "payload", input, path);
  if (!payload.ok()) return payload.failure();
  env.payload = std::move(payload).value();
  const pb::Value* sigs = FindField(obj, "signatures");
  std::string where = std::string(path) + ".signatures";
  if (sigs == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field " + where);
  if (sigs->kind_case() != pb::Value::kListValue)
    return MakeFailure(Reason::kInputBadField, input, where + " must be an array");
  if (static_cast<std::size_t>(sigs->list_value().values_size()) > kMaxSignatures) {
    return MakeFailure(Reason::kInputTooLarge, input,
                       where + " has more than " + std::to_string(kMaxSignatures) + " entries");
  }
  int i = 0;
  for (const pb::Value& s : sigs->list_value().values()) {
    std::string at = where + "[" + std::to_string(i++) + "]";
    if (s.kind_case() != pb::Value::kStructValue)
      return MakeFailure(Reason::kInputBadField, input, at + " must be an object");
    DsseSignature sig;
    auto keyid = OptionalString(s.struct_value(), "keyid", input, at);
    if (!keyid.ok()) return keyid.failure();
    sig.keyid = keyid.value();
    auto raw = RequiredBase64(s.struct_value(), "sig", input, at);
    if (!raw.ok()) return raw.failure();
    sig.sig = std::move(raw).value();
    if (s.struct_value().fields().count("cert")) env.has_certificate = true;
    env.signatures.push_back(std::move(sig));
  }
  return env;
}

}  // namespace

Checked<Envelope> ParseEnvelope(std::string_view text, std::string_view input) {
  // A .intoto.jsonl file may end with a newline; one document only.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto obj = ParseJsonObject(text, input);
  if (!obj.ok()) return obj.failure();
  auto bundle = OptionalObject(obj.value(), "dsseEnvelope", input, "");
  if (!bundle.ok()) return bundle.failure();
  if (bundle.value() != nullptr) {
    auto media = OptionalString(obj.value(), "mediaType", input, "");
    if (!media.ok()) return media.failure();
    if (!media.value().starts_with("application/vnd.dev.sigstore.bundle")) {
      return MakeFailure(
          Reason::kInputBadField, input,
          "mediaType \"" + media.value().substr(0, 80) + "\" is not a Sigstore bundle media type");
    }
    auto env = FromObject(*bundle.value(), input, "dsseEnvelope");
    if (env.ok()) {
      env->from_sigstore_bundle = true;
      auto vm = obj.value().fields().find("verificationMaterial");
      if (vm != obj.value().fields().end() && vm->second.has_struct_value()) {
        const auto& f = vm->second.struct_value().fields();
        if (f.count("certificate") || f.count("x509CertificateChain")) env->has_certificate = true;
      }
    }
    return env;
  }
  return FromObject(obj.value(), input, "envelope");
}

std::string SerializeEnvelope(const Envelope& env) {
  // Appended into one buffer: the payload of a release of a thousand
  // artifacts is hundreds of kilobytes, not to be copied once per `+`.
  std::string payload = Base64Encode(env.payload);
  std::string out;
  out.reserve(payload.size() + env.payload_type.size() + 128 + env.signatures.size() * 720);
  out += "{\n  \"payloadType\": \"";
  out += JsonEscape(env.payload_type);
  out += "\",\n  \"payload\": \"";
  out += payload;
  out += "\",\n  \"signatures\": [";
  for (std::size_t i = 0; i < env.signatures.size(); ++i) {
    out += i ? ",\n    {" : "\n    {";
    if (!env.signatures[i].keyid.empty())
      out += "\"keyid\": \"" + JsonEscape(env.signatures[i].keyid) + "\", ";
    out += "\"sig\": \"" + Base64Encode(env.signatures[i].sig) + "\"}";
  }
  out += env.signatures.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

Status AddSignature(Envelope* env, Signer& signer) {
  std::string pae = PreAuthEncoding(env->payload_type, env->payload);
  SR_ASSIGN_OR_RETURN(std::string sig, signer.Sign(pae));
  if (!signer.Public().Verify(pae, sig))
    return Internal("the signer produced a signature that does not verify under its public key");
  std::string keyid = signer.KeyId();
  auto& sigs = env->signatures;
  sigs.erase(std::remove_if(sigs.begin(), sigs.end(),
                            [&](const DsseSignature& s) {
                              return s.keyid == keyid || signer.Public().Verify(pae, s.sig);
                            }),
             sigs.end());
  if (sigs.size() >= kMaxSignatures)
    return InvalidArgument("the envelope already holds the maximum number of signatures");
  sigs.push_back({keyid, std::move(sig)});
  return Status::Ok();
}

Status MergeSignatures(Envelope* env, const Envelope& other) {
  if (env->payload_type != other.payload_type || env->payload != other.payload) {
    return InvalidArgument(
        "the envelopes sign different content (payloadType or payload differ); only signatures "
        "over the same bytes can be merged");
  }
  for (const DsseSignature& s : other.signatures) {
    bool dup = std::any_of(env->signatures.begin(), env->signatures.end(),
                           [&](const DsseSignature& e) { return e.sig == s.sig; });
    if (dup) continue;
    if (env->signatures.size() >= kMaxSignatures)
      return InvalidArgument("merged envelope would exceed the maximum number of signatures");
    env->signatures.push_back(s);
  }
  return Status::Ok();
}

namespace {
thread_local SignatureMemo* t_memo = nullptr;
}  // namespace

ScopedSignatureMemo::ScopedSignatureMemo(SignatureMemo* memo) : previous_(t_memo) { t_memo = memo; }
ScopedSignatureMemo::~ScopedSignatureMemo() { t_memo = previous_; }

std::string SignatureMemoKey(std::string_view pae, const Envelope& env,
                             const std::vector<PublicKey>& trusted) {
  // Length-prefixed fields, so no two different inputs frame the same bytes.
  Sha256Hasher h;
  auto field = [&](std::string_view b) {
    std::string len = std::to_string(b.size()) + ":";
    h.Update(len);
    h.Update(b);
  };
  field(pae);
  field(std::to_string(env.signatures.size()));
  for (const DsseSignature& s : env.signatures) {
    field(s.keyid);
    field(s.sig);
  }
  field(std::to_string(trusted.size()));
  for (const PublicKey& k : trusted) field(k.fingerprint());
  return DigestToString(h.Finish());
}

ThresholdResult VerifySignatures(const Envelope& env, const std::vector<PublicKey>& trusted) {
  SignatureMemo* memo = t_memo;
  ThresholdResult cached;
  if (memo != nullptr && memo->FindExact(env, trusted, &cached)) return cached;
  std::string pae = PreAuthEncoding(env.payload_type, env.payload);
  std::string key;
  if (memo != nullptr) {
    key = SignatureMemoKey(pae, env, trusted);
    if (memo->Find(key, &cached)) {
      memo->RememberExact(env, trusted, cached);
      return cached;
    }
  }
  ThresholdResult r;
  for (const DsseSignature& s : env.signatures) {
    const PublicKey* ok = nullptr;
    // The keyid narrows the search first; every key is still tried.
    for (const PublicKey& k : trusted) {
      if (k.fingerprint() == s.keyid && k.Verify(pae, s.sig)) ok = &k;
    }
    for (std::size_t i = 0; ok == nullptr && i < trusted.size(); ++i) {
      if (trusted[i].Verify(pae, s.sig)) ok = &trusted[i];
    }
    if (ok != nullptr) {
      r.accepted.insert(ok->fingerprint());
      continue;
    }
    bool named = std::any_of(trusted.begin(), trusted.end(),
                             [&](const PublicKey& k) { return k.fingerprint() == s.keyid; });
    if (named) {
      ++r.invalid;
    } else {
      ++r.unknown;
      r.unknown_keyids.push_back(s.keyid.substr(0, 80));
    }
  }
  if (memo != nullptr) {
    memo->Insert(key, r);
    memo->RememberExact(env, trusted, r);
  }
  return r;
}

}  // namespace sr::policy
