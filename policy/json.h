// Strict JSON for untrusted inputs. protobuf's JSON parser silently keeps the
// last of duplicate keys, so every document is first checked here: strict
// RFC 8259 syntax, no duplicate object keys (compared after unescaping),
// bounded nesting depth and size, valid UTF-8. Then it is mapped into a
// message.
// All functions are pure and thread-safe.
#ifndef STRONGROOM_POLICY_JSON_H_
#define STRONGROOM_POLICY_JSON_H_

#include <google/protobuf/message.h>
#include <google/protobuf/struct.pb.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "policy/reason.h"

namespace sr::policy {

inline constexpr std::size_t kMaxJsonDepth = 64;
// Bound on any one JSON document or envelope the gate accepts.
inline constexpr std::size_t kMaxDocumentBytes = 4u << 20;

// Checks text against the rules above. On failure the Failure names `input`,
// the byte offset and what was wrong (kInputBadJson, kInputDuplicateKey,
// kInputTooLarge).
Checked<bool> CheckStrictJson(std::string_view text, std::string_view input,
                              std::size_t max_bytes = kMaxDocumentBytes);

// Strict check, then parse into a generic JSON value. The top level must be
// an object.
Checked<google::protobuf::Struct> ParseJsonObject(std::string_view text, std::string_view input,
                                                  std::size_t max_bytes = kMaxDocumentBytes);

// The same, built on `arena`, which owns the result: a statement of a
// thousand subjects is several thousand small messages, much cheaper to
// allocate and to free there.
Checked<google::protobuf::Struct*> ParseJsonObjectOnArena(
    std::string_view text, std::string_view input, google::protobuf::Arena* arena,
    std::size_t max_bytes = kMaxDocumentBytes);

// Strict check, then the proto3 JSON mapping into msg (cleared first);
// unknown fields are errors (kInputBadField names the field). strongroom's
// schemas of integers, bools, strings, nested messages and Timestamps are
// mapped here, against the build-time tables of proto/json_schema.h (no
// descriptor is built) and a little more strictly than protobuf's parser
// (policy/json.cc says where); any other schema by protobuf's parser.
Checked<bool> ParseJsonMessage(std::string_view text, google::protobuf::Message* msg,
                               std::string_view input, std::size_t max_bytes = kMaxDocumentBytes);
// The same mapping from a document already parsed (e.g. a statement's
// predicate).
Checked<bool> StructToMessage(const google::protobuf::Struct& obj, google::protobuf::Message* msg,
                              std::string_view input);

// Accessors on parsed objects. `path` is the dotted location used in messages.
const google::protobuf::Value* FindField(const google::protobuf::Struct& obj, std::string_view key);
// A required string field (kInputMissingField / kInputBadField).
Checked<std::string> RequiredString(const google::protobuf::Struct& obj, std::string_view key,
                                    std::string_view input, std::string_view path);
// A required string field holding base64 (either alphabet), decoded
// (kInputMissingField / kInputBadField / kInputBadBase64).
Checked<std::string> RequiredBase64(const google::protobuf::Struct& obj, std::string_view key,
                                    std::string_view input, std::string_view path);
// An optional string field: "" when absent; kInputBadField when not a string.
Checked<std::string> OptionalString(const google::protobuf::Struct& obj, std::string_view key,
                                    std::string_view input, std::string_view path);
// An optional nested object (nullptr when absent); kInputBadField when not an object.
Checked<const google::protobuf::Struct*> OptionalObject(const google::protobuf::Struct& obj,
                                                        std::string_view key,
                                                        std::string_view input,
                                                        std::string_view path);

// The proto3 JSON form of msg, as protobuf's MessageToJsonString writes it
// with its default options (the bytes are the same but for which non-ASCII
// characters are escaped). The schemas ParseJsonMessage maps itself, plus
// maps of string keys to scalars, are written here from the message's wire
// format and its table: protobuf 3.21's printer converts every descriptor to
// a google.protobuf.Type and builds descriptor.proto first, ~0.1-0.3 ms;
// others by protobuf.
std::string MessageToJson(const google::protobuf::Message& msg);

// Serializes a Struct back to JSON (for re-parsing a sub-object into a message).
std::string StructToJson(const google::protobuf::Struct& obj);

Failure MakeFailure(Reason reason, std::string_view input, std::string message);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_JSON_H_
