// `strongroom approve create|sign|merge|show`: release approvals. An approval
// is a DSSE envelope over an in-toto Statement v1 whose subjects are the
// artifacts (hashed here) and whose predicate is a ReleaseApproval.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <iostream>
#include <optional>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/progress.h"
#include "policy/approval.h"
#include "policy/json.h"
#include "policy/trust_policy.h"
#include "cli/common.h"
#include "cli/json.h"
#include "cli/key_set.h"
#include "station/layout.h"
#include "release/key_file.h"

namespace sr::cli {
namespace {

namespace v1 = strongroom::v1;
namespace pb = google::protobuf;

struct CreateOptions {
  std::string product, version, previous, out, approved_at, notes;
  std::vector<std::string> artifacts, sources, cohorts, configurations, exclusions, vulns, evidence,
      documents;
  unsigned expires_days = 30;
  bool force = false;
};

// "CONFIG;REASON;MITIGATION;YYYY-MM-DD"
Result<v1::Exclusion> ParseExclusion(const std::string& spec) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t semi = spec.find(';', start);
    parts.push_back(
        spec.substr(start, semi == std::string::npos ? std::string::npos : semi - start));
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  if (parts.size() != 4 || parts[0].empty() || parts[1].empty() || parts[3].empty())
    return InvalidArgument("--exclusion \"" + spec +
                           "\" must be CONFIG;REASON;MITIGATION;YYYY-MM-DD");
  v1::Exclusion x;
  x.set_configuration(parts[0]);
  x.set_reason(parts[1]);
  x.set_mitigation(parts[2]);
  x.set_follow_up_date(parts[3]);
  return x;
}

Result<v1::ReleaseApproval> BuildPredicate(const CreateOptions& o) {
  v1::ReleaseApproval a;
  a.set_product(o.product);
  a.set_version(o.version);
  a.set_previous_version(o.previous);
  for (const auto& s : o.sources) a.add_eligible_source_versions(s);
  for (const auto& c : o.cohorts) a.mutable_scope()->add_cohorts(c);
  for (const auto& c : o.configurations) a.mutable_scope()->add_configurations(c);
  for (const auto& x : o.exclusions) {
    SR_ASSIGN_OR_RETURN(*a.add_exclusions(), ParseExclusion(x));
  }
  for (const auto& v : o.vulns) a.add_vulnerabilities(v);
  for (const auto& e : o.evidence) a.add_required_evidence(e);
  if (o.approved_at.empty()) {
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(policy::Clock::now().time_since_epoch())
            .count();
    a.mutable_approved_at()->set_seconds(now);
  } else if (!pb::util::TimeUtil::FromString(o.approved_at, a.mutable_approved_at())) {
    return InvalidArgument("--approved-at \"" + o.approved_at +
                           "\" is not RFC 3339 (2026-03-09T09:00:00Z)");
  }
  a.mutable_expires()->set_seconds(a.approved_at().seconds() + 86400LL * o.expires_days);
  a.set_notes(o.notes);
  return a;
}

// SHA-256 of an artifact, with `sign`'s progress bar (base/progress.h: drawn
// only on a terminal) for files of 64 MiB or more.
Result<Sha256Digest> HashArtifact(const std::string& path) {
  std::optional<ProgressBar> bar;
  return Sha256File(path, [&](std::uint64_t done, std::uint64_t total) {
    if (total < (64u << 20)) return;
    if (!bar) bar.emplace("hashing " + BaseName(path), total);
    bar->Update(done);
  });
}

// Each --document KIND=FILE: the file's base name and SHA-256, under KIND.
Status BindDocuments(const std::vector<std::string>& specs, v1::ReleaseApproval* a) {
  for (const std::string& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return InvalidArgument("--document \"" + spec +
                             "\" must be KIND=FILE, e.g. rollback-conditions=rollback.md");
    std::string path = spec.substr(eq + 1);
    SR_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
    auto* d = a->add_documents();
    d->set_kind(spec.substr(0, eq));
    d->set_name(BaseName(path));
    d->set_sha256(Sha256Hex(bytes));
  }
  return Status::Ok();
}

int RunCreate(Context& ctx, const CreateOptions& o) {
  std::vector<policy::Artifact> arts;
  for (const auto& path : o.artifacts) {
    auto d = HashArtifact(path);
    if (!d.ok()) return ReportError(ctx, d.status());
    arts.push_back({BaseName(path), HexEncode(DigestToString(d.value()))});
  }
  auto pred = BuildPredicate(o);
  if (!pred.ok()) return ReportError(ctx, pred.status());
  if (Status s = BindDocuments(o.documents, &pred.value()); !s.ok())
    return ReportError(ctx, s.Annotate("--document"));
  policy::Envelope env{std::string(policy::kInTotoPayloadType),
                       policy::ApprovalStatementJson(arts, pred.value()),
                       {},
                       false};
  auto check = policy::ParseApproval(env, o.out);
  if (!check.ok()) return ReportError(ctx, policy::FailureToStatus(check.failure()));
  Status st = WriteFileAtomic(o.out, policy::SerializeEnvelope(env), 0644, !o.force);
  if (!st.ok()) return ReportError(ctx, st);
  if (ctx.json) {
    PrintJson({{"ok", true}, {"out", o.out}, {"subjects", arts.size()}});
  } else {
    std::cout << "wrote unsigned approval of " << o.product << " " << o.version << " ("
              << arts.size() << " artifact(s)) to " << o.out
              << "; each approver now runs `strongroom approve sign`\n";
  }
  return kExitOk;
}

Result<policy::Envelope> LoadApproval(const std::string& path) {
  SR_ASSIGN_OR_RETURN(std::string text, ReadFile(path, policy::kMaxDocumentBytes));
  auto env = policy::ParseEnvelope(text, path);
  if (!env.ok()) return policy::FailureToStatus(env.failure());
  auto a = policy::ParseApproval(env.value(), path);
  if (!a.ok()) return policy::FailureToStatus(a.failure());
  return std::move(env).value();
}

struct SignOptions {
  std::string key, in, out;
};

int RunSign(Context& ctx, const SignOptions& o) {
  auto env = LoadApproval(o.in);
  if (!env.ok()) return ReportError(ctx, env.status());
  auto signer = release::KeyFileSigner::FromFile(o.key);
  if (!signer.ok()) return ReportError(ctx, signer.status());
  Status st = policy::AddSignature(&env.value(), *signer.value());
  if (st.ok())
    st = WriteFileAtomic(o.out.empty() ? o.in : o.out, policy::SerializeEnvelope(env.value()));
  if (!st.ok()) return ReportError(ctx, st);
  if (ctx.json) {
    PrintJson({{"ok", true}, {"keyid", signer.value()->KeyId()}, {"signatures", env->signatures.size()}});
  } else {
    std::cout << "approved by " << signer.value()->KeyId() << "; " << env->signatures.size()
              << " signature(s) on the approval\n";
  }
  return kExitOk;
}

struct MergeOptions {
  std::vector<std::string> in;
  std::string out;
};

int RunMerge(Context& ctx, const MergeOptions& o) {
  auto merged = LoadApproval(o.in[0]);
  if (!merged.ok()) return ReportError(ctx, merged.status());
  for (std::size_t i = 1; i < o.in.size(); ++i) {
    auto other = LoadApproval(o.in[i]);
    if (!other.ok()) return ReportError(ctx, other.status());
    Status st = policy::MergeSignatures(&merged.value(), other.value());
    if (!st.ok()) return ReportError(ctx, st.Annotate(o.in[i]));
  }
  Status st = WriteFileAtomic(o.out, policy::SerializeEnvelope(merged.value()));
  if (!st.ok()) return ReportError(ctx, st);
  if (ctx.json) {
    PrintJson({{"ok", true}, {"signatures", merged->signatures.size()}});
  } else {
    std::cout << "merged " << o.in.size() << " approval(s): " << merged->signatures.size()
              << " signature(s) in " << o.out << "\n";
  }
  return kExitOk;
}

struct ShowOptions {
  std::string in, policy, station;
};

int RunShow(Context& ctx, const ShowOptions& o) {
  const std::string& in = o.in;
  auto env = LoadApproval(in);
  if (!env.ok()) return ReportError(ctx, env.status());
  auto a = policy::ParseApproval(env.value(), in);
  // With a policy: each signature checked against the product's approvers.
  std::optional<policy::KeySetStatus> approvers;
  std::string policy_path = !o.policy.empty()    ? o.policy
                            : !o.station.empty() ? layout::CurrentPolicy(o.station)
                                                 : std::string();
  if (!policy_path.empty()) {
    auto text = ReadFile(policy_path, policy::kMaxDocumentBytes);
    if (!text.ok()) return ReportError(ctx, text.status());
    auto lp = policy::ParsePolicy(text.value(), policy_path);
    if (!lp.ok()) return ReportError(ctx, policy::FailureToStatus(lp.failure()));
    const v1::ProductPolicy* prod = nullptr;
    for (const auto& p : lp->policy.products())
      if (p.name() == a->predicate.product()) prod = &p;
    if (prod == nullptr)
      return ReportError(ctx, InvalidArgument("policy " + policy_path + " (version " +
                                              std::to_string(lp->policy.version()) +
                                              ") has no product \"" + a->predicate.product() +
                                              "\"; it cannot name the approvers"));
    approvers = policy::CheckKeySet(env.value(), lp.value(), prod->approvers());
  }
  if (ctx.json) {
    Json j = {{"ok", true}, {"signatures", env->signatures.size()}};
    if (approvers) j["approvers"] = KeySetJson(*approvers);
    j["approval"] = MessageJson(a->predicate, /*proto_names=*/false);
    PrintJson(j);
    return kExitOk;
  }
  std::string pj;
  pb::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  (void)pb::util::MessageToJsonString(a->predicate, &pj, opts);
  std::cout << "approval of " << a->predicate.product() << " " << a->predicate.version() << ", "
            << env->signatures.size() << " signature(s)\n";
  for (const auto& s : a->statement.subjects)
    std::cout << "  subject " << s.name << " sha256 " << s.digest.at("sha256") << "\n";
  for (const auto& d : a->predicate.documents())
    std::cout << "  document " << d.kind() << ": " << d.name() << " sha256 " << d.sha256() << "\n";
  if (approvers) {
    PrintSignatures(std::cout, *approvers, "  ");
    std::cout << "  approvers of " << a->predicate.product() << ": "
              << ThresholdLine(*approvers, "approver") << "\n";
  } else {
    for (const auto& s : env->signatures)
      std::cout << "  signed, keyid " << (s.keyid.empty() ? "(none)" : s.keyid)
                << " (not checked: give --policy or --station)\n";
  }
  std::cout << pj;
  return kExitOk;
}

void RegisterCreate(CLI::App& approve, Context& ctx) {
  auto o = std::make_shared<CreateOptions>();
  auto* c = approve.add_subcommand(
      "create",
      "Write an unsigned release approval for the given artifacts (hashed now with SHA-256).\n"
      "Approvers review it and sign it with `approve sign`; the station requires the product's\n"
      "threshold of distinct approvers.");
  c->add_option("--product", o->product, "Product, e.g. IC-22")->required();
  c->add_option("--version", o->version, "Release version, e.g. 5.4.3")->required();
  c->add_option("--artifact", o->artifacts, "Artifact file approved (repeat)")->required();
  c->add_option("--out", o->out, "Approval envelope to write")->required();
  c->add_option("--previous-version", o->previous, "Version this release replaces, e.g. 5.4.2");
  c->add_option("--source-version", o->sources, "Eligible source ref or commit (repeat)");
  c->add_option("--cohort", o->cohorts, "Deployment cohort approved (repeat)");
  c->add_option("--configuration", o->configurations,
                "Configuration approved for deployment (repeat)");
  c->add_option("--exclusion", o->exclusions,
                "Excluded configuration: \"CONFIG;REASON;MITIGATION;YYYY-MM-DD\" (repeat)");
  c->add_option("--vulnerability", o->vulns,
                "Vulnerability reference addressed, e.g. VULN-2026-014 (repeat)");
  c->add_option("--required-evidence", o->evidence,
                "Test the approval relies on, e.g. recovery (repeat)");
  c->add_option("--document", o->documents,
                "Bind a document by digest: KIND=FILE, e.g. rollback-conditions=rollback.md,\n"
                "recovery-procedure=FILE, customer-notification=FILE (repeat); `sign` then\n"
                "requires each file, unchanged (--document FILE)");
  c->add_option("--approved-at", o->approved_at, "Approval time, RFC 3339 (default: now)");
  c->add_option("--expires-days", o->expires_days, "Days the approval stays valid (default 30)");
  c->add_option("--notes", o->notes, "Free text for the record");
  c->add_flag("--force", o->force, "Overwrite --out if it exists");
  c->callback([&ctx, o] { ctx.exit_code = RunCreate(ctx, *o); });
}

}  // namespace

