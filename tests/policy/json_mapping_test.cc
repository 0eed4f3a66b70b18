// policy::ParseJsonMessage maps JSON into strongroom's schemas against the
// build-time tables of proto/json_schema.h (policy/json.cc), no longer
// through protobuf's JSON parser, and policy::MessageToJson writes them.
// Against protobuf's parser and printer, on the real documents (a policy, an
// approval predicate, a manifest predicate, a station record, a signing
// batch) and on thousands of random mutations of them: whatever strongroom
// accepts, protobuf's parser accepts with the same meaning, and strongroom
// prints it as protobuf does; where they differ, strongroom refuses a
// document protobuf would have taken, in the documented cases only.
#include <doctest/doctest.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <random>
#include <string>
#include <vector>

#include "policy/json.h"
#include "proto/event.pb.h"
#include "proto/json_schema.h"
#include "proto/signing.pb.h"
#include "proto/station.pb.h"
#include "tests/testing/policy_fixtures.h"

namespace sr::testing {
namespace {

namespace pb = google::protobuf;
namespace v1 = strongroom::v1;

std::string Json(const pb::Message& m) {
  std::string out;
  REQUIRE(pb::util::MessageToJsonString(m, &out).ok());
  return out;
}

// What protobuf's parser makes of text (after the same strict syntax check,
// which both paths share): ok and the message.
bool Protobuf(const std::string& text, pb::Message* m) {
  if (!policy::CheckStrictJson(text, "doc").ok()) return false;
  pb::util::JsonParseOptions o;
  o.ignore_unknown_fields = false;
  return pb::util::JsonStringToMessage(text, m, o).ok();
}

v1::Station StationRecord() {
  v1::Station s;
  s.set_format_version(1);
  s.set_station_id("c6aea038fdb7033c95d2c3b9c9a547d8");
  s.set_created("2026-12-01T13:22:53Z");
  s.set_module_path("/usr/lib/softhsm/libsofthsm2.so");
  s.set_softhsm2_conf("softhsm2.conf");
  for (const char* role : {"release", "log"}) {
    auto* t = s.add_tokens();
    t->set_role(role);
    t->set_label(role);
    t->set_serial("fb0e56aaff78075d");
    t->set_uri(std::string("pkcs11:token=") + role);
  }
  s.mutable_log_key()->set_label("log");
  s.mutable_log_key()->set_fingerprint(std::string(64, 'a'));
  s.mutable_attestation_key()->set_label("attest");
  return s;
}

v1::UpdateManifest Manifest() {
  v1::UpdateManifest m;
  m.set_product("IC-22");
  m.set_version("5.4.3");
  m.add_eligible_source_versions("refs/tags/v5.4.3");
  m.set_log_index(6);
  return m;
}

v1::SigningBatch Batch() {
  v1::SigningBatch b;
  for (const char* v : {"5.4.3", "5.4.4"}) {
    auto* r = b.add_releases();
    r->set_product("IC-22");
    r->set_version(v);
    r->add_artifacts("fw.bin");
  }
  return b;
}

// Raw JSON number text, put where a string "\u0001<text>" was.
constexpr char kRaw = '\x01';
std::string Unraw(std::string json) {
  for (std::size_t at; (at = json.find("\"\\u0001")) != std::string::npos;) {
    std::size_t end = json.find('"', at + 7);
    json = json.substr(0, at) + json.substr(at + 7, end - at - 7) + json.substr(end + 1);
  }
  return json;
}

pb::Value Str(const std::string& s) {
  pb::Value v;
  v.set_string_value(s);
  return v;
}
pb::Value Raw(const std::string& text) { return Str(std::string(1, kRaw) + text); }

// Every value in the tree (object members and list items), and every object.
void Collect(pb::Value* v, std::vector<pb::Value*>* values, std::vector<pb::Struct*>* objects) {
  values->push_back(v);
  if (v->has_struct_value()) {
    objects->push_back(v->mutable_struct_value());
    for (auto& kv : *v->mutable_struct_value()->mutable_fields())
      Collect(&kv.second, values, objects);
  } else if (v->has_list_value()) {
    for (auto& item : *v->mutable_list_value()->mutable_values()) Collect(&item, values, objects);
  }
}

std::string SnakeOf(const std::string& camel) {
  std::string out;
  for (char c : camel) {
    if (c >= 'A' && c <= 'Z')
      out += '_', out += static_cast<char>(c - 'A' + 'a');
    else
      out += c;
  }
  return out;
}

// One random change to the document.
void Mutate(pb::Value* doc, std::mt19937& rng) {
  std::vector<pb::Value*> values;
  std::vector<pb::Struct*> objects;
  Collect(doc, &values, &objects);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  if (pick(4) == 0 && !objects.empty()) {  // a key: renamed, doubled under its other name, or gone
    pb::Struct* o = objects[pick(objects.size())];
    if (o->fields().empty()) return;
    auto it = o->mutable_fields()->begin();
    std::advance(it, pick(o->fields().size()));
    std::string key = it->first;
    pb::Value v = it->second;
    switch (pick(4)) {
      case 0:
        o->mutable_fields()->erase(key);
        (*o->mutable_fields())[SnakeOf(key)] = v;
        break;
      case 1:
        (*o->mutable_fields())[SnakeOf(key)] = v;
        break;
      case 2:
        o->mutable_fields()->erase(key);
        (*o->mutable_fields())[key + "X"] = v;
        break;
      default:
        o->mutable_fields()->erase(key);
    }
    return;
  }
  pb::Value* v = values[pick(values.size())];
  if (v == doc) return;
  static const std::vector<std::string> raws = {"0",
                                                "-0",
                                                "1",
                                                "-1",
                                                "1.5",
                                                "3.0",
                                                "1e3",
                                                "2147483647",
                                                "2147483648",
                                                "-2147483648",
                                                "-2147483649",
                                                "4294967295",
                                                "4294967296",
                                                "9007199254740992",
                                                "9007199254740993",
                                                "18446744073709551615",
                                                "1e400"};
  static const std::vector<std::string> strs = {"",
                                                "x",
                                                "0",
                                                "42",
                                                "-7",
                                                "+3",
                                                "03",
                                                " 3",
                                                "1e3",
                                                "0x10",
                                                "-0",
                                                "4294967296",
                                                "18446744073709551615",
                                                "18446744073709551616",
                                                "9223372036854775808",
                                                "-9223372036854775808",
                                                "2026-01-01T00:00:00Z",
                                                "2026-01-01T00:00:00.5+01:00",
                                                "2026-01-01T00:00:00",
                                                "2026-02-30T00:00:00Z",
                                                "0001-01-01T00:00:00Z",
                                                "0000-12-31T23:59:59Z",
                                                "9999-12-31T23:59:59.999999999Z",
                                                "2026-01-01T00:00:00.1234567891Z",
                                                "2026-01-01t00:00:00z",
                                                "2026-01-01T00:00:00-00:00",
                                                "2026-01-01T24:00:00Z"};
  pb::Value copy = *v;
  switch (pick(9)) {
    case 0:
      *v = Raw(raws[pick(raws.size())]);
      break;
    case 1:
    case 2:
      *v = Str(strs[pick(strs.size())]);
      break;
    case 3:
      v->set_bool_value(pick(2) == 0);
      break;
    case 4:
      v->set_null_value(pb::NULL_VALUE);
      break;
    case 5:  // wrapped in a list
      v->mutable_list_value()->add_values()->CopyFrom(copy);
      break;
    case 6:  // a list replaced by its first item, or emptied
      if (copy.has_list_value() && copy.list_value().values_size() > 0 && pick(2) == 0)
        *v = copy.list_value().values(0);
      else
        v->mutable_list_value()->Clear();
      break;
    case 7:
      v->mutable_struct_value()->Clear();
      break;
    default:  // an object in place of a scalar, or a Timestamp's object form
      (*v->mutable_struct_value()->mutable_fields())["seconds"] = Raw("5");
  }
}

template <class M>
void Differential(const M& original, int rounds, std::uint32_t seed) {
  CAPTURE(M::descriptor()->name());
  pb::Value base;
  REQUIRE(pb::util::JsonStringToMessage(Json(original), base.mutable_struct_value()).ok());
  std::mt19937 rng(seed);
  int ours_ok = 0, only_protobuf = 0;
  for (int i = 0; i < rounds; ++i) {
    pb::Value doc = base;
    for (int n = 1 + static_cast<int>(rng() % 3); n > 0; --n) Mutate(&doc, rng);
    std::string out;
    REQUIRE(pb::util::MessageToJsonString(doc, &out).ok());
    std::string text = Unraw(out);
    CAPTURE(text);
    M ours, theirs;
    bool a = policy::ParseJsonMessage(text, &ours, "doc").ok();
    bool b = Protobuf(text, &theirs);
    if (a) {
      ++ours_ok;
      REQUIRE_MESSAGE(b, "strongroom accepted what protobuf's parser refuses");
      REQUIRE_MESSAGE(pb::util::MessageDifferencer::Equals(ours, theirs),
                      std::string(ours.ShortDebugString() + " vs " + theirs.ShortDebugString()));
      // And strongroom's printer writes it as protobuf's does.
      REQUIRE(policy::MessageToJson(ours) == Json(ours));
    } else {
      only_protobuf += b;
    }
  }
  // The mutations exercise both sides: many documents still parse, and some
  // are refused only by the stricter mapping.
  CHECK(ours_ok > rounds / 20);
  CHECK(only_protobuf > 0);
  // The unmutated document means the same to both.
  M ours, theirs;
  REQUIRE(policy::ParseJsonMessage(Json(original), &ours, "doc").ok());
  CHECK(pb::util::MessageDifferencer::Equals(ours, original));
}

TEST_CASE("json mapping: whatever strongroom accepts, protobuf's parser reads the same way") {
  World w;
  Differential(w.policy, 4000, 1);
  Differential(w.approval, 3000, 2);
  Differential(StationRecord(), 3000, 3);
  Differential(Manifest(), 1500, 4);
  Differential(Batch(), 1500, 5);
}

TEST_CASE("json mapping: MessageToJson writes what protobuf's printer writes") {
  World w;
  CHECK(policy::MessageToJson(w.policy) == Json(w.policy));
  CHECK(policy::MessageToJson(w.approval) == Json(w.approval));
  CHECK(policy::MessageToJson(StationRecord()) == Json(StationRecord()));
  CHECK(policy::MessageToJson(v1::UpdateManifest()) == "{}");

  // Every ASCII character in a string: the same escapes as protobuf's.
  v1::UpdateManifest m = Manifest();
  std::string ascii;
  for (int c = 1; c < 128; ++c) ascii += static_cast<char>(c);
  m.set_product(ascii);
  m.set_policy_version(UINT64_MAX);
  m.mutable_scope()->add_cohorts("");
  m.mutable_scope();
  CHECK(policy::MessageToJson(m) == Json(m));
  // Beyond ASCII, protobuf escapes some characters strongroom writes as
  // they are: the same string either way.
  m.set_product("\u00e9\u00ad\u2028\U0001F600");
  v1::UpdateManifest back;
  REQUIRE(pb::util::JsonStringToMessage(policy::MessageToJson(m), &back).ok());
  CHECK(pb::util::MessageDifferencer::Equals(back, m));
  CHECK(policy::MessageToJson(m).find("\u00e9") != std::string::npos);

  // Maps (the VSA's digests): one entry as protobuf writes it; several in
  // the order of their keys, every time.
  v1::VerificationSummary vsa;
  vsa.mutable_verifier()->set_id("https://strongroom.dev/station/1");
  (*vsa.mutable_verifier()->mutable_version())["strongroom"] = "0.1";
  (*vsa.mutable_policy()->mutable_digest())["sha256"] = std::string(64, 'a');
  vsa.add_input_attestations()->set_uri("sha256:x");
  vsa.add_verified_levels("SLSA_BUILD_LEVEL_3");
  CHECK(policy::MessageToJson(vsa) == Json(vsa));
  auto* digests = vsa.mutable_input_attestations(0)->mutable_digest();
  for (const char* alg : {"sha512", "gitCommit", "sha256", "b<\"c"}) (*digests)[alg] = alg;
  std::string text = policy::MessageToJson(vsa);
  CHECK(text.find(R"("digest":{"b\u003c\"c":"b\u003c\"c","gitCommit":"gitCommit",)"
                  R"("sha256":"sha256","sha512":"sha512"})") != std::string::npos);
  v1::VerificationSummary vback;
  REQUIRE(pb::util::JsonStringToMessage(text, &vback).ok());
  CHECK(pb::util::MessageDifferencer::Equals(vback, vsa));

