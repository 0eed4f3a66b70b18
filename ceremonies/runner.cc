#include "ceremonies/runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "ceremonies/action.h"
#include "ceremonies/approval.h"
#include "ceremonies/challenge.h"
#include "ceremonies/definition.h"
#include "ceremonies/run_log.h"
#include "policy/json.h"
#include "station/layout.h"
#include "station/log_state.h"
#include "station/pin_source.h"
#include "station/policy_store.h"
#include "station/station.h"

namespace sr::ceremonies {
namespace {

namespace v1 = strongroom::v1;
using Json = nlohmann::json;

// STATION/ceremonies/<id>/: what a resumption needs (the definition, its
// approval, the governance policy if one was given, the parameters).
std::string RunDir(const std::string& station, const std::string& id) {
  return JoinPath(JoinPath(station, "ceremonies"), id);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsRunId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  return true;
}

std::string AbsPath(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr) return p;
  return JoinPath(buf, p);
}

Result<std::string> NewRunId(const Definition& def) {
  std::string t = NowRfc3339();  // 2026-12-06T13:21:25Z
  std::string compact;
  for (char c : t)
    if (c != '-' && c != ':') compact += c;
  SR_ASSIGN_OR_RETURN(std::string nonce, NewNonce());
  return def.ceremony.name() + "-" + compact + "-" + nonce.substr(0, 8);
}

// Everything one run works with.
struct Run {
  const RunOptions& o;
  std::ostream& out;
  Definition def;
  std::string approval_text, governance_text;
  ApprovalCheck approval;
  std::string id, station_id;
  std::map<std::string, std::string> values;  // parameters, the runner's included
  std::vector<v1::Participant> present;
  std::unique_ptr<RunLog> log;
  bool resumed = false;
  bool saved = false;
};

v1::Event Refusal(const Run& r, const std::string& code, const std::string& message) {
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_REFUSAL);
  auto* ref = e.mutable_refusal();
  auto* reason = ref->add_reasons();
  reason->set_code(code);
  reason->set_message(message);
  reason->set_input("ceremony");
  auto* d = ref->add_inputs();
  d->set_role("ceremony-definition");
  d->set_name(r.def.ceremony.name());
  d->set_sha256(r.def.sha256);
  if (!r.approval_text.empty()) {
    auto* a = ref->add_inputs();
    a->set_role("ceremony-approval");
    a->set_name(r.o.approval_path);
    a->set_sha256(Sha256Hex(r.approval_text));
  }
  return e;
}

// Logs the refusal (where the station exists) and returns it as kRefused.
Status Refuse(Run& r, const std::string& code, const Status& why) {
  if (r.log && r.log->StationExists()) {
    Status st = r.log->Append({Refusal(r, code, why.message())}, r.id);
    if (!st.ok()) return st.Annotate("logging the refusal (" + why.message() + ")");
  }
  return Status(Code::kRefused, why.message() + " (" + code + ")");
}

// The governance whose threshold approves ceremonies on this station.
Result<policy::LoadedPolicy> Governance(Run& r) {
  std::optional<policy::LoadedPolicy> installed;
  if (r.log->StationExists()) {
    SR_ASSIGN_OR_RETURN(LogState state, ReadLogState(layout::LogDir(r.o.station)));
    SR_ASSIGN_OR_RETURN(installed, InstalledPolicy(r.o.station, state));
  }
  if (installed) {
    if (!r.o.governance_path.empty() && !r.resumed)
      return InvalidArgument("the station has an installed policy (version " +
                             std::to_string(installed->policy.version()) +
                             "), whose governance approves its ceremonies: leave out --governance");
    return std::move(*installed);
  }
  if (r.governance_text.empty())
    return FailedPrecondition(
        "the station has no installed policy to approve ceremonies: give --governance FILE, the "
        "signed policy envelope whose governance approved this ceremony (docs/ceremonies.md)");
  auto lp = policy::ParsePolicy(r.governance_text, "--governance policy");
  if (!lp.ok()) return policy::FailureToStatus(lp.failure());
  auto fs = policy::VerifyPolicySelf(lp.value(), policy::Clock::now());
  if (!fs.empty())
    return Status(Code::kRefused, "the --governance policy is not valid on its own: " +
                                      policy::FormatFailure(fs.front()));
  return std::move(lp).value();
}