void RegisterApproveCommands(CLI::App& app, Context& ctx) {
  auto* approve = app.add_subcommand(
      "approve",
      "Create a release approval, sign it as an approver, and merge approvers' signatures.");
  approve->require_subcommand(1);
  RegisterCreate(*approve, ctx);
  auto so = std::make_shared<SignOptions>();
  auto* s = approve->add_subcommand(
      "sign",
      "Add your approval signature (PEM private key; PKCS#11 later). Review `approve show` first.");
  s->add_option("--key", so->key, "Your PEM private-key file")->required();
  s->add_option("--in", so->in, "Approval envelope")->required();
  s->add_option("--out", so->out, "Envelope to write (default: replace --in)");
  s->callback([&ctx, so] { ctx.exit_code = RunSign(ctx, *so); });
  auto mo = std::make_shared<MergeOptions>();
  auto* m = approve->add_subcommand(
      "merge",
      "Merge the signatures of copies of one approval signed separately by different approvers.");
  m->add_option("--in", mo->in, "Signed copy of the approval (repeat)")->required();
  m->add_option("--out", mo->out, "Merged envelope to write")->required();
  m->callback([&ctx, mo] { ctx.exit_code = RunMerge(ctx, *mo); });
  auto sho = std::make_shared<ShowOptions>();
  auto* sh = approve->add_subcommand(
      "show",
      "Print an approval: subjects, signatures and every predicate field. With --policy (or\n"
      "--station: its current policy), check each signature against the policy's approvers of\n"
      "the approval's product, name them (valid / invalid / unknown key), and say whether the\n"
      "approval threshold is met and who else may sign.");
  sh->add_option("--in", sho->in, "Approval envelope")->required();
  sh->add_option("--policy", sho->policy, "Signed policy envelope naming the approvers");
  AddStationOption(sh, sho->station);
  sh->callback([&ctx, sho] { ctx.exit_code = RunShow(ctx, *sho); });
}

}  // namespace sr::cli
