#include "policy/json.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "proto/json_schema.h"
#include "proto/wire_format.h"

namespace sr::policy {
namespace {

namespace pb = google::protobuf;

// A recursive-descent validator. Given a pb::Value it also builds the
// document into it, so a document is read once: protobuf's own JSON parser
// is several times slower, and a release of a thousand artifacts has
// statements of a thousand subjects.
//
// Why strongroom has its own and does not hand signed inputs to protobuf's
// JSON parser (google::protobuf::util::JsonStringToMessage): that parser is
// lenient where a signed document must not be. It accepts an object that
// repeats a key and keeps the last value, so a reviewer's tool that keeps
// the first would show one document while the gate acts on another; and it
// takes what follows the value, and numbers out of a double's range. Here a
// document is refused unless it is strict RFC 8259 (nothing after the
// value), with every key once per object after unescaping, nesting at most
// kMaxJsonDepth, valid UTF-8 (no lone surrogates in escapes), and numbers
// that are exact where an integer is meant (tests/policy/json_test.cc,
// json_mapping_test.cc). A general-purpose parser in its place would not
// remove this code: simdjson, for one, checks syntax, depth and UTF-8 but
// keeps duplicate keys and knows nothing of which numbers must be exact
// integers, so those rules would remain, as a second walk over its result
// (measured: docs/performance.md, "The strict JSON validator and simdjson").
class Validator {
 public:
  explicit Validator(std::string_view text) : s_(text) {}

  // Returns "" when valid, else a description with the byte offset.
  std::string Run(pb::Value* out = nullptr) {
    SkipWs();
    if (!Value(0, out)) return error_;
    SkipWs();
    if (pos_ != s_.size()) {
      Error("unexpected data after the JSON value");
      return error_;
    }
    return "";
  }
  bool duplicate() const { return duplicate_; }

