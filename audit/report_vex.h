// Internal to audit/report.cc: the stale finding "a release still deployed
// whose vulnerability record changed". A release signed with OpenVEX
// statements (SigningEvent.vex_statements) is judged against what later
// SIGNING events of the same product logged about its version: a later VEX
// that states something else about it for a vulnerability (lists it affected
// by one its own VEX did not, or changes a status) while lifecycle records
// show it deployed and not withdrawn. Lifecycle records carry no VEX
// (proto/event.proto LifecycleRecordedEvent), so only SIGNING events count.
#ifndef STRONGROOM_AUDIT_REPORT_VEX_H_
#define STRONGROOM_AUDIT_REPORT_VEX_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/report.h"
#include "proto/event.pb.h"

namespace sr::audit::internal {

// A later SIGNING of the product whose VEX names the release's version:
// only its statements that do (affected or fixed lists).
struct LaterVex {
  std::uint64_t index = 0;
  std::string time, version, vex_sha256;
  std::vector<strongroom::v1::VexStatementRecord> statements;
};

// The statements of `s` (a SIGNING of the product) that name `version`;
// nullopt when none does (nothing to keep).
std::optional<LaterVex> LaterVexOf(std::uint64_t index, const strongroom::v1::Event& e,
                                   const std::string& version);

// What a statement record says about `version`: "affected", "fixed", or ""
// when it names the version in neither list. For the release's own record,
// its status (which is about the release's version) counts first.
std::string StateAbout(const strongroom::v1::VexStatementRecord& r, const std::string& version,
                       bool own);

// The findings (kind "vulnerability-record-changed") for the release signed
// at `signing_index` with `release`, given its lifecycle records and the
// later VEX statements in log order. `failed_at(i)` names the replay checks
// that failed at event i ("" when none), so a finding resting on an event
// that does not replay says so.
std::vector<Finding> VexChangeFindings(const strongroom::v1::SigningEvent& release,
                                       std::uint64_t signing_index,
                                       const std::vector<LifecycleRecordView>& records,
                                       const std::vector<LaterVex>& later,
                                       const std::function<std::string(std::uint64_t)>& failed_at);

}  // namespace sr::audit::internal

#endif  // STRONGROOM_AUDIT_REPORT_VEX_H_