bool IsPinSourceParam(std::string_view name) { return name.ends_with("pin_source"); }

Status CheckPinSourceValue(const std::string& name, const std::string& v) {
  if (v.starts_with("file:") || v.starts_with("fd:") || v.starts_with("shares:") || v == "prompt")
    return Status::Ok();
  return Status(Code::kPermissionDenied,
                "parameter " + name +
                    " must be a pin source spec (file:PATH, fd:N, shares:FILES or prompt), never "
                    "a PIN");
}

Status ResolveParameters(Run& r, const std::map<std::string, std::string>& given) {
  std::set<std::string> known;
  for (const auto& p : r.def.ceremony.parameters()) {
    known.insert(p.name());
    auto it = given.find(p.name());
    std::string v = it != given.end() ? it->second : p.default_value();
    if (v.empty() && !p.optional() && !p.list())
      return InvalidArgument("parameter " + p.name() + " (" + p.description() +
                             ") has no value: give --param " + p.name() + "=VALUE");
    if (IsPinSourceParam(p.name())) SR_RETURN_IF_ERROR(CheckPinSourceValue(p.name(), v));
    r.values[p.name()] = v;
  }
  for (const auto& [k, v] : given)
    if (!known.contains(k))
      return InvalidArgument("--param " + k + ": the definition has no parameter of that name");
  r.values["station"] = r.o.station;
  r.values["workdir"] = r.o.workdir;
  r.values["log_pin_source"] = r.o.log_pin_source;
  return Status::Ok();
}

std::string Prompt(Run& r, const std::string& text) {
  r.out << text << ": " << std::flush;
  std::string line;
  if (!std::getline(*r.o.in, line)) return "";
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

int ParticipantIndex(const Definition& def, const std::string& name) {
  for (int i = 0; i < def.ceremony.participants_size(); ++i)
    if (def.ceremony.participants(i).name() == name) return i;
  return -1;
}

// Each participant present signs the challenge; any failure refuses the run.
Status Authenticate(Run& r, const Challenge& ch) {
  std::string bytes = ch.Bytes();
  std::vector<std::pair<int, Credential>> creds;
  if (r.o.answers) {
    for (const auto& [name, c] : r.o.answers->participants) {
      int i = ParticipantIndex(r.def, name);
      if (i < 0)
        return Refuse(r, "CEREMONY_PARTICIPANT_REFUSED",
                      InvalidArgument(name + " is not a participant of the approved definition"));
      creds.emplace_back(i, c);
    }
  } else {
    r.out << "Challenge for this run (each participant present signs it):\n" << bytes << "\n";
    for (int i = 0; i < r.def.ceremony.participants_size(); ++i) {
      const auto& p = r.def.ceremony.participants(i);
      std::string how = Prompt(
          r, p.name() + " (" + p.role() + "), your key file or PKCS#11 URI (empty if absent)");
      if (how.empty()) continue;
      Credential c;
      if (how.starts_with("pkcs11:")) {
        c.pkcs11_uri = how;
        c.pin_source = Prompt(r, "PIN source of that token (file:PATH, fd:N or prompt)");
      } else {
        c.key_file = how;
      }
      creds.emplace_back(i, c);
    }
  }
  for (const auto& [i, c] : creds) {
    const auto& p = r.def.ceremony.participants(i);
    auto sig = SignChallenge(c, bytes);
    if (!sig.ok())
      return Refuse(
          r, "CEREMONY_PARTICIPANT_REFUSED",
          Status(Code::kRefused, p.name() + " (" + p.role() +
                                     ") could not sign the challenge: " + sig.status().message()));
    auto who = VerifyParticipant(r.def, i, bytes, sig.value());
    if (!who.ok()) return Refuse(r, "CEREMONY_PARTICIPANT_REFUSED", who.status());
    r.present.push_back(std::move(who).value());
    r.out << "  authenticated: " << p.name() << " (" << p.role() << ") key "
          << r.def.keys[static_cast<std::size_t>(i)].fingerprint() << "\n";
  }
  Status q = CheckQuorum(r.def, r.present);
  if (!q.ok()) return Refuse(r, "CEREMONY_QUORUM_NOT_MET", q);
  return Status::Ok();
}

// Keeps the run's inputs in the station once it exists.
Status SaveRun(Run& r) {
  if (r.saved || !r.log->StationExists()) return Status::Ok();
  std::string dir = RunDir(r.o.station, r.id);
  SR_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  SR_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, "definition.textproto"), r.def.bytes, 0600));
  SR_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, "approval.dsse.json"), r.approval_text, 0600));
  if (!r.governance_text.empty())
    SR_RETURN_IF_ERROR(
        WriteFileAtomic(JoinPath(dir, "governance.dsse.json"), r.governance_text, 0600));
  Json params = Json::object();
  for (const auto& p : r.def.ceremony.parameters()) params[p.name()] = r.values[p.name()];
  Json run = {{"definition", r.def.source}, {"workdir", r.o.workdir}, {"params", params}};
  SR_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, "run.json"), run.dump(2) + "\n", 0600));
  r.saved = true;
  return Status::Ok();
}