 private:
  bool Error(std::string_view what, bool dup = false) {
    if (error_.empty()) {
      error_ = std::string(what) + " at byte " + std::to_string(pos_);
      duplicate_ = dup;
    }
    return false;
  }
  void SkipWs() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return Error("invalid literal");
    pos_ += word.size();
    return true;
  }
  bool Value(std::size_t depth, pb::Value* out) {
    if (depth > kMaxJsonDepth) return Error("nesting deeper than 64 levels");
    if (pos_ >= s_.size()) return Error("unexpected end of input");
    char c = s_[pos_];
    if (c == '{') return Object(depth + 1, out ? out->mutable_struct_value() : nullptr);
    if (c == '[') return Array(depth + 1, out ? out->mutable_list_value() : nullptr);
    if (c == '"') {
      std::string ignored;
      return String(out ? out->mutable_string_value() : &ignored);
    }
    if (c == 't' || c == 'f') {
      if (out) out->set_bool_value(c == 't');
      return Literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      if (out) out->set_null_value(pb::NULL_VALUE);
      return Literal("null");
    }
    std::size_t start = pos_;
    if (!Number()) return false;
    if (out) {
      std::string num(s_.substr(start, pos_ - start));
      errno = 0;
      double d = std::strtod(num.c_str(), nullptr);
      if (errno == ERANGE && (d > 1 || d < -1)) return Error("number out of range");
      out->set_number_value(d);
    }
    return true;
  }
  bool Object(std::size_t depth, pb::Struct* out) {
    ++pos_;
    // Duplicate keys: the Struct being built knows its keys; without one, a
    // set of them (only when validating without building).
    std::set<std::string> keys;
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Error("expected an object key");
      std::size_t key_pos = pos_;
      std::string key;
      if (!String(&key)) return false;
      pb::Value* slot = nullptr;
      bool fresh = true;
      if (out) {
        auto [it, inserted] = out->mutable_fields()->try_emplace(key);
        slot = &it->second;
        fresh = inserted;
      } else {
        fresh = keys.insert(key).second;
      }
      if (!fresh) {
        pos_ = key_pos;
        return Error("duplicate key \"" + key.substr(0, 64) + "\"", true);
      }
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Error("expected ':'");
      ++pos_;
      SkipWs();
      if (!Value(depth, slot)) return false;
      SkipWs();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Error("expected ',' or '}'");
    }
  }
  bool Array(std::size_t depth, pb::ListValue* out) {
    ++pos_;
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipWs();
      if (!Value(depth, out ? out->add_values() : nullptr)) return false;
      SkipWs();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Error("expected ',' or ']'");
    }
  }
  static void AppendUtf8(std::string* out, unsigned cp) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  bool Hex4(unsigned* v) {
    if (pos_ + 4 > s_.size()) return Error("truncated \\u escape");
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      *v <<= 4;
      if (c >= '0' && c <= '9')
        *v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        *v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        *v |= c - 'A' + 10;
      else
        return Error("bad \\u escape");
    }
    return true;
  }
  bool Escape(std::string* out) {
    if (pos_ >= s_.size()) return Error("unterminated string");
    char e = s_[pos_++];
    switch (e) {
      case '"':
        *out += '"';
        return true;
      case '\\':
        *out += '\\';
        return true;
      case '/':
        *out += '/';
        return true;
      case 'b':
        *out += '\b';
        return true;
      case 'f':
        *out += '\f';
        return true;
      case 'n':
        *out += '\n';
        return true;
      case 'r':
        *out += '\r';
        return true;
      case 't':
        *out += '\t';
        return true;
      case 'u':
        break;
      default:
        return Error("bad escape in string");
    }
    unsigned cp = 0;
    if (!Hex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Error("lone low surrogate in string");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned lo = 0;
      if (s_.substr(pos_, 2) != "\\u") return Error("lone high surrogate in string");
      pos_ += 2;
      if (!Hex4(&lo)) return false;
      if (lo < 0xDC00 || lo > 0xDFFF) return Error("bad surrogate pair in string");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    AppendUtf8(out, cp);
    return true;
  }
  // Validates one UTF-8 sequence starting at pos_ and appends it.
  bool Utf8(std::string* out) {
    auto b = static_cast<unsigned char>(s_[pos_]);
    std::size_t n = b < 0x80           ? 1
                    : (b >> 5) == 0x6  ? 2
                    : (b >> 4) == 0xE  ? 3
                    : (b >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || pos_ + n > s_.size()) return Error("invalid UTF-8 in string");
    unsigned cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t i = 1; i < n; ++i) {
      auto c = static_cast<unsigned char>(s_[pos_ + i]);
      if ((c & 0xC0) != 0x80) return Error("invalid UTF-8 in string");
      cp = (cp << 6) | (c & 0x3F);
    }
    static const unsigned kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return Error("invalid UTF-8 in string");
    out->append(s_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool String(std::string* out) {
    ++pos_;  // opening quote
    for (;;) {
      // A run of printable ASCII, the common case (base64, hex, names), is
      // copied at once; only quotes, escapes, controls and multi-byte
      // sequences go one by one.
      std::size_t run = pos_;
      // Eight bytes at a time while none of them can end the run: the
      // "has a byte less than n" and "has a zero byte" bit tricks (exact
      // about whether there is one), for < 0x20, '"' and '\\'; the high bit
      // for multi-byte sequences. Then byte by byte up to the one that does.
      constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHighs = kOnes * 0x80;
      auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
      while (run + 8 <= s_.size()) {
        std::uint64_t w;
        std::memcpy(&w, s_.data() + run, 8);
        if ((w & kHighs) | ((w - kOnes * 0x20) & ~w & kHighs) | has_zero(w ^ (kOnes * '"')) |
            has_zero(w ^ (kOnes * '\\')))
          break;
        run += 8;
      }
      while (run < s_.size()) {
        auto b = static_cast<unsigned char>(s_[run]);
        if (b < 0x20 || b >= 0x80 || b == '"' || b == '\\') break;
        ++run;
      }
      out->append(s_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= s_.size()) return Error("unterminated string");
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in string");
      if (c == '\\') {
        ++pos_;
        if (!Escape(out)) return false;
      } else if (!Utf8(out)) {
        return false;
      }
    }
  }
  bool Digits() {
    std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }
  bool Number() {
    if (s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else if (!Digits()) {
      return Error("invalid value");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!Digits()) return Error("invalid number");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!Digits()) return Error("invalid number");
    }
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string error_;
  bool duplicate_ = false;
};

}  // namespace

