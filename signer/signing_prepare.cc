// Preparing one release of a signing session: checks the request, reads and
// hashes what was presented, and asks the gate.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/progress.h"
#include "policy/approval.h"
#include "policy/json.h"
#include "release/outputs.h"
#include "signer/output_staging.h"
#include "signer/signing_internal.h"

namespace sr::signer {
namespace {

// Whether path (not followed) is there and is a FIFO, device, socket or
// directory: what OpenReadOnly refuses by kind, without waiting on it.
bool NotRegular(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return false;
  return S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ||
         S_ISSOCK(st.st_mode) || S_ISDIR(st.st_mode);
}

}  // namespace

policy::Failure UnreadableInput(const std::string& role, const std::string& path,
                                const Status& error, std::uint64_t limit) {
  using policy::Reason;
  if (error.code() == Code::kNotFound)
    return {Reason::kInputMissing, role, "cannot read " + path + ": " + error.message()};
  if (NotRegular(path)) return {Reason::kInputNotRegularFile, role, error.message()};
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_size) > limit)
    return {Reason::kInputTooLarge, role,
            path + " is " + std::to_string(st.st_size) + " bytes, above the limit of " +
                std::to_string(limit >> 20) + " MiB (" + std::to_string(limit) +
                " bytes) for this input; check it is the right file"};
  return {Reason::kInputBadField, role, "cannot read " + path + ": " + error.message()};
}

}  // namespace sr::signer