v1::Event Started(const Run& r, const std::string& nonce) {
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_CEREMONY_STARTED);
  auto* s = e.mutable_ceremony_started();
  s->set_ceremony_id(r.id);
  s->set_kind(KindName(r.def.ceremony.kind()));
  s->set_definition_name(r.def.ceremony.name());
  s->set_definition_sha256(r.def.sha256);
  s->set_approval_sha256(r.approval.envelope_sha256);
  for (const auto& fp : r.approval.approvers) s->add_approver_fingerprints(fp);
  s->set_nonce(nonce);
  s->set_resumed(r.resumed);
  if (!r.governance_text.empty()) s->set_governance_policy_sha256(Sha256Hex(r.governance_text));
  for (const auto& p : r.present) *e.add_participants() = p;
  return e;
}

std::string JoinArgs(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\"'\\$`") == std::string::npos;
    s += plain ? a : Json(a).dump();
  }
  return s;
}

// Who must confirm a step: the present members of its confirm_roles.
std::vector<const v1::Participant*> Confirmers(const Run& r, const v1::CeremonyStep& s) {
  std::vector<const v1::Participant*> out;
  for (const auto& p : r.present)
    for (const auto& role : s.confirm_roles())
      if (p.role() == role) {
        out.push_back(&p);
        break;
      }
  return out;
}

struct StepDeviation {
  std::string reason, detail;
};