Failure MakeFailure(Reason reason, std::string_view input, std::string message) {
  return Failure{reason, std::string(input), std::move(message)};
}

Checked<bool> CheckStrictJson(std::string_view text, std::string_view input,
                              std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return MakeFailure(Reason::kInputTooLarge, input,
                       "the document is " + std::to_string(text.size()) + " bytes; the limit is " +
                           std::to_string(max_bytes));
  }
  Validator v(text);
  std::string err = v.Run();
  if (!err.empty()) {
    return MakeFailure(v.duplicate() ? Reason::kInputDuplicateKey : Reason::kInputBadJson, input,
                       "invalid JSON: " + err);
  }
  return true;
}

namespace {

// Validates text and builds it into *doc (a Value on the heap or on an arena).
Checked<bool> BuildJsonObject(std::string_view text, std::string_view input, std::size_t max_bytes,
                              pb::Value* doc) {
  if (text.size() > max_bytes) return CheckStrictJson(text, input, max_bytes).failure();
  std::size_t i = text.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || text[i] != '{') {
    auto ok = CheckStrictJson(text, input, max_bytes);
    if (!ok.ok()) return ok.failure();
  }
  if (i == std::string_view::npos || text[i] != '{')
    return MakeFailure(Reason::kInputBadJson, input, "the document is not a JSON object");
  Validator v(text);
  std::string err = v.Run(doc);
  if (!err.empty()) {
    return MakeFailure(v.duplicate() ? Reason::kInputDuplicateKey : Reason::kInputBadJson, input,
                       "invalid JSON: " + err);
  }
  return true;
}

}  // namespace

Checked<google::protobuf::Struct> ParseJsonObject(std::string_view text, std::string_view input,
                                                  std::size_t max_bytes) {
  pb::Value doc;
  auto ok = BuildJsonObject(text, input, max_bytes, &doc);
  if (!ok.ok()) return ok.failure();
  return std::move(*doc.mutable_struct_value());
}

Checked<google::protobuf::Struct*> ParseJsonObjectOnArena(std::string_view text,
                                                          std::string_view input,
                                                          google::protobuf::Arena* arena,
                                                          std::size_t max_bytes) {
  pb::Value* doc = pb::Arena::CreateMessage<pb::Value>(arena);
  auto ok = BuildJsonObject(text, input, max_bytes, doc);
  if (!ok.ok()) return ok.failure();
  return doc->mutable_struct_value();
}

