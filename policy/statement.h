// in-toto Statement (v1, and the legacy v0.1 real builders still emit) carried
// in a DSSE envelope of payloadType application/vnd.in-toto+json, and the
// comparison of its subjects with the artifacts presented. Pure, thread-safe.
#ifndef STRONGROOM_POLICY_STATEMENT_H_
#define STRONGROOM_POLICY_STATEMENT_H_

#include <google/protobuf/struct.pb.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "policy/dsse.h"
#include "policy/reason.h"

namespace sr::policy {

inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kStatementV1 = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kStatementV01 = "https://in-toto.io/Statement/v0.1";
inline constexpr std::size_t kMaxSubjects = 1024;

// An artifact presented for signing: its name and lower-case hex SHA-256.
struct Artifact {
  std::string name;
  std::string sha256;
};

struct Subject {
  std::string name;
  std::map<std::string, std::string> digest;  // algorithm -> lower-case hex
};

struct Statement {
  std::string type;  // _type
  std::vector<Subject> subjects;
  std::string predicate_type;
  google::protobuf::Struct predicate;
};

// Parses the envelope's payload as a Statement. The payloadType must be
// application/vnd.in-toto+json (else kInputUnknownPayloadType); _type must be
// Statement v1 or v0.1 (kStatementWrongType); predicateType must be one of
// `predicate_types` (kStatementWrongPredicateType); every subject needs a
// digest with at least one entry and digests must be hex (kInputBadField).
Checked<Statement> ParseStatement(const Envelope& env, std::string_view input,
                                  const std::vector<std::string_view>& predicate_types);

// Serializes an in-toto Statement v1 (JSON, one subject per line): subjects
// are the artifacts (name + sha256), predicate is predicate_json, which must
// be a JSON object (e.g. a protobuf message printed with the JSON mapping).
std::string StatementJson(const std::vector<Artifact>& subjects, std::string_view predicate_type,
                          std::string_view predicate_json);

// Describes every difference between the subjects' sha256 digests and the
// artifacts' ("" when they are the same set): a missing artifact, an extra
// subject, or a subject without sha256. Names are not compared (builders name
// files differently from the release); digests are.
std::string SubjectDifference(const std::vector<Subject>& subjects,
                              const std::vector<Artifact>& artifacts);

// "" when every subject's sha256 is one of the artifacts and there is at
// least one subject; else a description (used for test evidence, which may
// cover a subset of the artifacts).
std::string SubjectNotWithin(const std::vector<Subject>& subjects,
                             const std::vector<Artifact>& artifacts);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_STATEMENT_H_