  // Fields a newer writer added (unknown here, kept by the parser) are not
  // part of the JSON form, whatever their wire type.
  v1::UpdateManifest known = Manifest();
  std::string wire = known.SerializeAsString();
  wire += std::string("\xa8\x06\x07", 3);                               // 101: varint 7
  wire += std::string("\xb5\x06\x01\x02\x03\x04", 6);                   // 102: fixed32
  wire += std::string("\xb9\x06\x01\x02\x03\x04\x05\x06\x07\x08", 10);  // 103: fixed64
  wire += std::string("\xc2\x06\x02hi", 5);                             // 104: bytes
  v1::UpdateManifest with_unknown;
  REQUIRE(with_unknown.ParseFromString(wire));
  CHECK(policy::MessageToJson(with_unknown) == Json(known));
  CHECK(policy::MessageToJson(with_unknown) == Json(with_unknown));

  // A schema it does not write itself (an enum) is protobuf's output.
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_SIGNING);
  e.set_sequence(7);
  CHECK(policy::MessageToJson(e) == Json(e));
}

TEST_CASE("json mapping: the schema tables say what the descriptors say") {
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  REQUIRE(proto::JsonSchemaCount() > 30);
  int readable = 0;
  for (std::int32_t i = 0; i < proto::JsonSchemaCount(); ++i) {
    const proto::JsonMessage& m = proto::JsonSchemaAt(i);
    CAPTURE(m.full_name);
    const pb::Descriptor* d = pool->FindMessageTypeByName(m.full_name);
    REQUIRE(d != nullptr);
    CHECK(d->name() == m.name);
    readable += m.readable;
    if (m.readable) CHECK(m.writable);
    if (!m.writable) {
      CHECK(m.field_count == 0);
      continue;
    }
    REQUIRE(static_cast<int>(m.field_count) == d->field_count());
    for (std::uint32_t k = 0; k < m.field_count; ++k) {
      const proto::JsonField& f = m.fields[k];
      CAPTURE(f.name);
      if (k > 0) CHECK(m.fields[k - 1].number < f.number);
      const pb::FieldDescriptor* fd = d->FindFieldByNumber(static_cast<int>(f.number));
      REQUIRE(fd != nullptr);
      CHECK(fd->name() == f.name);
      CHECK(fd->json_name() == f.json_name);
      CHECK(f.repeated == (fd->is_repeated() && !fd->is_map()));
      if (fd->is_map()) {
        CHECK(f.kind == proto::JsonKind::kMap);
        CHECK(!m.readable);
      } else if (fd->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
        bool ts = fd->message_type()->full_name() == "google.protobuf.Timestamp";
        CHECK(f.kind == (ts ? proto::JsonKind::kTimestamp : proto::JsonKind::kMessage));
      } else {
        CHECK(f.kind != proto::JsonKind::kMessage);
      }
      if (f.kind == proto::JsonKind::kMessage || f.kind == proto::JsonKind::kMap) {
        REQUIRE(f.message >= 0);
        CHECK(std::string(proto::JsonSchemaAt(f.message).full_name) ==
              fd->message_type()->full_name());
      }
    }
  }
  CHECK(readable > 20);
  // The documents strongroom reads are all mapped by the tables; the log's
  // events (an enum) and the VSA (maps) are not read by them.
  for (const pb::Message* msg : std::initializer_list<const pb::Message*>{
           &v1::TrustPolicy::default_instance(), &v1::ReleaseApproval::default_instance(),
           &v1::Station::default_instance(), &v1::UpdateManifest::default_instance(),
           &v1::SigningBatch::default_instance()}) {
    const proto::JsonMessage* m = proto::JsonSchemaOf(*msg);
    REQUIRE(m != nullptr);
    CHECK(m->readable);
  }
  CHECK_FALSE(proto::JsonSchemaOf(v1::Event::default_instance())->readable);
  CHECK_FALSE(proto::JsonSchemaOf(v1::VerificationSummary::default_instance())->readable);
  CHECK(proto::JsonSchemaOf(v1::VerificationSummary::default_instance())->writable);
  CHECK(proto::JsonSchemaOf(pb::Struct::default_instance()) == nullptr);
}