namespace sr::signer::internal {
namespace {

using policy::Failure;
using policy::Reason;

void Malformed(Prepared& p, std::string message, Code mistake = Code::kOk) {
  p.failures.push_back(Failure{Reason::kRequestMalformed, "request", std::move(message)});
  if (p.mistake == Code::kOk) p.mistake = mistake;
}

// Reads one document input. An empty path means "not presented" (the gate
// reports INPUT_MISSING); a path that cannot be read, or an empty file, is
// reported here.
void ReadInput(Prepared& p, const std::string& role, const std::string& path) {
  if (path.empty()) return;
  auto bytes = ReadFile(path, policy::kMaxDocumentBytes);
  if (!bytes.ok()) {
    Failure f = UnreadableInput(role, path, bytes.status(), policy::kMaxDocumentBytes);
    if (f.reason == Reason::kInputMissing && p.mistake == Code::kOk) p.mistake = Code::kNotFound;
    p.failures.push_back(std::move(f));
    return;
  }
  if (bytes->empty()) {
    // Presented, but empty: not the same as no file at all.
    p.failures.push_back(Failure{Reason::kInputBadJson, role,
                                 path + " is empty (0 bytes); expected a DSSE envelope or a "
                                        "Sigstore bundle (JSON): check it is the right file"});
  }
  p.inputs.push_back({role, BaseName(path), std::move(bytes).value()});
}

// Reads one document the approval binds (any bytes, even none), bounded
// like every input.
void ReadDocument(Prepared& p, const std::string& role, const std::string& path) {
  auto bytes = ReadFile(path, kMaxInputFileBytes);
  if (!bytes.ok()) {
    Failure f = UnreadableInput(role, path, bytes.status(), kMaxInputFileBytes);
    if (f.reason == Reason::kInputMissing && p.mistake == Code::kOk) p.mistake = Code::kNotFound;
    p.failures.push_back(std::move(f));
    return;
  }
  p.inputs.push_back({role, BaseName(path), std::move(bytes).value()});
}

void CheckNames(Prepared& p) {
  const ReleaseRequest& r = *p.request;
  if (r.artifact_paths.empty()) Malformed(p, "no artifact given (--artifact FILE)");
  std::set<std::string> names;
  for (const std::string& path : r.artifact_paths) {
    std::string name = BaseName(path);
    if (Status s = release::ValidateArtifactName(name); !s.ok()) Malformed(p, s.message());
    if (!names.insert(name).second)
      Malformed(p, "two artifacts are named '" + name +
                       "'; artifact file names must be unique (they name the signature files)");
  }
  if (p.out_dir.empty()) {
    Malformed(p, "no output directory given (--out DIR)");
  } else if (Status s = CheckOutputDirFree(p.out_dir); !s.ok()) {
    Malformed(p, s.message(), s.code() == Code::kAlreadyExists ? Code::kAlreadyExists : Code::kOk);
  }
}

void FindKey(SessionContext& ctx, Prepared& p) {
  const std::string& spec = p.request->key;
  if (spec.empty()) return Malformed(p, "no signing key given (--key LABEL or PKCS#11 URI)");
  auto it = ctx.keys.find(spec);
  if (it == ctx.keys.end()) {
    auto k = ctx.release.FindKey(spec);
    if (!k.ok()) {
      std::string msg = k.status().message();
      if (k.status().code() == Code::kNotFound) {
        // Most often a typo: name what the token holds.
        std::string labels;
        if (auto keys = ctx.release.ListKeys(); keys.ok()) {
          std::set<std::string> seen;
          for (const hsm::KeyInfo& i : *keys)
            if (seen.insert(i.label).second) labels += (labels.empty() ? "" : ", ") + i.label;
        }
        msg += labels.empty() ? "; the release token holds no key"
                              : "; the release token holds the key labels: " + labels;
      }
      return Malformed(p, msg, k.status().code() == Code::kNotFound ? Code::kNotFound : Code::kOk);
    }
    it = ctx.keys.emplace(spec, std::move(k).value()).first;
  }
  p.key = &it->second;
}

// Hashes one artifact (or reads it whole, for an Ed25519 key), or takes its
// SHA-256 from the session's prehash. progress: draw a progress bar for a
// large file (only on the serial path).
Result<HashedArtifact> HashOne(const std::string& path, bool ed25519, bool sha384, bool progress,
                               ArtifactPrehash* prehash) {
  HashedArtifact a{BaseName(path), path, {}, {}, {}};
  if (prehash != nullptr && !ed25519 && !sha384) {
    if (std::optional<Result<FileDigests>> d = prehash->Take(path)) {
      if (!d->ok())
        return Status(d->status().code(), "artifact " + path + ": " + d->status().message());
      a.sha256 = std::move((*d)->sha256);
      return a;
    }
  }
  if (ed25519) {
    auto bytes = ReadFile(path, kMaxEd25519ArtifactBytes);
    if (!bytes.ok())
      return Status(bytes.status().code(), "artifact " + path + ": " + bytes.status().message() +
                             " (Ed25519 keys sign whole files, at most " +
                             std::to_string(kMaxEd25519ArtifactBytes >> 20) +
                             " MiB; use an ECDSA or RSA key for larger artifacts)");
    a.bytes = std::move(bytes).value();
    a.sha256 = Sha256Bytes(a.bytes);
    return a;
  }
  std::optional<ProgressBar> bar;  // drawn on a terminal, for large files
  auto d = HashFile(path, sha384, [&](std::uint64_t done, std::uint64_t total) {
    if (!progress || total < (64u << 20)) return;
    if (!bar) bar.emplace("hashing " + a.name, total);
    bar->Update(done);
  });
  if (!d.ok()) return Status(d.status().code(), "artifact " + path + ": " + d.status().message());
  a.sha256 = std::move(d->sha256);
  a.sha384 = std::move(d->sha384);
  return a;
}

// Every artifact is read exactly once. Without a key (refused anyway) the
// digests are still taken: the refusal event records what was presented.
// Many artifacts are hashed on all cores (each thread with its own bounded
// buffer); a few, possibly large ones, in turn with a progress bar.
void HashArtifacts(Prepared& p, ArtifactPrehash* prehash) {
  bool ed25519 = p.key && p.key->info.algorithm == hsm::Algorithm::kEd25519;
  bool sha384 = p.key && p.key->info.algorithm == hsm::Algorithm::kEcdsaP384;
  const std::vector<std::string>& paths = p.request->artifact_paths;
  std::vector<std::optional<Result<HashedArtifact>>> out(paths.size());
  unsigned threads =
      paths.size() < 8 || ed25519 ? 1 : std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  auto work = [&](unsigned t) {
    for (std::size_t i = t; i < paths.size(); i += threads)
      out[i] = HashOne(paths[i], ed25519, sha384, threads == 1, prehash);
  };
  {
    // jthreads: if starting one or work(0) throws, those started are joined
    // (a joinable std::thread destroyed would std::terminate).
    std::vector<std::jthread> pool;
    pool.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto& r = out[i];
    if (!r->ok()) {
      // A FIFO, device or directory is refused by kind (never read, so no
      // wait); a file that does not exist is a mistake in the request.
      if (NotRegular(paths[i])) {
        p.failures.push_back(
            Failure{Reason::kInputNotRegularFile, "artifact", r->status().message()});
      } else {
        Malformed(p, r->status().message(),
                  r->status().code() == Code::kNotFound ? Code::kNotFound : Code::kOk);
      }
      continue;
    }
    p.artifacts.push_back(std::move(**r));
  }
}

// An artifact whose file name differs from the approval's subject with the
// same SHA-256 is named after the subject: its outputs and manifest subject
// carry the approved name (`verify` matches files by digest). Said on stderr.
void NameAfterApproval(Prepared& p, const policy::ApprovalInput& approval) {
  if (!approval.approval.ok()) return;  // the gate names the problem
  const policy::Approval* a = &approval.approval.value();
  // Each SHA-256 to the name of the last subject carrying it: one look-up
  // per artifact, not a scan of every subject (a release of a thousand
  // artifacts has a thousand subjects).
  std::unordered_map<std::string_view, std::string_view> subject_of;
  subject_of.reserve(a->statement.subjects.size());
  for (const policy::Subject& s : a->statement.subjects) {
    auto d = s.digest.find("sha256");
    if (d != s.digest.end()) subject_of[d->second] = s.name;
  }
  std::set<std::string> names;
  for (const HashedArtifact& h : p.artifacts) names.insert(h.name);
  for (HashedArtifact& h : p.artifacts) {
    auto found = subject_of.find(HexEncode(h.sha256));
    if (found == subject_of.end()) continue;
    std::string subject(found->second);
    if (subject.empty() || subject == h.name || names.count(subject) ||
        !release::ValidateArtifactName(subject).ok())
      continue;
    std::fprintf(stderr,
                 "strongroom: artifact %s has the SHA-256 of the approved subject %s; its "
                 "outputs are named %s\n",
                 h.path.c_str(), subject.c_str(), subject.c_str());
    names.erase(h.name);
    names.insert(subject);
    h.name = subject;
  }
}

}  // namespace

std::vector<policy::Artifact> Prepared::ArtifactList() const {
  std::vector<policy::Artifact> out;
  for (const HashedArtifact& a : artifacts) out.push_back({a.name, HexEncode(a.sha256)});
  return out;
}

Prepared Prepare(SessionContext& ctx, const ReleaseRequest& request) {
  Prepared p;
  p.request = &request;
  p.out_dir = request.out_dir;
  p.now = NowRfc3339();
  if (!ctx.policy_bytes.empty()) p.inputs.push_back({"policy", "current.json", ctx.policy_bytes});
  if (!request.invalid.empty()) {
    p.failures = request.invalid;
    p.mistake = request.mistake;
    return p;
  }
  CheckNames(p);
  FindKey(ctx, p);
  ReadInput(p, "approval", request.approval_path);
  ReadInput(p, "provenance", request.provenance_path);
  for (std::size_t i = 0; i < request.evidence_paths.size(); ++i)
    ReadInput(p, "evidence[" + std::to_string(i) + "]", request.evidence_paths[i]);
  ReadInput(p, "vex", request.vex_path);
  for (std::size_t i = 0; i < request.document_paths.size() && i <= policy::kMaxDocuments; ++i)
    ReadDocument(p, "document[" + std::to_string(i) + "]", request.document_paths[i]);
  HashArtifacts(p, ctx.prehash);
  // The approval is parsed once, here: for the names, then by the gate
  // (GateInputs::parsed_approval). A release of a thousand artifacts has a
  // thousand subjects, and parsing them is not free.
  std::string_view approval_bytes;
  for (const PresentedFile& f : p.inputs)
    if (f.role == "approval") approval_bytes = f.bytes;
  const policy::ApprovalInput approval = policy::ParseApprovalInput(approval_bytes);
  NameAfterApproval(p, approval);
  // Without the key or every artifact's digest the gate cannot judge the
  // release; otherwise it runs even after a request problem, so that the
  // refusal lists every reason (e.g. a taken output directory AND a version
  // already signed).
  if (p.key == nullptr || p.artifacts.size() != request.artifact_paths.size() ||
      request.artifact_paths.empty())
    return p;
  std::vector<policy::Failure> request_failures = std::move(p.failures);
  std::set<std::string> unread;  // inputs whose file could not be read (already named)
  bool document_unread = false;
  for (const policy::Failure& f : request_failures) {
    if (f.input != "request") unread.insert(f.input);
    if (f.input.starts_with("document[")) document_unread = true;
  }
  // A document that could not be read is named already; the gate would
  // also call it missing.
  if (document_unread) unread.insert("documents");

  policy::SigningRequest req;
  req.product = request.product;
  req.version = request.version;
  req.artifacts = p.ArtifactList();
  req.key_fingerprint = p.key->info.fingerprint_hex;
  policy::GateInputs in;
  in.policy = ctx.policy_bytes;
  if (ctx.policy) in.parsed_policy = &*ctx.policy;
  in.parsed_approval = &approval;
  in.trusted_root = ctx.trusted_root;
  // Evidence keeps its position (an unreadable file stays as ""), so the
  // gate's evidence[i] is the file given i-th.
  in.evidence.resize(request.evidence_paths.size());
  for (const PresentedFile& f : p.inputs) {
    if (f.role == "approval") in.approval = f.bytes;
    if (f.role == "provenance") in.provenance = f.bytes;
    if (f.role.starts_with("evidence[")) in.evidence[std::stoul(f.role.substr(9))] = f.bytes;
    if (f.role == "vex") in.vex = f.bytes;
    if (f.role.starts_with("document[")) in.documents.push_back({f.name, Sha256Hex(f.bytes)});
  }
  auto facts = ctx.state.FactsFor(request.product, request.version, req.key_fingerprint);
  p.failures = std::move(request_failures);
  if (!facts.ok()) {
    // The product's versions file does not match the signed facts index
    // (station/facts_index.h): nothing is judged on facts that may be false.
    p.failures.push_back(policy::Failure{
        policy::Reason::kLogIndexInvalid, "log",
        facts.status().message() + "; nothing was judged. Run `strongroom log verify --station " +
            ctx.station.dir() +
            "` (the full check of every event); if the log is intact, "
            "`strongroom log reindex --station " +
            ctx.station.dir() + "` rebuilds the index from the events"});
    p.mistake = Code::kOk;
    return p;
  }
  p.previous_signed = facts->last_signed_version.value_or("");
  p.decision = policy::Evaluate(req, in, *facts, policy::Clock::now());
  // A file that could not be read was already named; the gate only saw it
  // missing (or empty).
  std::size_t request_only = p.failures.size();
  for (const policy::Failure& f : p.decision.failures)
    if (!unread.count(f.input)) p.failures.push_back(f);
  // The gate refuses on its own too: that, not the typo, decides the exit code.
  if (p.failures.size() > request_only) p.mistake = Code::kOk;
  return p;
}

}  // namespace sr::signer::internal