// Runs step n (1-based): its action, its outputs, its confirmations; fills
// the CEREMONY_STEP event or returns the deviation.
std::optional<StepDeviation> RunStep(Run& r, unsigned n, v1::Event* event) {
  const v1::CeremonyStep& s = r.def.ceremony.steps(static_cast<int>(n - 1));
  r.out << "\n== Step " << n << " of " << r.def.ceremony.steps_size() << ": " << s.name() << "\n"
        << s.instruction() << "\n";
  auto* st = event->mutable_ceremony_step();
  event->set_kind(v1::EVENT_KIND_CEREMONY_STEP);
  st->set_ceremony(r.id);
  st->set_script_sha256(r.def.sha256);
  st->set_step(n);
  st->set_step_name(s.name());
  if (s.action_size() > 0) {
    auto expanded = ExpandAction(r.def.ceremony, s, r.values);
    if (!expanded.ok()) return StepDeviation{"action not runnable", expanded.status().message()};
    std::vector<std::string> args = std::move(expanded).value();
    std::string shown = JoinArgs(args);
    st->set_action(shown);
    r.out << "$ strongroom " << shown << "\n";
    auto res = RunAction(r.o.program, args, r.o.workdir, r.o.answers == nullptr, r.out);
    if (!res.ok()) return StepDeviation{"action could not be started", res.status().message()};
    st->set_exit_code(res->exit_code);
    auto* o = st->add_outputs();
    o->set_role("output");
    o->set_name("stdout+stderr");
    o->set_sha256(res->output_sha256);
    if (res->exit_code != s.expected_exit_code())
      return StepDeviation{"the action exited with " + std::to_string(res->exit_code) +
                               ", expected " + std::to_string(s.expected_exit_code()),
                           res->tail};
    for (const auto& spec : s.expected_outputs()) {
      auto path = Substitute(spec, r.values);
      if (!path.ok()) return StepDeviation{"expected output not named", path.status().message()};
      std::string full = (*path)[0] == '/' ? *path : JoinPath(r.o.workdir, *path);
      auto d = Sha256File(full);
      if (!d.ok())
        return StepDeviation{"expected output " + *path + " is missing", d.status().message()};
      auto* e = st->add_outputs();
      e->set_role("expected-output");
      e->set_name(*path);
      e->set_sha256(HexEncode(DigestToString(d.value())));
      r.out << "  output " << *path << " sha256 " << e->sha256() << "\n";
    }
  }
  for (const v1::Participant* p : Confirmers(r, s)) {
    bool ok = false;
    if (r.o.answers) {
      auto it = r.o.answers->steps.find(s.name());
      if (it != r.o.answers->steps.end())
        for (const auto& name : it->second.confirm) ok = ok || name == p->name();
    } else {
      std::string a =
          Prompt(r, p->name() + " (" + p->role() + "), type your name to confirm step " +
                        std::to_string(n) + " (anything else refuses)");
      ok = a == p->name();
    }
    if (!ok) return StepDeviation{p->name() + " (" + p->role() + ") did not confirm the step", ""};
    r.out << "  confirmed by " << p->name() << " (" << p->role() << ")\n";
    *st->add_confirmations() = *p;
    st->add_participants(p->name());
    *event->add_participants() = *p;
  }
  st->set_outcome("done");
  return std::nullopt;
}

v1::Event Completed(const Run& r, Outcome o, unsigned done, const std::string& reason) {
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_CEREMONY_COMPLETED);
  auto* c = e.mutable_ceremony_completed();
  c->set_ceremony_id(r.id);
  c->set_outcome(std::string(OutcomeName(o)));
  c->set_steps_completed(done);
  c->set_reason(reason);
  return e;
}

Result<RunResult> Steps(Run& r, unsigned first) {
  RunResult res;
  res.ceremony_id = r.id;
  res.steps_completed = first - 1;
  const unsigned total = static_cast<unsigned>(r.def.ceremony.steps_size());
  for (unsigned n = first; n <= total; ++n) {
    v1::Event ev;
    auto dev = RunStep(r, n, &ev);
    if (!dev) {
      SR_RETURN_IF_ERROR(r.log->Append({ev}, r.id));
      SR_RETURN_IF_ERROR(SaveRun(r));
      res.steps_completed = n;
      continue;
    }
    const auto& s = r.def.ceremony.steps(static_cast<int>(n - 1));
    r.out << "\n!! Step " << n << " (" << s.name() << ") deviated: " << dev->reason << "\n";
    v1::Event ex;
    ex.set_kind(v1::EVENT_KIND_CEREMONY_EXCEPTION);
    auto* x = ex.mutable_ceremony_exception();
    x->set_ceremony_id(r.id);
    x->set_step(n);
    x->set_step_name(s.name());
    x->set_reason(dev->reason);
    x->set_detail(dev->detail);
    std::vector<v1::Event> events = {ex};
    std::optional<std::string> abort;
    if (r.o.answers) {
      auto it = r.o.answers->steps.find(s.name());
      if (it != r.o.answers->steps.end()) abort = it->second.abort;
    } else {
      std::string a = Prompt(r,
                             "Type a reason to ABORT the ceremony, or nothing to stop it here "
                             "(resumable with --resume " +
                                 r.id + ")");
      if (!a.empty()) abort = a;
    }
    res.reason = dev->reason;
    res.outcome = Outcome::kInterrupted;
    if (abort) {
      events.push_back(Completed(r, Outcome::kAborted, res.steps_completed, *abort));
      res.outcome = Outcome::kAborted;
      res.reason = *abort;
    }
    SR_RETURN_IF_ERROR(r.log->Append(std::move(events), r.id));
    SR_RETURN_IF_ERROR(SaveRun(r));
    if (r.log->HasPending())
      return FailedPrecondition("the station " + r.o.station +
                                " was not created, so nothing of this run could be logged");
    return res;
  }
  SR_RETURN_IF_ERROR(r.log->Append({Completed(r, Outcome::kCompleted, total, "")}, r.id));
  SR_RETURN_IF_ERROR(SaveRun(r));
  if (r.log->HasPending())
    return FailedPrecondition("the run ended but the station " + r.o.station +
                              " does not exist: nothing of it could be logged");
  res.outcome = Outcome::kCompleted;
  return res;
}

