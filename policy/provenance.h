// Build provenance: SLSA Provenance v1 (and v0.2) in an in-toto Statement
// (v1 or v0.1). Extracts what the gate checks: builder.id, buildType, the
// source repository and the source revision (ref and commit). Pure.
#ifndef STRONGROOM_POLICY_PROVENANCE_H_
#define STRONGROOM_POLICY_PROVENANCE_H_

#include <string>
#include <string_view>

#include "policy/statement.h"

namespace sr::policy {

inline constexpr std::string_view kSlsaProvenanceV1 = "https://slsa.dev/provenance/v1";
inline constexpr std::string_view kSlsaProvenanceV02 = "https://slsa.dev/provenance/v0.2";

struct Provenance {
  Statement statement;
  std::string slsa_version;       // "v1" or "v0.2"
  std::string builder_id;         // runDetails.builder.id (v1) / builder.id (v0.2)
  std::string build_type;         // buildDefinition.buildType (v1) / buildType (v0.2)
  std::string source_repository;  // normalized: no "git+" prefix, no "@ref"
  std::string source_ref;         // e.g. refs/tags/v14 ("" if unknown)
  std::string source_commit;      // gitCommit / sha1 digest of the source ("" if unknown)
};

// Source repository: v1 buildDefinition.externalParameters.workflow.repository,
// else the first resolvedDependencies[].uri starting with "git+"; v0.2
// invocation.configSource.uri, else the first materials[].uri with "git+".
// Missing builder.id or buildType is kInputMissingField.
Checked<Provenance> ParseProvenance(const Envelope& env, std::string_view input);

// "git+https://host/repo@refs/tags/v1" -> {"https://host/repo", "refs/tags/v1"}.
void SplitSourceUri(std::string_view uri, std::string* repo, std::string* ref);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_PROVENANCE_H_
