// The proto3 JSON mapping of policy/json.cc against protobuf's own parser,
// for the schemas strongroom reads (policy, approval predicate, manifest
// predicate, station record, batch). Invariants: whatever strongroom accepts,
// protobuf's parser accepts with the same meaning; strongroom's printer
// (MessageToJson) writes it back as protobuf's printer does, but for which
// non-ASCII characters are escaped, so its output reads back the same.
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
  std::string printed = sr::policy::MessageToJson(ours);
  M back;
  SR_FUZZ_CHECK(sr::policy::ParseJsonMessage(printed, &back, "printed").ok());
  SR_FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(ours, back));
  bool ascii = true;
  for (char c : printed) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    std::string theirs_printed;
    SR_FUZZ_CHECK(google::protobuf::util::MessageToJsonString(ours, &theirs_printed).ok());
    SR_FUZZ_CHECK(printed == theirs_printed);
  }
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
