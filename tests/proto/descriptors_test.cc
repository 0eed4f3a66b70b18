// strongroom's schemas in protobuf's generated pool, through public API only:
// each linked .pb.cc registers its file at start-up (protoc's own code, not
// patched), so a schema is found by file or message name as well as from its
// messages, and protobuf's JSON utilities find every type they need. The
// build-time tool proto/json_schema_gen.cc relies on the lookups by name.
#include <doctest/doctest.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <string>

#include "proto/approval.pb.h"
#include "proto/common.pb.h"
#include "proto/decision.pb.h"
#include "proto/event.pb.h"
#include "proto/policy.pb.h"
#include "proto/signing.pb.h"
#include "proto/station.pb.h"

namespace pb = google::protobuf;

namespace {

const pb::FileDescriptor* FindFile(const char* file) {
  return pb::DescriptorPool::generated_pool()->FindFileByName(file);
}

}  // namespace

TEST_CASE("descriptors: every full-runtime schema is found by file name, as its messages see it") {
  struct Schema {
    const char* file;
    const pb::Descriptor* message;
  };
  for (const Schema& s : {
           Schema{"proto/common.proto", strongroom::v1::ArtifactDigest::descriptor()},
           Schema{"proto/approval.proto", strongroom::v1::DeploymentScope::descriptor()},
           Schema{"proto/decision.proto", strongroom::v1::SigningBindings::descriptor()},
           Schema{"proto/event.proto", strongroom::v1::Event::descriptor()},
           Schema{"proto/policy.proto", strongroom::v1::TrustedKey::descriptor()},
           Schema{"proto/signing.proto", strongroom::v1::UpdateManifest::descriptor()},
           Schema{"proto/station.proto", strongroom::v1::TokenBinding::descriptor()},
       }) {
    CAPTURE(s.file);
    const pb::FileDescriptor* f = FindFile(s.file);
    REQUIRE(f != nullptr);
    CHECK(f == s.message->file());
    CHECK(f->package() == "strongroom.v1");
  }
  // log_facts.proto is built for the lite runtime: no descriptors at all.
  CHECK(FindFile("proto/log_facts.proto") == nullptr);
}

TEST_CASE("descriptors: a message type found by name is the generated class's descriptor") {
  const pb::Descriptor* d =
      pb::DescriptorPool::generated_pool()->FindMessageTypeByName("strongroom.v1.TrustedKey");
  REQUIRE(d != nullptr);
  CHECK(d == strongroom::v1::TrustedKey::descriptor());
  CHECK(pb::DescriptorPool::generated_pool()->FindMessageTypeByName("strongroom.v1.NoSuch") ==
        nullptr);
}

TEST_CASE("descriptors: protobuf's JSON printer finds a message's types and its imports'") {
  strongroom::v1::Event e;
  e.set_sequence(7);
  e.set_kind(strongroom::v1::EVENT_KIND_SIGNING);
  // protobuf's JSON printer resolves the message and its fields' types by
  // name in the generated pool: they must all be there.
  std::string json;
  REQUIRE(pb::util::MessageToJsonString(e, &json).ok());
  CHECK(json.find("\"sequence\":\"7\"") != std::string::npos);
  CHECK(json.find("EVENT_KIND_SIGNING") != std::string::npos);
  CHECK(FindFile("proto/common.proto") != nullptr);  // imported by event.proto
  CHECK(e.GetDescriptor()->full_name() == "strongroom.v1.Event");
}
