// The proto3 JSON mapping of policy/json.cc against protobuf's own parser,
// for the schemas strongroom reads (policy, approval predicate, manifest
// predicate, station record, batch). Invariant: whatever strongroom accepts,
// protobuf's parser accepts with the same meaning.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include "fuzz/fuzz.h"
#include "policy/json.h"
#include "proto/approval.pb.h"
#include "proto/policy.pb.h"
#include "proto/signing.pb.h"
#include "proto/station.pb.h"

namespace {

template <class M>
void Check(std::string_view in) {
  M ours;
  if (!sr::policy::ParseJsonMessage(in, &ours, "fuzz").ok()) return;
  M theirs;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = false;
  SR_FUZZ_CHECK(google::protobuf::util::JsonStringToMessage(
                    google::protobuf::StringPiece(in.data(), in.size()), &theirs, o)
                    .ok());
  SR_FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(ours, theirs));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = AsView(data, size);
  Check<strongroom::v1::TrustPolicy>(in);
  Check<strongroom::v1::ReleaseApproval>(in);
  Check<strongroom::v1::UpdateManifest>(in);
  Check<strongroom::v1::Station>(in);
  Check<strongroom::v1::SigningBatch>(in);
  return 0;
}
