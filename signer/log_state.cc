#include "signer/log_state.h"

#include <algorithm>
#include <set>

#include "log/reader.h"
#include "policy/version.h"

namespace sr::signer {
namespace v1 = strongroom::v1;

policy::LogFacts LogState::FactsFor(std::string_view product) const {
  policy::LogFacts f;
  f.installed_policy_version = installed_policy_version;
  f.installed_policy_digest = installed_policy_digest;
  auto it = releases.find(std::string(product));
  if (it == releases.end()) return f;
  for (const LoggedRelease& r : it->second) {
    f.signed_releases.push_back({r.version, r.artifact_sha256});
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
                          std::vector<std::string> artifact_sha256, std::uint64_t index) {
  releases[product].push_back({version, std::move(artifact_sha256), index});
}

Result<LogState> ReadLogState(std::string_view log_dir) {
  SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(log_dir));
  LogState st;
  std::set<std::uint64_t> completed;
  std::vector<std::uint64_t> intents;
  for (std::uint64_t i = 0; i < reader.indexed_size(); ++i) {
    SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i));
    v1::Event ev;
    if (!ev.ParseFromString(bytes)) {
      return DataLoss("event " + std::to_string(i) + " of the log in " + std::string(log_dir) +
                      " is not a valid Event");
    }
    switch (ev.kind()) {
      case v1::EVENT_KIND_POLICY_INSTALLED:
        st.installed_policy_version = ev.policy_installed().policy_version();
        st.installed_policy_digest = ev.policy_installed().policy_sha256();
        break;
      case v1::EVENT_KIND_SIGNING_INTENT:
        intents.push_back(i);
        break;
      case v1::EVENT_KIND_SIGNING: {
        const v1::SigningEvent& s = ev.signing();
        LoggedRelease r{s.version(), {}, i};
        for (const auto& a : s.artifacts()) r.artifact_sha256.push_back(a.sha256());
        st.releases[s.product()].push_back(std::move(r));
        completed.insert(s.intent_index());
        break;
      }
      default:
        break;
    }
  }
  for (std::uint64_t i : intents)
    if (!completed.count(i)) st.open_intents.push_back(i);
  st.size = reader.indexed_size();
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
