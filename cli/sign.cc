// `strongroom sign`: the gate-protected signing session (signing_session.h).
#include <iostream>

#include "base/file.h"
#include "policy/json.h"
#include "proto/signing.pb.h"
#include "cli/common.h"
#include "cli/json.h"
#include "station/pin_source.h"
#include "release/outputs.h"
#include "signer/output_staging.h"
#include "signer/signing_session.h"
#include "station/custody.h"
#include "station/station.h"

extern char** environ;

namespace sr::cli {
namespace {

namespace v1 = strongroom::v1;
using signer::Outcome;
using signer::ReleaseRequest;
using signer::ReleaseResult;

struct SignArgs {
  std::string station, product, version, approval, provenance, key, out, batch, resource_uri,
      session_id, vex;
  std::vector<std::string> artifacts, evidence, operators, documents;
  std::string pin_source = "prompt", log_pin_source = "prompt";
  int wait = kDefaultLockWaitSeconds;
};

std::string Resolve(const std::string& base, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return JoinPath(base, path);
}

// A product or version that can name a directory: what an artifact name may
// be (a safe file name), and at most 64 bytes.
bool SafeDirPart(const std::string& s) {
  return s.size() <= 64 && release::ValidateArtifactName(s).ok();
}

ReleaseRequest FromBatch(const v1::BatchRelease& b, const SignArgs& a, const std::string& dir) {
  ReleaseRequest r;
  r.product = b.product();
  r.version = b.version();
  for (const auto& f : b.artifacts()) r.artifact_paths.push_back(Resolve(dir, f));
  r.approval_path = Resolve(dir, b.approval());
  r.provenance_path = Resolve(dir, b.provenance());
  for (const auto& f : b.evidence()) r.evidence_paths.push_back(Resolve(dir, f));
  r.key = b.key().empty() ? a.key : b.key();
  r.resource_uri = b.resource_uri();
  r.vex_path = Resolve(dir, b.vex());
  for (const auto& f : b.documents()) r.document_paths.push_back(Resolve(dir, f));
  if (!b.out().empty()) {
    r.out_dir = Resolve(dir, b.out());
  } else if (!a.out.empty() && SafeDirPart(r.product) && SafeDirPart(r.version)) {
    r.out_dir = JoinPath(a.out, r.product + "-" + r.version);
  } else if (!a.out.empty()) {
    r.invalid.push_back({policy::Reason::kRequestMalformed, "request",
                         "product \"" + r.product.substr(0, 64) + "\" and version \"" +
                             r.version.substr(0, 64) +
                             "\" do not make a directory name under --out (up to 64 letters, "
                             "digits and . _ + -, not starting with . or -); give the batch "
                             "entry an \"out\""});
  }
  return r;
}

// The releases of this session: one from the flags, or each entry of --batch.
// A batch file that cannot be read or parsed becomes one refused request.
std::vector<ReleaseRequest> Requests(const SignArgs& a) {
  if (a.batch.empty()) {
    ReleaseRequest r{a.product,  a.version, a.artifacts, a.approval,     a.provenance,
                     a.evidence, a.key,     a.out,       a.resource_uri, {},
                     Code::kOk,  a.vex,     a.documents};
    return {r};
  }
  auto text = ReadFile(a.batch, policy::kMaxDocumentBytes);
  v1::SigningBatch batch;
  policy::Failure bad{policy::Reason::kInputBadJson, "batch", ""};
  Code mistake = Code::kOk;
  if (!text.ok()) {
    bad = signer::UnreadableInput("batch", a.batch, text.status(), policy::kMaxDocumentBytes);
    if (bad.reason == policy::Reason::kInputMissing) mistake = Code::kNotFound;
  } else if (auto ok = policy::ParseJsonMessage(*text, &batch, "batch"); !ok.ok()) {
    bad = ok.failure();
  } else if (batch.releases_size() == 0) {
    bad = {policy::Reason::kInputMissingField, "batch", a.batch + " lists no releases"};
  } else {
    std::vector<ReleaseRequest> out;
    for (const auto& b : batch.releases()) out.push_back(FromBatch(b, a, DirName(a.batch)));
    return out;
  }
  ReleaseRequest r;
  r.invalid.push_back(bad);
  r.mistake = mistake;
  return {r};
}

std::string OutcomeName(Outcome o) {
  return o == Outcome::kSigned ? "signed" : o == Outcome::kRefused ? "refused" : "failed";
}

void PrintResultsJson(const std::vector<ReleaseResult>& rs, bool ok) {
  Json releases = Json::array();
  for (const ReleaseResult& r : rs) {
    Json j = {{"product", r.product}, {"version", r.version}, {"outcome", OutcomeName(r.outcome)}};
    if (r.logged) j["event_index"] = r.event_index;
    j["logged"] = r.logged;
    if (r.outcome == Outcome::kSigned) {
      j["out_dir"] = r.out_dir;
      j["files"] = r.files;
    }
    if (!r.failures.empty()) {
      Json reasons = Json::array();
      for (const auto& f : r.failures)
        reasons.push_back(
            {{"reason", policy::ReasonName(f.reason)}, {"input", f.input}, {"message", f.message}});
      j["reasons"] = std::move(reasons);
    }
    if (r.outcome == Outcome::kFailed)
      j["error"] = {{"code", CodeName(r.error.code())}, {"message", r.error.message()}};
    releases.push_back(std::move(j));
  }
  PrintJson({{"ok", ok}, {"releases", std::move(releases)}});
}

void PrintHuman(const std::vector<ReleaseResult>& rs) {
  for (const ReleaseResult& r : rs) {
    std::string what = r.product + " " + r.version;
    std::string ev = r.logged ? " (log event " + std::to_string(r.event_index) + ")" : "";
    if (r.outcome == Outcome::kSigned) {
      std::cout << "SIGNED " << what << ev << ": " << r.files.size() << " files in " << r.out_dir
                << "\n";
      continue;
    }
    if (r.outcome == Outcome::kRefused) {
      std::cerr << "strongroom: REFUSED " << what << ev << ":\n";
      for (const auto& f : r.failures) std::cerr << "  " << policy::FormatFailure(f) << "\n";
      continue;
    }
    std::cerr << "strongroom: FAILED " << what << ev << ": " << r.error.message() << "\n";
    // A refusal whose REFUSAL event could not be appended (a full disk):
    // its reasons, and that no record of it exists.
    for (const auto& f : r.failures) std::cerr << "  refused: " << policy::FormatFailure(f) << "\n";
    if (!r.logged)
      std::cerr << (r.failures.empty() ? "  (this failure could not be written to the log)\n"
                                       : "  (this refusal could not be recorded: the log could "
                                         "not be written)\n");
  }
}

// A station failure's code first; then a mistake in a request (4: an unknown
// key label or a missing file, 11: a non-empty --out), so that a script can
// tell a typo from a refusal of the gate; then 1 for any refusal.
int ExitFor(const std::vector<ReleaseResult>& rs) {
  int code = kExitOk;
  for (const ReleaseResult& r : rs) {
    if (r.outcome == Outcome::kFailed) return ExitCodeFor(r.error);
  }
  for (const ReleaseResult& r : rs) {
    if (r.outcome != Outcome::kRefused) continue;
    if (r.mistake != Code::kOk) return ExitCodeFor(Status(r.mistake, ""));
    code = kExitRefused;
  }
  return code;
}

int RunSign(Context& ctx, const SignArgs& a) {
  if (Status s = RefusePinsInEnvironment(environ); !s.ok()) return ReportError(ctx, s);
  if (a.batch.empty() && (a.product.empty() || a.version.empty()))
    return ReportError(ctx, InvalidArgument("give --product and --version (or --batch FILE)"));
  auto rel = ParsePinSource(a.pin_source, "release token user PIN", PinTarget{a.station});
  if (!rel.ok()) return ReportError(ctx, rel.status().Annotate("--pin-source"));
  auto logsrc = ParsePinSource(a.log_pin_source, "log token user PIN");
  if (!logsrc.ok()) return ReportError(ctx, logsrc.status().Annotate("--log-pin-source"));
  // The artifacts are hashed on a second thread from here on, while the
  // station is opened and the HSM comes up (artifact_prehash.h).
  std::vector<signer::ReleaseRequest> requests = Requests(a);
  std::vector<std::string> artifacts;
  for (const signer::ReleaseRequest& r : requests)
    artifacts.insert(artifacts.end(), r.artifact_paths.begin(), r.artifact_paths.end());
  signer::ArtifactPrehash prehash(artifacts);
  // Two sign processes on one station run one after the other (--wait).
  auto station = Station::Open(a.station, StationLockOptions::Take("sign", a.wait));
  if (!station.ok()) return ReportError(ctx, station.status());
  auto release_pin = (*rel)->ReadPin();
  if (!release_pin.ok() && custody::IsShareRefusal(**rel, release_pin.status())) {
    // Refused custodian shares are an event of the station: logged.
    auto log_pin = (*logsrc)->ReadPin();
    if (!log_pin.ok()) return ReportError(ctx, release_pin.status());
    auto logged = custody::LogShareRefusal(**station, *log_pin, "sign", release_pin.status(),
                                           a.operators);
    const Status& why = release_pin.status();
    return ReportError(ctx, logged.ok() ? Status(why.code(), why.message() + " (logged as event " +
                                                                 std::to_string(*logged) + ")")
                                        : why);
  }
  if (!release_pin.ok()) return ReportError(ctx, release_pin.status());
  auto log_pin = (*logsrc)->ReadPin();
  if (!log_pin.ok()) return ReportError(ctx, log_pin.status());
  signer::SessionOptions o;
  o.operators = a.operators;
  o.session_id = a.session_id;
  o.pin_share_fingerprints = (*rel)->ShareFingerprints();
  o.at = signer::CrashPointsFromEnvironment();
  o.prehash = &prehash;
  auto results = signer::SignReleases(**station, *log_pin, *release_pin, requests, o);
  if (!results.ok())
    return ReportError(ctx, NoteFullDisk(a.station, results.status().Annotate("sign")));
  for (signer::ReleaseResult& r : *results)
    if (r.outcome == Outcome::kFailed) r.error = NoteFullDisk(a.station, r.error);
  int code = ExitFor(*results);
  if (ctx.json) {
    PrintResultsJson(*results, code == kExitOk);
  } else {
    PrintHuman(*results);
  }
  return code;
}

}  // namespace

void RegisterSignCommands(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SignArgs>();
  CLI::App* c = app.add_subcommand(
      "sign",
      "Sign a release, only if the station's trust policy allows it. The gate checks the\n"
      "release approval (M-of-N approvers, bound to these artifacts), the build provenance\n"
      "(trusted builder, same digests), the required test evidence per configuration in\n"
      "scope, the OpenVEX statement when the policy requires one (--vex: each vulnerability\n"
      "the approval names fixed or not_affected in this version), the documents the approval\n"
      "binds (--document, each by SHA-256), the key's authorization and the log (no rollback,\n"
      "no reuse of a version), and refuses a station clock behind the log's latest event by\n"
      "more than 300 s (CLOCK_BEHIND_LOG: a clock set back must not revive an expired approval).\n"
      "A refusal lists every failed check, is logged, and exits 1; a mistake in the request\n"
      "is refused and logged too but exits 4 (unknown --key label, an input file that does\n"
      "not exist) or 11 (--out not empty). When allowed, the HSM\n"
      "signs each artifact, the update manifest and the VSA; the signing event is made\n"
      "durable in the log and only then are the outputs written (manifest.dsse.json,\n"
      "<artifact>.sig, signing-event.tlog-proof, vsa.dsse.json, signing-key.pem,\n"
      "station-attestation.pem), all at once. Waits for another sign on the station.");
  AddStationOption(c, a->station)->required();
  c->add_option("--product", a->product, "Product, e.g. IC-22");
  c->add_option("--version", a->version, "Release version, e.g. 5.4.3");
  c->add_option("--artifact", a->artifacts, "An artifact to sign (repeat); its file name names it");
  c->add_option("--approval", a->approval, "Release approval envelope (DSSE)");
  c->add_option("--provenance", a->provenance,
                "Build provenance envelope (DSSE, or a Sigstore bundle holding one)");
  c->add_option("--evidence", a->evidence, "Test-result attestation envelope (repeat)");
  c->add_option(
      "--vex", a->vex,
      "OpenVEX affected-version analysis (DSSE envelope of an in-toto Statement) signed\n"
      "by a product-security key of the policy (docs/policy.md, \"Vulnerability records\")");
  c->add_option("--document", a->documents,
                "A document the approval binds by digest, e.g. the rollback conditions (repeat;\n"
                "every bound document must be presented)");
  c->add_option("--key", a->key, "Signing key in the release token: label or PKCS#11 URI");
  c->add_option("--out", a->out,
                "Output directory (must not exist or be empty); with --batch, the parent of\n"
                "one <product>-<version> directory per release");
  c->add_option("--batch", a->batch,
                "JSON file listing several releases for one session (docs/formats.md)");
  c->add_option("--resource-uri", a->resource_uri,
                "resourceUri of the VSA (default pkg:generic/<product>@<version>)");
  AddOperatorOption(c, a->operators);
  c->add_option("--session-id", a->session_id, "Ceremony or session id recorded in the events");
  AddPinSourceOption(c, a->pin_source);
  AddLogPinSourceOption(c, a->log_pin_source);
  AddWaitOption(c, a->wait);
  c->callback([&ctx, a] { ctx.exit_code = RunSign(ctx, *a); });
}

}  // namespace sr::cli