namespace {

using proto::JsonField;
using proto::JsonKind;
using proto::JsonMessage;

using proto::WireType;

// Protobuf wire format (https://protobuf.dev/programming-guides/encoding/),
// written with protobuf's varint encoder and proto/wire_format.h's tags.
void PutVarint(std::uint64_t v, std::string* out) {
  std::uint8_t buf[10];  // the longest 64-bit varint
  std::uint8_t* end = pb::io::CodedOutputStream::WriteVarint64ToArray(v, buf);
  out->append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(end - buf));
}
void PutTag(const JsonField& f, WireType w, std::string* out) {
  PutVarint(proto::MakeTag(static_cast<int>(f.number), w), out);
}
void PutLength(const JsonField& f, std::string_view bytes, std::string* out) {
  PutTag(f, WireType::kLengthDelimited, out);
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

// Read with protobuf's CodedInputStream over one contiguous buffer, as
// log/verify.cc's ScanEvent does.
class WireReader {
 public:
  explicit WireReader(std::string_view in)
      : in_(in),
        s_(reinterpret_cast<const std::uint8_t*>(in.data()), static_cast<int>(in.size())) {}
  // The next tag; 0 at the end or on a malformed tag (at_end() tells which).
  std::uint32_t Tag() { return s_.ReadTag(); }
  bool at_end() { return s_.CurrentPosition() == static_cast<int>(in_.size()); }
  bool Varint(std::uint64_t* v) { return s_.ReadVarint64(v); }
  // A length-delimited value, as a view of the input.
  bool Bytes(std::string_view* v) {
    int n = 0;
    if (!s_.ReadVarintSizeAsInt(&n)) return false;
    int at = s_.CurrentPosition();
    if (!s_.Skip(n)) return false;
    *v = in_.substr(static_cast<std::size_t>(at), static_cast<std::size_t>(n));
    return true;
  }
  // Skips the value of a field the table does not know (unknown fields a
  // message kept from a newer writer's bytes).
  bool Skip(std::uint32_t tag) { return proto::SkipField(&s_, tag); }

 private:
  std::string_view in_;
  pb::io::CodedInputStream s_;
};

const JsonField* FieldByNumber(const JsonMessage& m, int number) {
  for (std::uint32_t i = 0; i < m.field_count; ++i)
    if (static_cast<int>(m.fields[i].number) == number) return &m.fields[i];
  return nullptr;
}

// The proto3 JSON form of one message, from its wire format (as protobuf's
// serializer writes it, in field-number order; it leaves default values
// out, so this does too), as protobuf's printer writes it by default:
// fields in number order under their JSON names, 64-bit integers as
// strings, Timestamps in RFC 3339, map entries by key.
bool WriteMessage(const JsonMessage& m, std::string_view wire, std::string* out);

// One scalar of kind k, read from r as wire type w.
bool WriteScalar(JsonKind k, WireType w, WireReader& r, std::string* out) {
  std::uint64_t v = 0;
  std::string_view b;
  if (k == JsonKind::kString) {
    if (w != WireType::kLengthDelimited || !r.Bytes(&b)) return false;
    *out += '"';
    *out += JsonEscape(b);
    *out += '"';
    return true;
  }
  if (w != WireType::kVarint || !r.Varint(&v)) return false;
  switch (k) {
    case JsonKind::kBool:
      *out += v != 0 ? "true" : "false";
      break;
    case JsonKind::kInt32:
      *out += std::to_string(static_cast<std::int32_t>(v));
      break;
    case JsonKind::kUInt32:
      *out += std::to_string(static_cast<std::uint32_t>(v));
      break;
    case JsonKind::kInt64:
      *out += '"' + std::to_string(static_cast<std::int64_t>(v)) + '"';
      break;
    default:  // uint64
      *out += '"' + std::to_string(v) + '"';
  }
  return true;
}

bool IsNumeric(JsonKind k) {
  return k != JsonKind::kString && k != JsonKind::kMessage && k != JsonKind::kTimestamp &&
         k != JsonKind::kMap;
}

// One value of f (an item, if repeated) of wire type w.
bool WriteValue(const JsonField& f, WireType w, WireReader& r, std::string* out) {
  if (f.kind != JsonKind::kMessage && f.kind != JsonKind::kTimestamp)
    return WriteScalar(f.kind, w, r, out);
  std::string_view sub;
  if (w != WireType::kLengthDelimited || !r.Bytes(&sub)) return false;
  if (f.kind == JsonKind::kMessage) return WriteMessage(proto::JsonSchemaAt(f.message), sub, out);
  pb::Timestamp ts;
  if (!ts.ParseFromArray(sub.data(), static_cast<int>(sub.size()))) return false;
  *out += '"' + pb::util::TimeUtil::ToString(ts) + '"';
  return true;
}

// A map entry (key 1, value 2, either absent when default) as "key":value.
bool WriteMapEntry(const JsonMessage& entry, std::string_view wire, std::string* key,
                   std::string* value) {
  const JsonField& value_field = entry.fields[1];
  bool have_value = false;
  WireReader r(wire);
  while (std::uint32_t tag = r.Tag()) {
    WireType w = proto::TagWireType(tag);
    std::string_view k;
    if (proto::TagFieldNumber(tag) == 1) {
      if (w != WireType::kLengthDelimited || !r.Bytes(&k)) return false;
      *key = std::string(k);
    } else if (proto::TagFieldNumber(tag) == 2) {
      value->clear();
      if (!WriteValue(value_field, w, r, value)) return false;
      have_value = true;
    } else if (!r.Skip(tag)) {
      return false;
    }
  }
  if (!r.at_end()) return false;
  if (!have_value) {  // the value's default, as protobuf prints it
    *value = value_field.kind == JsonKind::kString ? "\"\""
             : value_field.kind == JsonKind::kBool ? "false"
             : value_field.kind == JsonKind::kInt64 || value_field.kind == JsonKind::kUInt64
                 ? "\"0\""
                 : "0";
  }
  return true;
}

bool WriteMessage(const JsonMessage& m, std::string_view wire, std::string* out) {
  // Each field's values, in the order met.
  struct Seen {
    const JsonField* field;
    std::string json;  // the value, or a list's items (each at least one character)
    std::vector<std::pair<std::string, std::string>> entries;  // a map's, as JSON
  };
  std::vector<Seen> seen;
  WireReader r(wire);
  while (std::uint32_t tag = r.Tag()) {
    WireType w = proto::TagWireType(tag);
    const JsonField* f = FieldByNumber(m, proto::TagFieldNumber(tag));
    if (f == nullptr) {  // unknown to the schema: not part of the JSON form
      if (!r.Skip(tag)) return false;
      continue;
    }
    auto at = std::find_if(seen.begin(), seen.end(), [&](const Seen& x) { return x.field == f; });
    Seen& s = at != seen.end() ? *at : seen.emplace_back(Seen{f, {}, {}});
    if (f->kind == JsonKind::kMap) {
      std::string_view entry;
      if (w != WireType::kLengthDelimited || !r.Bytes(&entry)) return false;
      std::pair<std::string, std::string> kv;
      if (!WriteMapEntry(proto::JsonSchemaAt(f->message), entry, &kv.first, &kv.second))
        return false;
      s.entries.push_back(std::move(kv));
    } else if (f->repeated && w == WireType::kLengthDelimited && IsNumeric(f->kind)) {
      std::string_view packed;
      if (!r.Bytes(&packed)) return false;
      WireReader items(packed);
      while (!items.at_end()) {
        if (!s.json.empty()) s.json += ',';
        if (!WriteScalar(f->kind, WireType::kVarint, items, &s.json)) return false;
      }
    } else {
      if (f->repeated && !s.json.empty()) s.json += ',';
      if (!f->repeated) s.json.clear();  // a singular field met twice: the last counts
      if (!WriteValue(*f, w, r, &s.json)) return false;
    }
  }
  if (!r.at_end()) return false;
  std::sort(seen.begin(), seen.end(),
            [](const Seen& a, const Seen& b) { return a.field->number < b.field->number; });
  *out += '{';
  for (std::size_t i = 0; i < seen.size(); ++i) {
    Seen& s = seen[i];
    if (i > 0) *out += ',';
    *out += '"';
    *out += s.field->json_name;
    *out += "\":";
    if (s.field->kind == JsonKind::kMap) {
      auto& entries = s.entries;
      // Keys once each (the last wins, as when parsing), in order.
      std::stable_sort(entries.begin(), entries.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      *out += '{';
      for (std::size_t k = 0; k < entries.size(); ++k) {
        if (k + 1 < entries.size() && entries[k + 1].first == entries[k].first) continue;
        if (out->back() != '{') *out += ',';
        *out += '"' + JsonEscape(entries[k].first) + "\":" + entries[k].second;
      }
      *out += '}';
    } else if (s.field->repeated) {
      *out += '[' + s.json + ']';
    } else {
      *out += s.json;
    }
  }
  *out += '}';
  return true;
}

// The proto3 JSON mapping (https://protobuf.dev/programming-guides/json/)
// from a document already read by the strict validator into a message, led
// by the message's table (proto/json_schema.h): protobuf 3.21's own parser
// re-reads the text and converts each message's descriptor to a
// google.protobuf.Type on every call, which cost more than the rest of
// loading a policy. Fields are found by their JSON name or their proto
// name; unknown fields are errors. It is stricter than protobuf's parser
// where that parser is lenient beyond the mapping: a repeated field must be
// a list (protobuf also takes one bare value), list elements must not be
// null, a field may not be given under both its names, a Timestamp must be
// an RFC 3339 string, an integer written as a JSON number must be exact in
// a double (64-bit values beyond 2^53 must be written as strings, as
// protobuf writes them), and an integer string is digits with an optional
// '-'. Everything it accepts, protobuf's parser accepts with the same
// meaning (tests/policy/json_mapping_test.cc).
class StructReader {
 public:
  explicit StructReader(bool sorted) : sorted_(sorted) {}
  const std::string& error() const { return error_; }

  // Appends the protobuf encoding of obj, read as an m, to out; the message
  // is then parsed from it by its generated code.
  bool Object(const pb::Struct& obj, const JsonMessage& m, const std::string& path,
              std::string* out) {
    std::vector<const pb::MapPair<std::string, pb::Value>*> fields;
    fields.reserve(obj.fields().size());
    for (const auto& kv : obj.fields()) fields.push_back(&kv);
    if (sorted_)
      std::sort(fields.begin(), fields.end(), [](auto* a, auto* b) { return a->first < b->first; });
    std::vector<std::uint32_t> given;
    for (const auto* kv : fields) {
      const JsonField* f = nullptr;
      for (std::uint32_t i = 0; i < m.field_count && f == nullptr; ++i)
        if (kv->first == m.fields[i].json_name || kv->first == m.fields[i].name) f = &m.fields[i];
      std::string where = path.empty() ? kv->first : path + "." + kv->first;
      if (f == nullptr) return Fail(where, "no such field in " + std::string(m.name));
      if (std::find(given.begin(), given.end(), f->number) != given.end())
        return Fail(where, "given twice, as \"" + std::string(f->json_name) + "\" and \"" +
                               std::string(f->name) + "\"");
      given.push_back(f->number);
      const pb::Value& v = kv->second;
      if (v.kind_case() == pb::Value::kNullValue) continue;  // null: the default
      if (!f->repeated) {
        if (!Set(*f, v, where, out)) return false;
        continue;
      }
      if (v.kind_case() != pb::Value::kListValue) return Fail(where, "must be a list");
      const auto& items = v.list_value().values();
      for (int i = 0; i < items.size(); ++i) {
        std::string at = where + "[" + std::to_string(i) + "]";
        if (items[i].kind_case() == pb::Value::kNullValue) return Fail(at, "must not be null");
        if (!Set(*f, items[i], at, out)) return false;
      }
    }
    return true;
  }

 private:
  bool Fail(const std::string& where, const std::string& what) {
    error_ = where + ": " + what;
    return false;
  }

  // Appends f (one item of it, if repeated) from v.
  bool Set(const JsonField& f, const pb::Value& v, const std::string& where, std::string* out) {
    switch (f.kind) {
      case JsonKind::kString:
        if (v.kind_case() != pb::Value::kStringValue) return Fail(where, "must be a string");
        PutLength(f, v.string_value(), out);
        return true;
      case JsonKind::kBool:
        if (v.kind_case() != pb::Value::kBoolValue) return Fail(where, "must be true or false");
        PutTag(f, WireType::kVarint, out);
        PutVarint(v.bool_value() ? 1 : 0, out);
        return true;
      case JsonKind::kTimestamp: {
        pb::Timestamp ts;
        std::string sub;
        if (v.kind_case() != pb::Value::kStringValue ||
            !pb::util::TimeUtil::FromString(v.string_value(), &ts))
          return Fail(where, "must be an RFC 3339 time, e.g. \"2026-11-22T07:40:00Z\"");
        if (!ts.SerializeToString(&sub)) return Fail(where, "cannot be encoded");
        PutLength(f, sub, out);
        return true;
      }
      case JsonKind::kMessage: {
        std::string sub;
        if (v.kind_case() != pb::Value::kStructValue) return Fail(where, "must be an object");
        if (!Object(v.struct_value(), proto::JsonSchemaAt(f.message), where, &sub)) return false;
        PutLength(f, sub, out);
        return true;
      }
      case JsonKind::kMap:  // not in a readable message
        return Fail(where, "is a map, which this mapping does not read");
      default:
        break;
    }
    bool is_signed = f.kind == JsonKind::kInt32 || f.kind == JsonKind::kInt64;
    bool is_wide = f.kind == JsonKind::kInt64 || f.kind == JsonKind::kUInt64;
    // The largest magnitude allowed, positive and negative.
    std::uint64_t hi =
        is_wide ? (is_signed ? INT64_MAX : UINT64_MAX) : (is_signed ? INT32_MAX : UINT32_MAX);
    std::uint64_t lo = !is_signed ? 0 : is_wide ? std::uint64_t{1} << 63 : std::uint64_t{1} << 31;
    bool negative = false;
    std::uint64_t magnitude = 0;
    if (v.kind_case() == pb::Value::kNumberValue) {
      double x = v.number_value();
      constexpr double kExact = 9007199254740992.0;  // 2^53
      if (!(std::trunc(x) == x)) return Fail(where, "must be a whole number");
      if (x >= kExact || x <= -kExact)  // 2^53 itself may be a rounded 2^53 + 1
        return Fail(where, "is too large to be exact as a JSON number; write it as a string");
      negative = x < 0;
      magnitude = static_cast<std::uint64_t>(negative ? -x : x);
    } else if (v.kind_case() == pb::Value::kStringValue) {
      std::string_view t = v.string_value();
      negative = !t.empty() && t[0] == '-' && is_signed;
      if (negative) t.remove_prefix(1);
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), magnitude);
      if (t.empty() || t[0] < '0' || t[0] > '9' || ec != std::errc() || end != t.data() + t.size())
        return Fail(where, "must be a whole number");
    } else {
      return Fail(where, "must be a whole number");
    }
    if (negative ? magnitude > lo : magnitude > hi)
      return Fail(
          where, std::string("is out of range for ") +
                     (is_signed ? (is_wide ? "int64" : "int32") : (is_wide ? "uint64" : "uint32")));
    // A varint of the two's complement of the value as a 64-bit word (a
    // negative int32 is sign-extended, as protobuf encodes it).
    PutTag(f, WireType::kVarint, out);
    PutVarint(negative ? 0 - magnitude : magnitude, out);
    return true;
  }

  bool sorted_;
  std::string error_;
};

