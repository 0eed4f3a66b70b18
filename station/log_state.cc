#include "station/log_state.h"

#include <algorithm>

#include "log/reader.h"
#include "policy/version.h"
#include "proto/log_facts.pb.h"

namespace sr {
namespace v1 = strongroom::v1;

const policy::EndedKey* LogState::Ended(std::string_view fingerprint) const {
  auto it = ended_keys.find(std::string(fingerprint));
  return it == ended_keys.end() ? nullptr : &it->second;
}

policy::LogFacts LogState::FactsFor(std::string_view product, std::string_view version,
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
  auto it = releases.find(std::string(product));
  if (it == releases.end()) return f;
  for (const policy::SignedRelease& r : it->second) {
    auto same = policy::CompareVersions(r.version, version);
    if (same && *same == 0) f.signed_releases.push_back(r);
    if (!f.last_signed_version) {
      f.last_signed_version = r.version;
      continue;
    }
    auto c = policy::CompareVersions(r.version, *f.last_signed_version);
    if (c && *c > 0) f.last_signed_version = r.version;
  }
  return f;
}

void LogState::AddPending(const std::string& product, const std::string& version,
                          std::vector<std::string> artifact_sha256) {
  releases[product].push_back({version, std::move(artifact_sha256)});
}

namespace {

// Adds one event's facts to a LogState; the parsed view is reused, so its
// buffers are kept from one event to the next.
class FactsReader {
 public:
  FactsReader(LogState* st, std::string_view log_dir) : st_(st), dir_(log_dir) {}

  Status Add(std::uint64_t index, std::string_view bytes) {
    if (!ev_.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return DataLoss("event " + std::to_string(index) + " of the log in " + dir_ +
                      " is not a valid Event");
    }
    switch (ev_.kind()) {
      case v1::EVENT_KIND_POLICY_INSTALLED:
        st_->installed_policy_version = ev_.policy_installed().policy_version();
        st_->installed_policy_digest = ev_.policy_installed().policy_sha256();
        break;
      case v1::EVENT_KIND_SIGNING: {
        const v1::facts::SigningFacts& s = ev_.signing();
        policy::SignedRelease r{s.version(), {}, index};
        r.artifact_sha256.reserve(static_cast<std::size_t>(s.artifacts_size()));
        for (const auto& a : s.artifacts()) r.artifact_sha256.push_back(a.sha256());
        st_->releases[s.product()].push_back(std::move(r));
        break;
      }
      case v1::EVENT_KIND_KEY_REVOKED:
        EndKey(index, ev_.key_revoked(), /*revoked=*/true);
        break;
      case v1::EVENT_KIND_KEY_RETIRED:
        EndKey(index, ev_.key_retired(), /*revoked=*/false);
        break;
      default:
        break;
    }
    return Status::Ok();
  }

  // Events from index `from` to the end of the log's index, read from disk.
  Status AddFrom(std::uint64_t from) {
    SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(dir_));
    for (std::uint64_t i = from; i < reader.indexed_size(); ++i) {
      SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i));
      SR_RETURN_IF_ERROR(Add(i, bytes));
    }
    return Status::Ok();
  }

 private:
  void EndKey(std::uint64_t index, const v1::facts::KeyEndFacts& k, bool revoked) {
    if (k.fingerprint().empty()) return;
    auto [it, fresh] = st_->ended_keys.try_emplace(k.fingerprint());
    if (!fresh && (it->second.revoked || !revoked)) return;
    it->second = policy::EndedKey{revoked, index, k.key_label(), k.reason(), k.effective_time()};
  }

  LogState* st_;
  std::string dir_;
  v1::facts::EventFacts ev_;
};

}  // namespace

Result<LogState> ReadLogState(std::string_view log_dir) {
  LogState st;
  FactsReader facts(&st, log_dir);
  SR_RETURN_IF_ERROR(facts.AddFrom(0));
  return st;
}

Result<std::unique_ptr<StationLog>> OpenLogWithState(Station& station, const SecretBytes& log_pin,
                                                     LogState* state) {
  *state = LogState();
  FactsReader facts(state, LogDir(station));
  Status bad = Status::Ok();
  auto visit = [&](std::uint64_t i, std::string_view event) {
    if (bad.ok()) bad = facts.Add(i, event);
  };
  SR_ASSIGN_OR_RETURN(std::unique_ptr<StationLog> log, StationLog::Open(station, log_pin, visit));
  SR_RETURN_IF_ERROR(bad);
  // The events after the signed checkpoint (a crash left them unsigned) are
  // not part of the open's check: read here.
  SR_RETURN_IF_ERROR(facts.AddFrom(log->writer().signed_size()));
  state->last_event = log->last_event();
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