Result<SecretBytes> ReadLogPin(const std::string& spec) {
  SR_ASSIGN_OR_RETURN(auto source, ParsePinSource(spec, "log token user PIN"));
  return source->ReadPin();
}

}  // namespace

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kCompleted:
      return "completed";
    case Outcome::kAborted:
      return "aborted";
    default:
      return "interrupted";
  }
}

Result<RunResult> RunCeremony(const RunOptions& in) {
  RunOptions o = in;
  o.station = AbsPath(o.station);
  if (o.workdir.empty()) o.workdir = ".";
  o.workdir = AbsPath(o.workdir);
  Run r{o, *o.out, {}, {}, {}, {}, {}, {}, {}, {}, nullptr, false, false};
  std::map<std::string, std::string> given = o.params;
  unsigned first = 1;
  if (!o.resume_id.empty()) {
    if (!IsRunId(o.resume_id)) return InvalidArgument("bad ceremony id \"" + o.resume_id + "\"");
    r.resumed = true;
    r.id = o.resume_id;
    SR_ASSIGN_OR_RETURN(RunRecord rec, ReadRunRecord(o.station, r.id));
    if (!rec.started) return NotFound("the station's log has no ceremony run " + r.id);
    if (rec.finished)
      return FailedPrecondition("ceremony run " + r.id +
                                " has ended (the log records it completed or aborted)");
    std::string dir = RunDir(o.station, r.id);
    SR_ASSIGN_OR_RETURN(std::string bytes,
                        ReadFile(JoinPath(dir, "definition.textproto"), kMaxDefinitionBytes));
    SR_ASSIGN_OR_RETURN(r.def,
                        ParseDefinition(std::move(bytes), JoinPath(dir, "definition.textproto")));
    if (r.def.sha256 != rec.definition_sha256)
      return DataLoss(dir +
                      "/definition.textproto is not the definition the run started with (altered)");
    SR_ASSIGN_OR_RETURN(r.approval_text,
                        ReadFile(JoinPath(dir, "approval.dsse.json"), kMaxApprovalBytes));
    if (PathExists(JoinPath(dir, "governance.dsse.json"))) {
      SR_ASSIGN_OR_RETURN(r.governance_text, ReadFile(JoinPath(dir, "governance.dsse.json")));
    }
    SR_ASSIGN_OR_RETURN(std::string run_text, ReadFile(JoinPath(dir, "run.json"), 1u << 20));
    Json run = Json::parse(run_text, nullptr, false);
    if (run.is_discarded() || !run.contains("params") || !run.contains("workdir"))
      return DataLoss(dir + "/run.json is damaged");
    if (!o.params.empty())
      return InvalidArgument("a resumed run keeps its parameters: leave out --param");
    given.clear();
    for (const auto& [k, v] : run["params"].items()) given[k] = v.get<std::string>();
    if (in.workdir.empty()) o.workdir = run["workdir"].get<std::string>();
    first = rec.steps_done + 1;
    r.saved = true;
  } else {
    SR_ASSIGN_OR_RETURN(r.def, LoadDefinition(o.definition_path));
    SR_ASSIGN_OR_RETURN(r.approval_text, ReadFile(o.approval_path, kMaxApprovalBytes));
    if (!o.governance_path.empty()) {
      SR_ASSIGN_OR_RETURN(r.governance_text,
                          ReadFile(o.governance_path, policy::kMaxDocumentBytes));
    }
  }
  if (!IsDirectory(o.workdir))
    return NotFound("the working folder " + o.workdir + " does not exist");
  SR_RETURN_IF_ERROR(ResolveParameters(r, given));
  SR_ASSIGN_OR_RETURN(SecretBytes log_pin, ReadLogPin(o.log_pin_source));
  r.log = std::make_unique<RunLog>(o.station, std::move(log_pin));
  const bool init = r.def.ceremony.kind() == v1::CEREMONY_KIND_STATION_INITIALIZATION;
  if (r.log->StationExists()) {
    if (init && !r.resumed)
      return FailedPrecondition("a station-initialization ceremony needs a new station, and " +
                                o.station + " exists");
    SR_ASSIGN_OR_RETURN(auto st, Station::Open(o.station, StationLockOptions::ReadOnly()));
    r.station_id = st->record().station_id();
  } else if (init) {
    r.station_id = "new station at " + o.station;
  } else {
    return NotFound("no station at " + o.station +
                    " (create it with a station-initialization ceremony)");
  }
  if (r.id.empty()) {
    SR_ASSIGN_OR_RETURN(r.id, NewRunId(r.def));
  }
  auto gov = Governance(r);
  if (!gov.ok()) {
    if (gov.status().code() == Code::kRefused)
      return Refuse(r, "CEREMONY_GOVERNANCE_INVALID", gov.status());
    return gov.status();
  }
  std::string code;
  auto approved = CheckApproval(r.def, r.approval_text, gov.value(), &code);
  if (!approved.ok()) return Refuse(r, code, approved.status());
  r.approval = std::move(approved).value();
  r.out << "Ceremony " << r.def.ceremony.name() << " (" << KindName(r.def.ceremony.kind())
        << "), run " << r.id << (r.resumed ? " (resumed)" : "") << "\n  definition sha256 "
        << r.def.sha256 << ", approved by " << r.approval.approvers.size() << " of the "
        << r.approval.threshold << " governance signatures required\n";
  SR_ASSIGN_OR_RETURN(std::string nonce, NewNonce());
  Challenge ch{r.id, r.station_id, r.def.sha256, nonce};
  SR_RETURN_IF_ERROR(Authenticate(r, ch));
  SR_RETURN_IF_ERROR(r.log->Append({Started(r, nonce)}, r.id));
  SR_RETURN_IF_ERROR(SaveRun(r));
  if (first > 1) r.out << "Resuming at step " << first << "\n";
  return Steps(r, first);
}

