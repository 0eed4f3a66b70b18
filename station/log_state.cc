#include "station/log_state.h"

#include <algorithm>

#include "log/merkle.h"
#include "log/reader.h"
#include "policy/reason.h"
#include "policy/version.h"
#include "proto/log_facts.pb.h"
#include "station/facts_index.h"

namespace sr {
namespace v1 = strongroom::v1;

namespace {

// The gate's last_signed_version: the first version signed, replaced by each
// later one that compares above it.
void FoldVersion(ProductFacts& p, const std::string& version) {
  if (!p.last_signed_version) {
    p.last_signed_version = version;
    return;
  }
  auto c = policy::CompareVersions(version, *p.last_signed_version);
  if (c && *c > 0) p.last_signed_version = version;
}

}  // namespace

Result<std::string> LogState::AllVersions(std::string_view product) const {
  auto it = products.find(product);
  if (it == products.end()) return std::string();
  const ProductFacts& p = it->second;
  if (p.indexed_bytes == 0) return p.signed_versions;
  SR_ASSIGN_OR_RETURN(std::string all,
                      ReadIndexedVersions(log_dir, product, p.indexed_bytes, p.indexed_chain));
  all += p.signed_versions;
  return all;
}

Result<std::vector<std::uint64_t>> LogState::SignedEvents(std::string_view product,
                                                          std::string_view version) const {
  std::vector<std::uint64_t> out;
  SR_ASSIGN_OR_RETURN(std::string bytes, AllVersions(product));
  v1::facts::IndexedVersions all;
  if (bytes.empty()) return out;
  if (!all.ParseFromString(bytes))
    return DataLoss("the SIGNING events indexed for " + std::string(product) + " do not parse");
  for (const auto& v : all.versions())
    if (v.version() == version) out.insert(out.end(), v.events().begin(), v.events().end());
  return out;
}

const policy::EndedKey* LogState::Ended(std::string_view fingerprint) const {
  auto it = ended_keys.find(std::string(fingerprint));
  return it == ended_keys.end() ? nullptr : &it->second;
}

Result<policy::LogFacts> LogState::FactsFor(std::string_view product, std::string_view version,
                                            std::string_view key_fingerprint) const {
  policy::LogFacts f;
  f.installed_policy_version = installed_policy_version;
  f.installed_policy_digest = installed_policy_digest;
  if (const policy::EndedKey* k = Ended(key_fingerprint)) f.key_ended = *k;
  if (last_event) {
    f.last_event_time = last_event->time;
    f.last_event_index = last_event->index;
    f.last_event_time_text = last_event->time_text;
  }
  auto it = products.find(product);
  if (it == products.end()) return f;
  const ProductFacts& p = it->second;
  f.last_signed_version = p.last_signed_version;
  // Valid versions compare equal exactly when their text is equal; an
  // invalid one equals nothing. A version above the highest signed was
  // never signed: the product's SIGNING events are not even parsed.
  std::optional<int> above;
  if (p.last_signed_version) above = policy::CompareVersions(version, *p.last_signed_version);
  if (policy::IsValidVersion(version) && !(above && *above > 0)) {
    {
      SR_ASSIGN_OR_RETURN(std::vector<std::uint64_t> events, SignedEvents(product, version));
      for (std::uint64_t index : events) {
        auto digests = SignedArtifacts(index);
        f.signed_releases.push_back({std::string(version),
                                     digests.ok() ? std::move(digests).value()
                                                  : std::vector<std::string>{},
                                     index});
      }
    }
  }
  for (const policy::SignedRelease& r : p.pending) {
    auto same = policy::CompareVersions(r.version, version);
    if (same && *same == 0) f.signed_releases.push_back(r);
  }
  return f;
}

void LogState::AddPending(const std::string& product, const std::string& version,
                          std::vector<std::string> artifact_sha256) {
  ProductFacts& p = products[product];
  FoldVersion(p, version);
  p.pending.push_back({version, std::move(artifact_sha256)});
}

namespace {

void EndKey(LogState& st, std::uint64_t index, const v1::facts::KeyEndFacts& k, bool revoked) {
  if (k.fingerprint().empty()) return;
  auto [it, fresh] = st.ended_keys.try_emplace(k.fingerprint());
  if (!fresh && (it->second.revoked || !revoked)) return;
  it->second = policy::EndedKey{revoked, index, k.key_label(), k.reason(), k.effective_time()};
}

}  // namespace

Status LogState::Add(std::uint64_t index, std::string_view bytes) {
  // One parsed view per thread, reused: its buffers are kept from one event
  // to the next (a sign that catches up, or a rebuild, reads many).
  thread_local v1::facts::EventFacts ev;
  if (!ev.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return DataLoss("event " + std::to_string(index) + " of the log in " + log_dir +
                    " is not a valid Event");
  }
  const auto kind = static_cast<v1::EventKind>(ev.kind());
  switch (kind) {
    case v1::EVENT_KIND_POLICY_INSTALLED:
      installed_policy_version = ev.policy_installed().policy_version();
      installed_policy_digest = ev.policy_installed().policy_sha256();
      break;
    case v1::EVENT_KIND_SIGNING: {
      const v1::facts::SigningFacts& s = ev.signing();
      ProductFacts& p = products[s.product()];
      FoldVersion(p, s.version());
      v1::facts::IndexedVersions one;
      v1::facts::IndexedVersion* v = one.add_versions();
      v->set_version(s.version());
      v->add_events(index);
      one.AppendToString(&p.signed_versions);
      break;
    }
    case v1::EVENT_KIND_KEY_REVOKED:
      EndKey(*this, index, ev.key_revoked(), /*revoked=*/true);
      break;
    case v1::EVENT_KIND_KEY_RETIRED:
      EndKey(*this, index, ev.key_retired(), /*revoked=*/false);
      break;
    default:
      break;
  }
  last_event = ClockFloorAfter(last_event, index, kind, ev.time());
  return Status::Ok();
}

Result<std::vector<std::string>> LogState::SignedArtifacts(std::uint64_t index) const {
  SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(log_dir));
  SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(index));
  if (index < proven_size) {
    SR_ASSIGN_OR_RETURN(auto proof, log::InclusionProof(reader.nodes(), index, proven_size));
    SR_RETURN_IF_ERROR(
        log::VerifyInclusion(index, proven_size, log::HashLeaf(bytes), proof, proven_root)
            .Annotate("event " + std::to_string(index) + " against the signed checkpoint"));
  }
  v1::facts::EventFacts ev;
  if (!ev.ParseFromString(bytes) || ev.kind() != v1::EVENT_KIND_SIGNING)
    return DataLoss("event " + std::to_string(index) + " is not the SIGNING event indexed");
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(ev.signing().artifacts_size()));
  for (const auto& a : ev.signing().artifacts()) out.push_back(a.sha256());
  return out;
}

