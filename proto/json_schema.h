// The proto3 JSON mapping of strongroom's messages as plain tables, written
// at build time by proto/json_schema_gen.cc from the messages' descriptors
// (proto/json_schema_table.cc in the build tree). policy/json.cc reads and
// writes JSON against them without building any descriptor at run time:
// protobuf builds a .proto file's descriptors on first use, ~15-45 us a
// file plus ~30 us for the pool, paid by every command that reads a station
// record, a policy or an approval.
// The tables are immutable; everything here is thread-safe.
#ifndef STRONGROOM_PROTO_JSON_SCHEMA_H_
#define STRONGROOM_PROTO_JSON_SCHEMA_H_

#include <google/protobuf/message_lite.h>

#include <cstdint>

namespace sr::proto {

// How a field is written on the wire and in JSON.
enum class JsonKind : std::uint8_t {
  kString,
  kBool,
  kInt32,
  kInt64,
  kUInt32,
  kUInt64,
  kMessage,    // one of the table's messages: JsonField::message
  kTimestamp,  // google.protobuf.Timestamp, an RFC 3339 string in JSON
  kMap,        // map<string, scalar>: JsonField::message is the entry (key 1, value 2)
};

struct JsonField {
  const char* json_name;  // lowerCamelCase, as protobuf derives it
  const char* name;       // as in the .proto file
  std::uint32_t number;
  JsonKind kind;
  bool repeated;          // a list (never for kMap)
  std::int32_t message;   // kMessage, kMap: index in the table; else -1
};

struct JsonMessage {
  const char* full_name;     // e.g. "strongroom.v1.TrustPolicy"
  const char* name;          // short name, e.g. "TrustPolicy"
  const JsonField* fields;   // in field-number order
  std::uint32_t field_count;
  // Every field of this message and of those it holds is one of the kinds
  // above (no enum, bytes, floating point, oneof or other well-known type),
  // and no map (`readable`: policy/json.cc reads it) or maps of string keys
  // to scalars at most (`writable`: policy/json.cc writes it). Integers are
  // the varint kinds strongroom's schemas use (int32, int64, uint32,
  // uint64); a schema with sint or fixed-width fields is left to protobuf's
  // JSON parser and printer.
  bool readable;
  bool writable;
};

// The table entry of m's type; nullptr when m is not one of strongroom's
// messages.
const JsonMessage* JsonSchemaOf(const google::protobuf::MessageLite& m);
// Entry `index` (JsonField::message).
const JsonMessage& JsonSchemaAt(std::int32_t index);
// Number of entries (for tests).
std::int32_t JsonSchemaCount();

}  // namespace sr::proto

#endif  // STRONGROOM_PROTO_JSON_SCHEMA_H_