Result<RunResult> AbortCeremony(const std::string& station_in, const std::string& id,
                                const std::string& reason, const std::string& log_pin_source,
                                const std::vector<std::string>& operators) {
  if (!IsRunId(id)) return InvalidArgument("bad ceremony id \"" + id + "\"");
  if (reason.empty()) return InvalidArgument("give the reason for the abort with --reason");
  std::string station = AbsPath(station_in);
  SR_ASSIGN_OR_RETURN(RunRecord rec, ReadRunRecord(station, id));
  if (!rec.started) return NotFound("the station's log has no ceremony run " + id);
  if (rec.finished) return FailedPrecondition("ceremony run " + id + " has already ended");
  SR_ASSIGN_OR_RETURN(SecretBytes pin, ReadLogPin(log_pin_source));
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_CEREMONY_COMPLETED);
  for (const auto& op : operators) e.add_operators(op);
  auto* c = e.mutable_ceremony_completed();
  c->set_ceremony_id(id);
  c->set_outcome("aborted");
  c->set_steps_completed(rec.steps_done);
  c->set_reason(reason);
  RunLog log(station, std::move(pin));
  SR_RETURN_IF_ERROR(log.Append({e}, id));
  RunResult r;
  r.ceremony_id = id;
  r.outcome = Outcome::kAborted;
  r.steps_completed = rec.steps_done;
  r.reason = reason;
  return r;
}

}  // namespace sr::ceremonies
