// strongroom's schemas are not registered in protobuf's generated pool at
// start-up (proto/lazy_descriptors.cmake), yet everything that asks for a
// descriptor still gets it. This binary holds only these tests: any other
// test could register a file before the first check runs.
#include "proto/descriptors.h"

#include <doctest/doctest.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <string>

#include "proto/event.pb.h"
#include "proto/policy.pb.h"

namespace pb = google::protobuf;

namespace {

bool Registered(const char* file) {
  return pb::DescriptorPool::generated_pool()->FindFileByName(file) != nullptr;
}

}  // namespace

TEST_CASE("descriptors: none of strongroom's schemas is registered before first use") {
  // This runs first: no test before it has touched a descriptor.
  for (const char* f :
       {"proto/common.proto", "proto/approval.proto", "proto/decision.proto", "proto/event.proto",
        "proto/policy.proto", "proto/signing.proto", "proto/station.proto"}) {
    CAPTURE(f);
    CHECK_FALSE(Registered(f));
  }
  // Messages work without descriptors: build, serialize, parse.
  strongroom::v1::Event e;
  e.set_sequence(7);
  strongroom::v1::Event back;
  REQUIRE(back.ParseFromString(e.SerializeAsString()));
  CHECK(back.sequence() == 7);
  CHECK_FALSE(Registered("proto/event.proto"));
}

TEST_CASE("descriptors: a message's first descriptor registers its file and its imports") {
  strongroom::v1::Event e;
  e.set_sequence(7);
  e.set_kind(strongroom::v1::EVENT_KIND_SIGNING);
  // protobuf's JSON printer resolves the message and its fields' types by
  // name in the generated pool: they must all be there.
  std::string json;
  REQUIRE(pb::util::MessageToJsonString(e, &json).ok());
  CHECK(json.find("\"sequence\":\"7\"") != std::string::npos);
  CHECK(json.find("EVENT_KIND_SIGNING") != std::string::npos);
  CHECK(Registered("proto/event.proto"));
  CHECK(Registered("proto/common.proto"));  // imported by event.proto
  CHECK(e.GetDescriptor()->full_name() == "strongroom.v1.Event");
}

TEST_CASE("descriptors: RegisterDescriptors makes every schema findable by name") {
  sr::proto::RegisterDescriptors();
  sr::proto::RegisterDescriptors();  // a second call is harmless
  for (const char* f :
       {"proto/common.proto", "proto/approval.proto", "proto/decision.proto", "proto/event.proto",
        "proto/policy.proto", "proto/signing.proto", "proto/station.proto"}) {
    CAPTURE(f);
    CHECK(Registered(f));
  }
  const pb::Descriptor* d =
      pb::DescriptorPool::generated_pool()->FindMessageTypeByName("strongroom.v1.TrustedKey");
  REQUIRE(d != nullptr);
  CHECK(d == strongroom::v1::TrustedKey::descriptor());
}