Failure SchemaFailure(std::string_view schema, std::string_view input, std::string_view what) {
  return MakeFailure(Reason::kInputBadField, input,
                     "does not match the " + std::string(schema) + " schema: " + std::string(what));
}

// protobuf's parser, for the schemas the tables do not cover.
Checked<bool> ProtobufJson(std::string_view json, pb::Message* msg, std::string_view input) {
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), msg, opts);
  if (!st.ok())
    return SchemaFailure(msg->GetDescriptor()->name(), input, std::string(st.message()));
  return true;
}

// StructReader on a schema it covers.
Checked<bool> ReadStruct(const pb::Struct& obj, const JsonMessage& m, pb::Message* msg,
                         std::string_view input) {
  msg->Clear();
  std::string wire;
  if (StructReader(false).Object(obj, m, "", &wire)) {
    if (msg->ParsePartialFromString(wire)) return true;
    msg->Clear();
    return SchemaFailure(m.name, input, "a value cannot be stored in its field");
  }
  // Fields are visited in the map's order, which varies; the error reported
  // is the one of the first bad field by name, so it is the same every time.
  StructReader sorted(true);
  wire.clear();
  sorted.Object(obj, m, "", &wire);
  return SchemaFailure(m.name, input, sorted.error());
}

// The table of msg's type when StructReader reads it, else nullptr.
const JsonMessage* Readable(const pb::Message& msg) {
  const JsonMessage* m = proto::JsonSchemaOf(msg);
  return m != nullptr && m->readable ? m : nullptr;
}

}  // namespace

