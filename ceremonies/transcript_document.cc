// TranscriptDocument (ceremonies/transcript.h): the sections of a ceremony
// transcript, from the ceremony's proven events.
#include <map>
#include <set>
#include <tuple>

#include "base/encoding.h"
#include "base/hash.h"
#include "ceremonies/transcript.h"

namespace sr::ceremonies {
namespace {

using strongroom::v1::Event;
using strongroom::v1::Participant;
using Rows = std::vector<std::vector<std::string>>;

std::string KindName(const Event& ev) {
  std::string name = strongroom::v1::EventKind_Name(ev.kind());
  if (name.empty()) return "kind " + std::to_string(static_cast<int>(ev.kind()));
  return name.rfind("EVENT_KIND_", 0) == 0 ? name.substr(11) : name;
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& items,
                   std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

std::string Who(const Participant& p) {
  return p.name() + " (" + p.role() + ", key " + p.key_fingerprint() + ")";
}

// One line saying what an event recorded, for the events table.
std::string Summary(const Event& ev) {
  switch (ev.payload_case()) {
    case Event::kCeremonyStarted: {
      const auto& s = ev.ceremony_started();
      return std::string(s.resumed() ? "resumed" : "started") + " " + s.kind() + " ceremony '" +
             s.definition_name() + "'";
    }
    case Event::kCeremonyStep: {
      const auto& s = ev.ceremony_step();
      return "step " + std::to_string(s.step()) + " " + s.step_name() + ": " + s.outcome() +
             (s.action().empty() ? "" : ", exit " + std::to_string(s.exit_code()));
    }
    case Event::kCeremonyException: {
      const auto& s = ev.ceremony_exception();
      return "step " + std::to_string(s.step()) + " " + s.step_name() + ": " + s.reason();
    }
    case Event::kCeremonyCompleted:
      return ev.ceremony_completed().outcome() + " after " +
             std::to_string(ev.ceremony_completed().steps_completed()) + " steps";
    case Event::kKeyGenerated:
      return ev.key_generated().key_label() + " " + ev.key_generated().algorithm() + ", key " +
             ev.key_generated().fingerprint();
    case Event::kKeyRevoked:
      return ev.key_revoked().key_label() + ": " + ev.key_revoked().reason();
    case Event::kKeyRetired:
      return ev.key_retired().key_label() + ": " + ev.key_retired().reason();
    case Event::kPolicyInstalled:
      return "policy version " + std::to_string(ev.policy_installed().policy_version()) +
             ", sha256 " + ev.policy_installed().policy_sha256();
    case Event::kSigning:
      return ev.signing().product() + " " + ev.signing().version() + " signed with " +
             ev.signing().key_label();
    case Event::kSigningIntent:
      return ev.signing_intent().product() + " " + ev.signing_intent().version() + " with " +
             ev.signing_intent().key_label();
    case Event::kRefusal: {
      std::string codes;
      for (const auto& r : ev.refusal().reasons()) codes += (codes.empty() ? "" : ", ") + r.code();
      return ev.refusal().product() + " " + ev.refusal().version() + " refused: " + codes;
    }
    case Event::kPinChanged:
      return ev.pin_changed().token_role() + " token " + ev.pin_changed().pin() + " PIN changed";
    case Event::kCustodySharesIssued: {
      const auto& c = ev.custody_shares_issued();
      return c.token_role() + " token " + c.pin() + " PIN issued as " +
             std::to_string(c.threshold()) + "-of-" + std::to_string(c.share_fingerprints_size()) +
             " shares to " + Joined(c.custodians());
    }
    case Event::kExceptionRecorded:
      return ev.exception_recorded().summary();
    default:
      return "";
  }
}

void Overview(Document& d, const Transcript& t) {
  d.Paragraph("Built from the signing-event log " + t.origin +
              " alone. Before anything was read from it, the log was verified against its signed "
              "checkpoint (" +
              std::to_string(t.checkpoint_size) + " events, root " + Base64Encode(t.root) +
              ") with the verifier key " + t.vkey +
              ". Each event below comes with its inclusion proof against that checkpoint "
              "(section 'Events and inclusion proofs'). Events written after that checkpoint are "
              "not in this transcript.");
  d.Section("Ceremony");
  Rows rows = {{"Ceremony id", t.ceremony_id}};
  int started = 0;
  for (const ProvenEvent& pe : t.events) {
    if (pe.event.payload_case() != Event::kCeremonyStarted) continue;
    const auto& s = pe.event.ceremony_started();
    std::string at = " (event " + std::to_string(pe.index) + ")";
    rows.push_back({s.resumed() ? "Resumed" : "Started", pe.event.time() + at});
    if (started++ > 0) continue;
    rows.push_back({"Kind", s.kind()});
    rows.push_back({"Definition", s.definition_name()});
    rows.push_back({"Definition SHA-256", s.definition_sha256()});
    rows.push_back({"Governance approval SHA-256", s.approval_sha256()});
    rows.push_back({"Approver keys", Joined(s.approver_fingerprints())});
    rows.push_back({"Challenge nonce", s.nonce()});
    rows.push_back({"Station", pe.event.station_id()});
  }
  d.Table({"Field", "Value"}, std::move(rows));
  if (started == 0)
    d.Paragraph(
        "No CEREMONY_STARTED event of this ceremony is in the log: its events were "
        "written without a ceremony run.");
}

// Authenticated participants: on events and as step confirmations, each once.
void Participants(Document& d, const Transcript& t, std::vector<SignatureLine>& lines) {
  d.Section("Participants");
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  Rows auth;
  auto add = [&](const Participant& p, std::uint64_t index, std::string_view how) {
    if (!seen.insert({p.name(), p.role(), p.key_fingerprint()}).second) return;
    auth.push_back(
        {p.name(), p.role(), p.key_fingerprint(), std::string(how), std::to_string(index)});
    lines.push_back(
        {p.name(), p.role(), "authenticated, key " + p.key_fingerprint().substr(0, 16)});
  };
  std::map<std::string, std::vector<std::uint64_t>> typed;
  for (const ProvenEvent& pe : t.events) {
    for (const Participant& p : pe.event.participants()) add(p, pe.index, "signed the challenge");
    if (pe.event.payload_case() == Event::kCeremonyStep)
      for (const Participant& p : pe.event.ceremony_step().confirmations())
        add(p, pe.index, "confirmed a step");
    for (const std::string& op : pe.event.operators()) typed[op].push_back(pe.index);
  }
  d.Subheading("Authenticated (each signed the station's challenge with their own key)");
  if (auth.empty())
    d.Paragraph("None: no participant of this ceremony proved their presence.");
  else
    d.Table({"Name", "Role", "Key fingerprint (SHA-256 of SPKI)", "Proven by", "First event"},
            std::move(auth));
  d.Subheading("Typed names (--operator): NOT authenticated");
  if (typed.empty()) {
    d.Paragraph("None.");
    return;
  }
  Rows rows;
  for (const auto& [name, idx] : typed) {
    std::string events;
    for (std::uint64_t i : idx) events += (events.empty() ? "" : ", ") + std::to_string(i);
    rows.push_back({name, "NOT authenticated (typed name)", events});
    lines.push_back({name, "Operator", "typed name, not authenticated"});
  }
  d.Table({"Name", "Authentication", "Events"}, std::move(rows));
}

void Steps(Document& d, const Transcript& t) {
  d.Section("Steps");
  Rows steps, outputs;
  for (const ProvenEvent& pe : t.events) {
    if (pe.event.payload_case() != Event::kCeremonyStep) continue;
    const auto& s = pe.event.ceremony_step();
    std::string confirmed;
    for (const Participant& p : s.confirmations())
      confirmed += (confirmed.empty() ? "" : "; ") + Who(p);
    steps.push_back({std::to_string(s.step()), s.step_name(),
                     s.action().empty() ? "(confirmation only)" : s.action(),
                     s.action().empty() ? "" : std::to_string(s.exit_code()), s.outcome(),
                     confirmed.empty() ? "(none)" : confirmed, std::to_string(pe.index),
                     pe.event.time()});
    for (const auto& o : s.outputs())
      outputs.push_back({std::to_string(s.step()), o.role(), o.name(), o.sha256()});
  }
  if (steps.empty()) {
    d.Paragraph("No step of this ceremony is in the log.");
    return;
  }
  d.Table({"Step", "Name", "Action", "Exit code", "Outcome", "Confirmed by", "Event", "Time"},
          std::move(steps));
  d.Subheading("Outputs");
  if (outputs.empty())
    d.Paragraph("No step recorded an output.");
  else
    d.Table({"Step", "Role", "Name", "SHA-256"}, std::move(outputs));
}

void Exceptions(Document& d, const Transcript& t) {
  d.Section("Exceptions");
  Rows rows;
  for (const ProvenEvent& pe : t.events) {
    if (pe.event.payload_case() == Event::kCeremonyException) {
      const auto& x = pe.event.ceremony_exception();
      rows.push_back({std::to_string(pe.index), pe.event.time(),
                      std::to_string(x.step()) + " " + x.step_name(), x.reason(), x.detail()});
    } else if (pe.event.payload_case() == Event::kExceptionRecorded) {
      const auto& x = pe.event.exception_recorded();
      rows.push_back(
          {std::to_string(pe.index), pe.event.time(), "", x.summary(),
           x.detail() + (x.approved_by().empty() ? "" : " (approved by " + x.approved_by() + ")")});
    }
  }
  if (rows.empty())
    d.Paragraph("None recorded: no step failed, was skipped or went unconfirmed.");
  else
    d.Table({"Event", "Time", "Step", "Reason", "Detail"}, std::move(rows));
}

void Outcome(Document& d, const Transcript& t) {
  d.Section("Outcome");
  const ProvenEvent* done = nullptr;
  for (const ProvenEvent& pe : t.events)
    if (pe.event.payload_case() == Event::kCeremonyCompleted) done = &pe;
  if (done == nullptr) {
    d.Paragraph(
        "NOT FINISHED: no CEREMONY_COMPLETED event of this ceremony is under the "
        "checkpoint. The run was interrupted, or was still going when the checkpoint was "
        "signed.");
    return;
  }
  const auto& c = done->event.ceremony_completed();
  Rows rows = {{"Outcome", c.outcome()},
               {"Steps completed", std::to_string(c.steps_completed())},
               {"Ended", done->event.time() + " (event " + std::to_string(done->index) + ")"}};
  if (!c.reason().empty()) rows.push_back({"Reason", c.reason()});
  d.Table({"Field", "Value"}, std::move(rows));
}

void Proofs(Document& d, const Transcript& t, const TranscriptFiles& files) {
  d.Section("Events and inclusion proofs");
  Rows rows;
  std::string commands;
  for (const ProvenEvent& pe : t.events) {
    rows.push_back({std::to_string(pe.index), pe.event.time(), KindName(pe.event),
                    Summary(pe.event), Sha256Hex(pe.bytes), files.ProofRelative(pe.index)});
    commands += "strongroom log verify-proof " + files.ProofRelative(pe.index) + " --vkey '" +
                t.vkey + "'\n";
  }
  d.Table({"Event", "Time", "Kind", "What", "Event SHA-256", "Proof file"}, std::move(rows));
  d.Paragraph(
      "Every proof is a C2SP tlog-proof (the event in its extra line) against the "
      "checkpoint in " +
      files.CheckpointRelative() + " (" + t.origin + ", tree size " +
      std::to_string(t.checkpoint_size) +
      "). Check each one, from the folder holding "
      "this transcript, with the verifier key you hold (the one shown is the key this "
      "transcript was checked with); each prints 'proof verified: event N is in " +
      t.origin + " at tree size " + std::to_string(t.checkpoint_size) + "':");
  d.Code(commands);
  d.Subheading("The checkpoint");
  d.Code(t.checkpoint_note);
}

}  // namespace

Document TranscriptDocument(const Transcript& t, const TranscriptFiles& files) {
  Document d("Ceremony transcript: " + t.ceremony_id);
  std::vector<SignatureLine> lines;
  Overview(d, t);
  Participants(d, t, lines);
  Steps(d, t);
  Exceptions(d, t);
  Outcome(d, t);
  Proofs(d, t, files);
  d.Section("Signatures");
  d.Paragraph(
      "Each signer confirms that this transcript matches the ceremony as they saw it "
      "run. The witness signs last, having checked the proofs.");
  lines.push_back({"", "Witness", ""});
  d.Signatures(std::move(lines));
  return d;
}

}  // namespace sr::ceremonies
