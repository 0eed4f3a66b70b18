// proto/log_facts.proto against proto/event.proto: every kind of Event, with
// every field set, parses as an EventFacts (no field number of the facts view
// meets a different wire type), and the facts read are the event's own.
#include "station/log_state.h"

#include <doctest/doctest.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <string>

#include "proto/event.pb.h"
#include "proto/log_facts.pb.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;
namespace pb = google::protobuf;

// Sets every field of m (two elements in repeated fields, nested messages
// to depth 4), each oneof to its last member.
void FillAll(pb::Message* m, int depth) {
  const pb::Descriptor* d = m->GetDescriptor();
  const pb::Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    int n = f->is_repeated() ? 2 : 1;
    for (int k = 0; k < n; ++k) {
      std::string text = f->name() + "-" + std::to_string(k);
      switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_STRING:
          f->is_repeated() ? r->AddString(m, f, text) : r->SetString(m, f, text);
          break;
        case pb::FieldDescriptor::CPPTYPE_UINT64:
          f->is_repeated() ? r->AddUInt64(m, f, 7 + k) : r->SetUInt64(m, f, 7 + k);
          break;
        case pb::FieldDescriptor::CPPTYPE_INT64:
          f->is_repeated() ? r->AddInt64(m, f, 7 + k) : r->SetInt64(m, f, 7 + k);
          break;
        case pb::FieldDescriptor::CPPTYPE_UINT32:
          f->is_repeated() ? r->AddUInt32(m, f, 7 + k) : r->SetUInt32(m, f, 7 + k);
          break;
        case pb::FieldDescriptor::CPPTYPE_INT32:
          f->is_repeated() ? r->AddInt32(m, f, 7 + k) : r->SetInt32(m, f, 7 + k);
          break;
        case pb::FieldDescriptor::CPPTYPE_BOOL:
          f->is_repeated() ? r->AddBool(m, f, true) : r->SetBool(m, f, true);
          break;
        case pb::FieldDescriptor::CPPTYPE_ENUM: {
          const pb::EnumValueDescriptor* v =
              f->enum_type()->value(f->enum_type()->value_count() - 1);
          f->is_repeated() ? r->AddEnum(m, f, v) : r->SetEnum(m, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth > 0)
            FillAll(f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f), depth - 1);
          break;
        default:
          break;
      }
    }
  }
}

TEST_CASE("every kind of Event, every field set, parses as an EventFacts") {
  const pb::OneofDescriptor* payload = v1::Event::descriptor()->FindOneofByName("payload");
  REQUIRE(payload != nullptr);
  for (int i = 0; i < payload->field_count(); ++i) {
    const pb::FieldDescriptor* f = payload->field(i);
    CAPTURE(f->name());
    v1::Event ev;
    FillAll(&ev, 4);
    ev.GetReflection()->ClearOneof(&ev, payload);
    FillAll(ev.GetReflection()->MutableMessage(&ev, f), 4);
    std::string bytes = ev.SerializeAsString();
    v1::facts::EventFacts facts;
    REQUIRE(facts.ParseFromString(bytes));
    CHECK(facts.kind() == static_cast<int>(ev.kind()));
    CHECK(facts.has_signing() == ev.has_signing());
    CHECK(facts.has_policy_installed() == ev.has_policy_installed());
  }
}

TEST_CASE("the facts of a SIGNING and a POLICY_INSTALLED event are the event's own") {
  v1::Event ev;
  FillAll(&ev, 4);
  ev.set_kind(v1::EVENT_KIND_SIGNING);
  v1::SigningEvent* s = ev.mutable_signing();
  FillAll(s, 4);
  s->clear_artifacts();
  for (int i = 0; i < 1000; ++i) {
    auto* a = s->add_artifacts();
    a->set_name("part-" + std::to_string(i) + ".bin");
    a->set_sha256(std::string(63, 'a') + std::to_string(i % 10));
  }
  v1::facts::EventFacts facts;
  REQUIRE(facts.ParseFromString(ev.SerializeAsString()));
  CHECK(facts.kind() == v1::EVENT_KIND_SIGNING);
  CHECK(facts.signing().product() == s->product());
  CHECK(facts.signing().version() == s->version());
  REQUIRE(facts.signing().artifacts_size() == 1000);
  for (int i = 0; i < 1000; ++i)
    CHECK(facts.signing().artifacts(i).sha256() == s->artifacts(i).sha256());

  v1::Event pol;
  FillAll(&pol, 4);
  pol.set_kind(v1::EVENT_KIND_POLICY_INSTALLED);
  pol.mutable_policy_installed()->set_policy_version(42);
  pol.mutable_policy_installed()->set_policy_sha256(std::string(64, 'c'));
  REQUIRE(facts.ParseFromString(pol.SerializeAsString()));
  CHECK(facts.kind() == v1::EVENT_KIND_POLICY_INSTALLED);
  CHECK(facts.policy_installed().policy_version() == 42);
  CHECK(facts.policy_installed().policy_sha256() == std::string(64, 'c'));
  CHECK_FALSE(facts.has_signing());  // parsing again replaces the previous event's facts
}

TEST_CASE(
    "the facts for a release: the product's last signed version, its releases of that version") {
  LogState st;
  st.installed_policy_version = 3;
  st.installed_policy_digest = std::string(64, 'd');
  st.AddPending("IC-22", "5.4.2", {std::string(64, '2')});
  st.AddPending("IC-22", "5.10.0", {std::string(64, 'a')});
  st.AddPending("IC-22", "5.4.3", {std::string(64, '3')});
  st.AddPending("OTHER", "9.0.0", {std::string(64, '9')});

  policy::LogFacts f = st.FactsFor("IC-22", "5.4.3").value();
  CHECK(f.installed_policy_version == 3);
  CHECK(f.installed_policy_digest == std::string(64, 'd'));
  REQUIRE(f.last_signed_version.has_value());
  CHECK(*f.last_signed_version == "5.10.0");  // by version order, not log order
  REQUIRE(f.signed_releases.size() == 1);
  CHECK(f.signed_releases[0].version == "5.4.3");
  CHECK(f.signed_releases[0].artifact_sha256 == std::vector<std::string>{std::string(64, '3')});

  // A version the log has not signed: no releases to compare with, the same
  // last signed version.
  f = st.FactsFor("IC-22", "5.11.0").value();
  CHECK(f.signed_releases.empty());
  CHECK(*f.last_signed_version == "5.10.0");
  // Another product's releases never count.
  f = st.FactsFor("NEW", "1.0.0").value();
  CHECK_FALSE(f.last_signed_version.has_value());
  CHECK(f.signed_releases.empty());
}

}  // namespace
}  // namespace sr::testing
