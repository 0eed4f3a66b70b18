// A ceremony definition (proto/ceremony.proto): one reviewable file in
// protobuf text format, loaded with a bounded read, parsed strictly (an
// unknown field or a syntax error is named by line and column) and validated
// (roles, participants and their keys, parameters, steps) before anything
// touches the station. The definition's identity is the SHA-256 of the
// file's exact bytes: the bytes governance approves (ceremonies/approval.h).
// Pure and thread-compatible.
#ifndef STRONGROOM_CEREMONIES_DEFINITION_H_
#define STRONGROOM_CEREMONIES_DEFINITION_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "policy/keys.h"
#include "proto/ceremony.pb.h"

namespace sr::ceremonies {

// A definition is a script, not data: 256 KiB is far above any real one.
inline constexpr std::uint64_t kMaxDefinitionBytes = 256u << 10;
inline constexpr std::size_t kMaxSteps = 200;
inline constexpr std::size_t kMaxParticipants = 64;

struct Definition {
  strongroom::v1::Ceremony ceremony;
  std::string bytes;   // the file's exact bytes
  std::string sha256;  // hex SHA-256 of bytes
  std::string source;  // the file name, for messages
  // Each participant's parsed public key, in ceremony.participants order.
  std::vector<policy::PublicKey> keys;
};

// "station-initialization", "key-generation", ... ("" for UNSPECIFIED).
std::string KindName(strongroom::v1::CeremonyKind kind);

// Parses and validates text. kInvalidArgument naming source and, for a
// syntax error, the line and column; for a validation error, the field
// (e.g. "steps[3] (sign).confirm_roles: role \"auditor\" is not defined").
Result<Definition> ParseDefinition(std::string bytes, std::string_view source);
// Reads path (regular file, no symbolic link, at most kMaxDefinitionBytes)
// and parses it.
Result<Definition> LoadDefinition(std::string_view path);

// The parameter names a definition's actions may use that the runner always
// defines: station, workdir, log_pin_source.
bool IsRunnerParameter(std::string_view name);

// The ${name} references in s, in order (a lone "$" or "${" without "}" is
// an error naming s).
Result<std::vector<std::string>> ParameterReferences(std::string_view s);

// s with every ${name} replaced by values.at(name); kInvalidArgument naming
// an undefined parameter.
Result<std::string> Substitute(std::string_view s,
                               const std::map<std::string, std::string>& values);

// A step's action with its parameters substituted: an argument that is
// exactly "${name}" of an optional parameter left empty disappears with the
// "--flag" argument before it; of a list parameter, it becomes one argument
// per comma-separated item, each after a copy of that flag. Every other
// argument as Substitute.
Result<std::vector<std::string>> ExpandAction(const strongroom::v1::Ceremony& c,
                                              const strongroom::v1::CeremonyStep& step,
                                              const std::map<std::string, std::string>& values);

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_DEFINITION_H_