// Parses text as a TrustPolicy; the failure message, or "" when it parsed.
std::string PolicyError(const std::string& text, v1::TrustPolicy* out = nullptr) {
  v1::TrustPolicy p;
  auto ok = policy::ParseJsonMessage(text, &p, "policy");
  if (out) *out = p;
  return ok.ok() ? "" : ok.failure().message;
}

TEST_CASE("json mapping: the proto3 forms strongroom's documents use are read") {
  v1::TrustPolicy p;
  REQUIRE(PolicyError(R"({"version":"18446744073709551615","issued":"2026-01-01T00:00:00.5+01:00",
      "governance":{"threshold":2,"keys":[{"name":"a","publicKeyPem":"P"}]},
      "products":[{"name":"IC-22","required_tests":["rollback"],"approvers":null}],
      "logVerifierKey":null})",
                      &p) == "");
  CHECK(p.version() == UINT64_MAX);
  CHECK(p.issued().seconds() == 1767222000);
  CHECK(p.issued().nanos() == 500000000);
  CHECK(p.governance().threshold() == 2);
  CHECK(p.governance().keys(0).public_key_pem() == "P");
  CHECK(p.products(0).required_tests(0) == "rollback");
  CHECK_FALSE(p.products(0).has_approvers());
  REQUIRE(PolicyError(R"({"version":3})", &p) == "");
  CHECK(p.version() == 3);
  REQUIRE(PolicyError(R"({"version":1e3})", &p) == "");
  CHECK(p.version() == 1000);
}