Result<LogState> ReadLogState(std::string_view log_dir) {
  LogState st;
  st.log_dir = std::string(log_dir);
  SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(log_dir));
  for (std::uint64_t i = 0; i < reader.indexed_size(); ++i) {
    SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i));
    SR_RETURN_IF_ERROR(st.Add(i, bytes));
  }
  return st;
}

Result<std::unique_ptr<StationLog>> OpenLogWithState(Station& station, const SecretBytes& log_pin,
                                                     LogState* state) {
  *state = LogState();
  SR_ASSIGN_OR_RETURN(std::unique_ptr<StationLog> log, StationLog::OpenIndexed(station, log_pin));
  log::LogWriter& w = log->writer();
  auto facts = LoadFactsIndex(station.dir(), log->signer(), w.checkpoint());
  if (!facts.ok() && facts.status().code() == Code::kNotFound) {
    // No index (a station from before it, or a deleted one): rebuilt from
    // every signed event, each proven by the checkpoint's root, as the full
    // check of the open would read them.
    facts = BuildFactsIndex(station.dir(), w.checkpoint());
    if (facts.ok()) SR_RETURN_IF_ERROR(WriteFactsIndex(station.dir(), *facts, log->signer()));
  }
  if (!facts.ok()) {
    policy::Failure f{policy::Reason::kLogIndexInvalid, "log",
                      facts.status().message() + "; nothing was judged. Run `strongroom log "
                      "verify --station " + station.dir() + "` (the full check of every event); "
                      "if the log is intact, `strongroom log reindex --station " + station.dir() +
                      "` rebuilds the index from the events"};
    return log->LogRefusal(f, "opening the log's facts index");
  }
  log->set_loaded_facts(std::make_shared<IndexedFacts>(*facts));
  // The events after the signed checkpoint (a crash left them unsigned)
  // are read as stored, as before the index.
  SR_RETURN_IF_ERROR(AddEventsAfter(*facts, station.dir(), w.size()));
  *state = std::move(facts->state);
  log->set_last_event(state->last_event);
  return log;
}

Result<v1::Event> ReadEventAt(std::string_view log_dir, std::uint64_t index) {
  SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(log_dir));
  if (index >= reader.indexed_size()) {
    return NotFound("event " + std::to_string(index) + " is not in the log (" +
                    std::to_string(reader.indexed_size()) + " events)");
  }
  SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(index));
  v1::Event ev;
  if (!ev.ParseFromString(bytes)) {
    return DataLoss("event " + std::to_string(index) + " is not a valid Event");
  }
  return ev;
}

}  // namespace sr
