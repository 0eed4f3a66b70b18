// protobuf's wire format (https://protobuf.dev/programming-guides/encoding/):
// tags, wire types and skipping a field, written on the public
// CodedInputStream. protobuf's own helpers for these (WireFormatLite) are in
// google::protobuf::internal, which strongroom does not use.
#ifndef STRONGROOM_PROTO_WIRE_FORMAT_H_
#define STRONGROOM_PROTO_WIRE_FORMAT_H_

#include <google/protobuf/io/coded_stream.h>

#include <cstdint>

namespace sr::proto {

enum class WireType : std::uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// A tag is (field number << 3) | wire type.
constexpr std::uint32_t MakeTag(int field_number, WireType w) {
  return (static_cast<std::uint32_t>(field_number) << 3) | static_cast<std::uint32_t>(w);
}
constexpr int TagFieldNumber(std::uint32_t tag) { return static_cast<int>(tag >> 3); }
constexpr WireType TagWireType(std::uint32_t tag) { return static_cast<WireType>(tag & 7); }

// Skips the value of the field whose tag was just read from in; a group up to
// its matching end tag (at most 100 nested, protobuf's default limit). False
// on malformed input: a truncated value, an end tag outside its group or of
// another field, wire types 6 and 7. The checks of protobuf's own SkipField.
inline bool SkipField(google::protobuf::io::CodedInputStream* in, std::uint32_t tag,
                      int depth = 0) {
  switch (TagWireType(tag)) {
    case WireType::kVarint: {
      std::uint64_t v;
      return in->ReadVarint64(&v);
    }
    case WireType::kFixed64: {
      std::uint64_t v;
      return in->ReadLittleEndian64(&v);
    }
    case WireType::kLengthDelimited: {
      std::uint32_t length;
      return in->ReadVarint32(&length) && in->Skip(static_cast<int>(length));
    }
    case WireType::kStartGroup: {
      if (depth >= 100) return false;
      while (true) {
        std::uint32_t inner = in->ReadTag();
        if (inner == 0) return false;  // the input ended inside the group
        if (TagWireType(inner) == WireType::kEndGroup)
          return TagFieldNumber(inner) == TagFieldNumber(tag);
        if (!SkipField(in, inner, depth + 1)) return false;
      }
    }
    case WireType::kFixed32: {
      std::uint32_t v;
      return in->ReadLittleEndian32(&v);
    }
    default:  // an end tag outside a group, or wire types 6 and 7
      return false;
  }
}

}  // namespace sr::proto

#endif  // STRONGROOM_PROTO_WIRE_FORMAT_H_