TEST_CASE("json mapping: each refusal names the field and what is wrong") {
  struct Case {
    const char* json;
    const char* message;
  };
  for (Case c : {
           Case{R"({"nope":1})", "nope: no such field in TrustPolicy"},
           Case{R"({"version":-1})", "version: is out of range for uint64"},
           Case{R"({"version":"1e3"})", "version: must be a whole number"},
           Case{R"({"version":"+3"})", "version: must be a whole number"},
           Case{R"({"version":1.5})", "version: must be a whole number"},
           Case{R"({"version":9007199254740993})", "version: is too large to be exact"},
           Case{R"({"version":"18446744073709551616"})", "version: must be a whole number"},
           Case{R"({"governance":{"threshold":4294967296}})",
                "governance.threshold: is out of range for uint32"},
           Case{R"({"logVerifierKey":5})", "logVerifierKey: must be a string"},
           Case{R"({"governance":"x"})", "governance: must be an object"},
           Case{R"({"products":{}})", "products: must be a list"},
           Case{R"({"products":[{"requiredTests":"rollback"}]})",
                "products[0].requiredTests: must be a list"},
           Case{R"({"products":[{"requiredTests":["a",null]}]})",
                "products[0].requiredTests[1]: must not be null"},
           Case{R"({"products":[{"name":"a","name":"b"}]})", "duplicate key"},
           Case{R"({"logVerifierKey":"a","log_verifier_key":"b"})",
                "given twice, as \"logVerifierKey\" and \"log_verifier_key\""},
           Case{R"({"issued":"2026-01-01T00:00:00"})", "issued: must be an RFC 3339 time"},
           Case{R"({"issued":{"seconds":5}})", "issued: must be an RFC 3339 time"},
           Case{R"({"issued":"2026-02-30T00:00:00Z"})", "issued: must be an RFC 3339 time"},
       }) {
    std::string json = c.json;
    CAPTURE(json);
    std::string err = PolicyError(json);
    CHECK_MESSAGE(err.find(c.message) != std::string::npos, err);
    bool named = err.find("does not match the TrustPolicy schema") != std::string::npos ||
                 err.find("invalid JSON") != std::string::npos;
    CHECK(named);
  }
}

TEST_CASE("json mapping: with several bad fields the same one is reported every time") {
  const std::string text = R"({"zeta":1,"version":"x","alpha":2,"issued":5,"governance":"g"})";
  std::string first = PolicyError(text);
  CHECK(first.find("alpha: no such field") != std::string::npos);
  for (int i = 0; i < 50; ++i) CHECK(PolicyError(text) == first);
}

TEST_CASE("json mapping: a schema with an enum is left to protobuf's parser, still strictly") {
  v1::Event e;
  auto ok =
      policy::ParseJsonMessage(R"({"sequence":"7","kind":"EVENT_KIND_SIGNING"})", &e, "event");
  REQUIRE(ok.ok());
  CHECK(e.sequence() == 7);
  CHECK(e.kind() == v1::EVENT_KIND_SIGNING);
  auto bad = policy::ParseJsonMessage(R"({"kind":"EVENT_KIND_NOPE"})", &e, "event");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.failure().message.find("does not match the Event schema") != std::string::npos);
  // The strict syntax check still comes first.
  auto dup = policy::ParseJsonMessage(R"({"time":"a","time":"b"})", &e, "event");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.failure().reason == policy::Reason::kInputDuplicateKey);
}

}  // namespace
}  // namespace sr::testing