Checked<bool> StructToMessage(const pb::Struct& obj, pb::Message* msg, std::string_view input) {
  const JsonMessage* m = Readable(*msg);
  if (m == nullptr) return ProtobufJson(StructToJson(obj), msg, input);
  return ReadStruct(obj, *m, msg, input);
}

Checked<bool> ParseJsonMessage(std::string_view text, google::protobuf::Message* msg,
                               std::string_view input, std::size_t max_bytes) {
  const JsonMessage* m = Readable(*msg);
  if (m == nullptr) {  // protobuf's parser, on the text itself
    auto ok = CheckStrictJson(text, input, max_bytes);
    if (!ok.ok()) return ok.failure();
    return ProtobufJson(text, msg, input);
  }
  pb::Arena arena;
  auto doc = ParseJsonObjectOnArena(text, input, &arena, max_bytes);
  if (!doc.ok()) return doc.failure();
  return ReadStruct(**doc, *m, msg, input);
}

const pb::Value* FindField(const pb::Struct& obj, std::string_view key) {
  auto it = obj.fields().find(std::string(key));
  return it == obj.fields().end() ? nullptr : &it->second;
}

static std::string Where(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

Checked<std::string> RequiredString(const pb::Struct& obj, std::string_view key,
                                    std::string_view input, std::string_view path) {
  const pb::Value* v = FindField(obj, key);
  if (v == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field " + Where(path, key));
  if (v->kind_case() != pb::Value::kStringValue)
    return MakeFailure(Reason::kInputBadField, input, Where(path, key) + " must be a string");
  return v->string_value();
}

Checked<std::string> RequiredBase64(const pb::Struct& obj, std::string_view key,
                                    std::string_view input, std::string_view path) {
  auto text = RequiredString(obj, key, input, path);
  if (!text.ok()) return text.failure();
  auto bytes = Base64Decode(text.value(), key);
  if (!bytes.ok()) {
    return MakeFailure(Reason::kInputBadBase64, input,
                       std::string(path) + "." + std::string(key) +
                           " is not valid base64: " + bytes.status().message());
  }
  return std::move(bytes).value();
}

Checked<std::string> OptionalString(const pb::Struct& obj, std::string_view key,
                                    std::string_view input, std::string_view path) {
  const pb::Value* v = FindField(obj, key);
  if (v == nullptr) return std::string();
  if (v->kind_case() != pb::Value::kStringValue)
    return MakeFailure(Reason::kInputBadField, input, Where(path, key) + " must be a string");
  return v->string_value();
}

Checked<const pb::Struct*> OptionalObject(const pb::Struct& obj, std::string_view key,
                                          std::string_view input, std::string_view path) {
  const pb::Value* v = FindField(obj, key);
  if (v == nullptr) return static_cast<const pb::Struct*>(nullptr);
  if (v->kind_case() != pb::Value::kStructValue)
    return MakeFailure(Reason::kInputBadField, input, Where(path, key) + " must be an object");
  return &v->struct_value();
}

std::string MessageToJson(const pb::Message& msg) {
  std::string out;
  const JsonMessage* m = proto::JsonSchemaOf(msg);
  if (m != nullptr && m->writable && WriteMessage(*m, msg.SerializeAsString(), &out)) return out;
  out.clear();
  if (!pb::util::MessageToJsonString(msg, &out).ok()) out = "{}";
  return out;
}

std::string StructToJson(const pb::Struct& obj) {
  std::string out;
  auto st = pb::util::MessageToJsonString(obj, &out);
  if (!st.ok()) return "{}";
  return out;
}

}  // namespace sr::policy
