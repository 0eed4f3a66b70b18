#include "signer/log_state.h"

#include <algorithm>

#include "log/reader.h"
#include "policy/version.h"
#include "proto/log_facts.pb.h"

namespace sr::signer {
namespace v1 = strongroom::v1;

policy::LogFacts LogState::FactsFor(std::string_view product, std::string_view version) const {
  policy::LogFacts f;
  f.installed_policy_version = installed_policy_version;
  f.installed_policy_digest = installed_policy_digest;
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

Result<LogState> ReadLogState(std::string_view log_dir) {
  SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(log_dir));
  LogState st;
  v1::facts::EventFacts ev;  // reused: its buffers are kept between events
  for (std::uint64_t i = 0; i < reader.indexed_size(); ++i) {
    SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i));
    if (!ev.ParseFromString(bytes)) {
      return DataLoss("event " + std::to_string(i) + " of the log in " + std::string(log_dir) +
                      " is not a valid Event");
    }
    switch (ev.kind()) {
      case v1::EVENT_KIND_POLICY_INSTALLED:
        st.installed_policy_version = ev.policy_installed().policy_version();
        st.installed_policy_digest = ev.policy_installed().policy_sha256();
        break;
      case v1::EVENT_KIND_SIGNING: {
        const v1::facts::SigningFacts& s = ev.signing();
        policy::SignedRelease r{s.version(), {}};
        r.artifact_sha256.reserve(s.artifacts_size());
        for (const auto& a : s.artifacts()) r.artifact_sha256.push_back(a.sha256());
        st.releases[s.product()].push_back(std::move(r));
        break;
      }
      default:
        break;
    }
  }
  return st;
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

}  // namespace sr::signer
