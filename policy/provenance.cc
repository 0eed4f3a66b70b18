#include "policy/provenance.h"

#include "policy/json.h"

namespace sr::policy {
namespace pb = google::protobuf;

void SplitSourceUri(std::string_view uri, std::string* repo, std::string* ref) {
  if (uri.starts_with("git+")) uri.remove_prefix(4);
  // The ref follows the first '@' in the path (an '@' in the authority is a user name).
  std::size_t scheme = uri.find("://");
  std::size_t path = uri.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  std::size_t at = path == std::string_view::npos ? std::string_view::npos : uri.find('@', path);
  *repo = std::string(uri.substr(0, at));
  *ref = at == std::string_view::npos ? std::string() : std::string(uri.substr(at + 1));
}

namespace {

// The first entry of a ResourceDescriptor list whose uri starts with git+.
const pb::Struct* FirstGitDescriptor(const pb::Struct& parent, std::string_view key) {
  const pb::Value* list = FindField(parent, key);
  if (list == nullptr || list->kind_case() != pb::Value::kListValue) return nullptr;
  for (const pb::Value& v : list->list_value().values()) {
    if (v.kind_case() != pb::Value::kStructValue) continue;
    const pb::Value* uri = FindField(v.struct_value(), "uri");
    if (uri && uri->kind_case() == pb::Value::kStringValue &&
        uri->string_value().starts_with("git+"))
      return &v.struct_value();
  }
  return nullptr;
}

void TakeSource(const pb::Struct& desc, Provenance* p) {
  const pb::Value* uri = FindField(desc, "uri");
  if (uri && uri->kind_case() == pb::Value::kStringValue) {
    std::string repo, ref;
    SplitSourceUri(uri->string_value(), &repo, &ref);
    if (p->source_repository.empty()) p->source_repository = repo;
    if (p->source_ref.empty()) p->source_ref = ref;
  }
  const pb::Value* digest = FindField(desc, "digest");
  if (digest && digest->kind_case() == pb::Value::kStructValue) {
    for (const char* alg : {"gitCommit", "sha1"}) {
      const pb::Value* d = FindField(digest->struct_value(), alg);
      if (d && d->kind_case() == pb::Value::kStringValue && p->source_commit.empty())
        p->source_commit = d->string_value();
    }
  }
}

Checked<bool> ParseV1(const pb::Struct& pred, std::string_view input, Provenance* p) {
  auto def = OptionalObject(pred, "buildDefinition", input, "predicate");
  if (!def.ok()) return def.failure();
  auto run = OptionalObject(pred, "runDetails", input, "predicate");
  if (!run.ok()) return run.failure();
  if (def.value() == nullptr || run.value() == nullptr)
    return MakeFailure(
        Reason::kInputMissingField, input,
        "SLSA v1 provenance needs predicate.buildDefinition and predicate.runDetails");
  auto bt = RequiredString(*def.value(), "buildType", input, "predicate.buildDefinition");
  if (!bt.ok()) return bt.failure();
  p->build_type = bt.value();
  auto builder = OptionalObject(*run.value(), "builder", input, "predicate.runDetails");
  if (!builder.ok()) return builder.failure();
  if (builder.value() == nullptr)
    return MakeFailure(Reason::kInputMissingField, input,
                       "missing field predicate.runDetails.builder");
  auto id = RequiredString(*builder.value(), "id", input, "predicate.runDetails.builder");
  if (!id.ok()) return id.failure();
  p->builder_id = id.value();
  auto ext = OptionalObject(*def.value(), "externalParameters", input, "predicate.buildDefinition");
  if (!ext.ok()) return ext.failure();
  if (ext.value() != nullptr) {
    const pb::Value* wf = FindField(*ext.value(), "workflow");
    if (wf && wf->kind_case() == pb::Value::kStructValue) {
      const pb::Value* repo = FindField(wf->struct_value(), "repository");
      const pb::Value* ref = FindField(wf->struct_value(), "ref");
      if (repo && repo->kind_case() == pb::Value::kStringValue)
        p->source_repository = repo->string_value();
      if (ref && ref->kind_case() == pb::Value::kStringValue) p->source_ref = ref->string_value();
    }
  }
  if (const pb::Struct* dep = FirstGitDescriptor(*def.value(), "resolvedDependencies"))
    TakeSource(*dep, p);
  return true;
}

Checked<bool> ParseV02(const pb::Struct& pred, std::string_view input, Provenance* p) {
  auto builder = OptionalObject(pred, "builder", input, "predicate");
  if (!builder.ok()) return builder.failure();
  if (builder.value() == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field predicate.builder");
  auto id = RequiredString(*builder.value(), "id", input, "predicate.builder");
  if (!id.ok()) return id.failure();
  p->builder_id = id.value();
  auto bt = RequiredString(pred, "buildType", input, "predicate");
  if (!bt.ok()) return bt.failure();
  p->build_type = bt.value();
  auto inv = OptionalObject(pred, "invocation", input, "predicate");
  if (!inv.ok()) return inv.failure();
  if (inv.value() != nullptr) {
    const pb::Value* cs = FindField(*inv.value(), "configSource");
    if (cs && cs->kind_case() == pb::Value::kStructValue) TakeSource(cs->struct_value(), p);
  }
  if (const pb::Struct* m = FirstGitDescriptor(pred, "materials")) TakeSource(*m, p);
  return true;
}

}  // namespace

Checked<Provenance> ParseProvenance(const Envelope& env, std::string_view input) {
  auto st = ParseStatement(env, input, {kSlsaProvenanceV1, kSlsaProvenanceV02});
  if (!st.ok()) return st.failure();
  Provenance p;
  p.statement = std::move(st).value();
  bool v1 = p.statement.predicate_type == kSlsaProvenanceV1;
  p.slsa_version = v1 ? "v1" : "v0.2";
  auto ok =
      v1 ? ParseV1(p.statement.predicate, input, &p) : ParseV02(p.statement.predicate, input, &p);
  if (!ok.ok()) return ok.failure();
  if (p.builder_id.empty() || p.build_type.empty())
    return MakeFailure(Reason::kInputMissingField, input,
                       "builder.id and buildType must not be empty");
  return p;
}

}  // namespace sr::policy
