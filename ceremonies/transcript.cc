#include "ceremonies/transcript.h"

#include <set>

#include "base/file.h"
#include "log/note.h"
#include "log/proof.h"
#include "log/verified_events.h"

namespace sr::ceremonies {
namespace {

using strongroom::v1::Event;

constexpr std::size_t kMaxCeremonyIdBytes = 256;
constexpr std::size_t kMaxListedIds = 50;

// The ceremony an event's payload names ("" for other kinds).
const std::string& PayloadCeremony(const Event& ev) {
  static const std::string kNone;
  switch (ev.payload_case()) {
    case Event::kCeremonyStarted:
      return ev.ceremony_started().ceremony_id();
    case Event::kCeremonyStep:
      return ev.ceremony_step().ceremony();
    case Event::kCeremonyException:
      return ev.ceremony_exception().ceremony_id();
    case Event::kCeremonyCompleted:
      return ev.ceremony_completed().ceremony_id();
    default:
      return kNone;
  }
}

bool BelongsTo(const Event& ev, std::string_view id) {
  return ev.session_id() == id || PayloadCeremony(ev) == id;
}

Status NoSuchCeremony(std::string_view id, std::uint64_t size, const std::set<std::string>& ids) {
  std::string msg = "ceremony '" + CleanText(id, false) + "' is not in the log (" +
                    std::to_string(size) + " events under its signed checkpoint); ";
  if (ids.empty()) return NotFound(msg + "the log holds no ceremony events");
  msg += "ceremonies in the log: ";
  std::size_t n = 0;
  for (const std::string& c : ids) {
    if (n == kMaxListedIds) {
      msg += ", and " + std::to_string(ids.size() - n) + " more";
      break;
    }
    msg += (n++ ? ", " : "") + CleanText(c, false);
  }
  return NotFound(msg);
}

}  // namespace

Result<Transcript> CollectTranscript(const TranscriptOptions& o) {
  if (o.ceremony_id.empty()) return InvalidArgument("give the ceremony id: --ceremony ID");
  if (o.ceremony_id.size() > kMaxCeremonyIdBytes)
    return InvalidArgument("the ceremony id is longer than " + std::to_string(kMaxCeremonyIdBytes) +
                           " bytes");
  // One checkpoint, read and verified once: the log is verified against it
  // and every proof is built against it, so a station appending meanwhile
  // changes nothing here.
  Transcript t;
  t.ceremony_id = o.ceremony_id;
  std::set<std::string> ids;
  auto read = log::ReadVerifiedEvents(
      o.log_dir, o.vkey, 0, "transcript",
      [&](std::uint64_t index, Event&& ev, std::string_view bytes) {
        if (!PayloadCeremony(ev).empty())
          ids.insert(ev.session_id().empty() ? PayloadCeremony(ev) : ev.session_id());
        if (BelongsTo(ev, o.ceremony_id))
          t.events.push_back({index, std::move(ev), std::string(bytes), {}});
      });
  if (!read.ok()) return read.status();
  const log::Checkpoint* cp = &read->checkpoint;
  t.vkey = read->vkey;
  t.checkpoint_note = read->note;
  t.origin = cp->origin;
  t.checkpoint_size = cp->size;
  t.root = cp->root;
  if (t.events.empty()) return NoSuchCeremony(o.ceremony_id, t.checkpoint_size, ids);

  for (ProvenEvent& pe : t.events) {
    auto proof = log::ProveInclusion(o.log_dir, pe.index, t.checkpoint_note, *cp);
    if (!proof.ok()) return proof.status().Annotate("proving event " + std::to_string(pe.index));
    pe.proof = proof->Format();
  }
  return t;
}

TranscriptFiles TranscriptFiles::For(std::string_view out) {
  std::string base(out);
  for (std::string_view ext : {".md", ".html"}) {
    if (base.size() > ext.size() && base.ends_with(ext)) {
      base.resize(base.size() - ext.size());
      break;
    }
  }
  TranscriptFiles f;
  f.base = base;
  f.markdown = base + ".md";
  f.html = base + ".html";
  f.proof_dir = base + ".proofs";
  f.checkpoint = JoinPath(f.proof_dir, log::kProofDirCheckpoint);
  return f;
}

std::string TranscriptFiles::ProofPath(std::uint64_t index) const {
  return JoinPath(proof_dir, log::InclusionProofFileName(index));
}

std::string TranscriptFiles::ProofRelative(std::uint64_t index) const {
  return BaseName(proof_dir) + "/" + log::InclusionProofFileName(index);
}

std::string TranscriptFiles::CheckpointRelative() const {
  return BaseName(proof_dir) + "/checkpoint";
}

Status WriteTranscript(const Transcript& t, const TranscriptFiles& files) {
  std::vector<std::pair<std::uint64_t, std::string>> proofs;
  for (const ProvenEvent& pe : t.events) proofs.emplace_back(pe.index, pe.proof);
  SR_RETURN_IF_ERROR(log::WriteProofDir(files.proof_dir, t.checkpoint_note, proofs));
  Document doc = TranscriptDocument(t, files);
  SR_RETURN_IF_ERROR(WriteFileAtomic(files.markdown, doc.Markdown(), 0644));
  return WriteFileAtomic(files.html, doc.Html(), 0644);
}

}  // namespace sr::ceremonies
