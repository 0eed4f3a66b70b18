#include "policy/json.h"

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

namespace sr::policy {
namespace {

namespace pb = google::protobuf;

// A recursive-descent validator. Given a pb::Value it also builds the
// document into it, so a document is read once: protobuf's own JSON parser
// is several times slower, and a release of a thousand artifacts has
// statements of a thousand subjects.
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

using FD = pb::FieldDescriptor;

// Whether StructReader covers every field of d and of the messages it holds:
// integers, bools, strings, nested messages and google.protobuf.Timestamp,
// singular or repeated. Maps, oneofs, enums, bytes, floating point and the
// other well-known types are left to protobuf's parser. With `maps`, also
// maps of string keys to strings, integers or bools (what MessageToJson
// writes itself).
bool Covered(const pb::Descriptor* d, bool maps, std::vector<const pb::Descriptor*>& seen) {
  if (std::find(seen.begin(), seen.end(), d) != seen.end()) return true;
  seen.push_back(d);
  for (int i = 0; i < d->field_count(); ++i) {
    const FD* f = d->field(i);
    if (f->real_containing_oneof() != nullptr || f->is_extension()) return false;
    if (f->is_map()) {
      const FD* value = f->message_type()->map_value();
      if (!maps || f->message_type()->map_key()->cpp_type() != FD::CPPTYPE_STRING ||
          value->type() == FD::TYPE_BYTES || value->cpp_type() == FD::CPPTYPE_MESSAGE ||
          value->cpp_type() == FD::CPPTYPE_ENUM || value->cpp_type() == FD::CPPTYPE_FLOAT ||
          value->cpp_type() == FD::CPPTYPE_DOUBLE)
        return false;
      continue;
    }
    switch (f->cpp_type()) {
      case FD::CPPTYPE_INT32:
      case FD::CPPTYPE_INT64:
      case FD::CPPTYPE_UINT32:
      case FD::CPPTYPE_UINT64:
      case FD::CPPTYPE_BOOL:
        break;
      case FD::CPPTYPE_STRING:
        if (f->type() == FD::TYPE_BYTES) return false;
        break;
      case FD::CPPTYPE_MESSAGE:
        if (f->message_type()->full_name() == "google.protobuf.Timestamp") break;
        if (f->message_type()->file()->package() == "google.protobuf") return false;
        if (!Covered(f->message_type(), maps, seen)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool Covered(const pb::Descriptor* d, bool maps = false) {
  std::vector<const pb::Descriptor*> seen;
  return Covered(d, maps, seen);
}

// The proto3 JSON form of messages Covered(d, maps=true) accepts, as
// protobuf's printer writes it by default: fields in number order under
// their JSON names, default values and empty lists left out, 64-bit
// integers as strings, Timestamps in RFC 3339, map entries by key.
void WriteMessage(const pb::Message& m, std::string* out);

void WriteValue(const pb::Message& m, const FD* f, int index, std::string* out) {
  const pb::Reflection* r = m.GetReflection();
  bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FD::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& v = rep ? r->GetRepeatedStringReference(m, f, index, &scratch)
                                 : r->GetStringReference(m, f, &scratch);
      *out += '"';
      *out += JsonEscape(v);
      *out += '"';
      return;
    }
    case FD::CPPTYPE_BOOL:
      *out += (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
      return;
    case FD::CPPTYPE_INT32:
      *out += std::to_string(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
      return;
    case FD::CPPTYPE_UINT32:
      *out += std::to_string(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
      return;
    case FD::CPPTYPE_INT64:
      *out += '"' + std::to_string(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f)) + '"';
      return;
    case FD::CPPTYPE_UINT64:
      *out +=
          '"' + std::to_string(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f)) + '"';
      return;
    default: {  // a message, present (ListFields) or an item of a list
      const pb::Message& sub = rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f);
      const pb::Descriptor* d = sub.GetDescriptor();
      if (d->full_name() != "google.protobuf.Timestamp") return WriteMessage(sub, out);
      const pb::Reflection* sr = sub.GetReflection();
      pb::Timestamp ts;
      ts.set_seconds(sr->GetInt64(sub, d->FindFieldByNumber(1)));
      ts.set_nanos(sr->GetInt32(sub, d->FindFieldByNumber(2)));
      *out += '"' + pb::util::TimeUtil::ToString(ts) + '"';
      return;
    }
  }
}

void WriteMessage(const pb::Message& m, std::string* out) {
  const pb::Reflection* r = m.GetReflection();
  std::vector<const FD*> fields;
  r->ListFields(m, &fields);  // the fields set, in number order
  *out += '{';
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const FD* f = fields[i];
    if (i > 0) *out += ',';
    *out += '"' + f->json_name() + "\":";
    if (f->is_map()) {
      // Entries by key, so the same map is always written the same way.
      std::vector<std::pair<std::string, const pb::Message*>> entries;
      const FD* key = f->message_type()->map_key();
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        const pb::Message& e = r->GetRepeatedMessage(m, f, k);
        entries.emplace_back(e.GetReflection()->GetString(e, key), &e);
      }
      std::sort(entries.begin(), entries.end());
      *out += '{';
      for (std::size_t k = 0; k < entries.size(); ++k) {
        if (k > 0) *out += ',';
        *out += '"' + JsonEscape(entries[k].first) + "\":";
        WriteValue(*entries[k].second, f->message_type()->map_value(), -1, out);
      }
      *out += '}';
    } else if (f->is_repeated()) {
      *out += '[';
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        if (k > 0) *out += ',';
        WriteValue(m, f, k, out);
      }
      *out += ']';
    } else {
      WriteValue(m, f, -1, out);
    }
  }
  *out += '}';
}

// The proto3 JSON mapping (https://protobuf.dev/programming-guides/json/)
// from a document already read by the strict validator into a message, led
// by the message's descriptor: protobuf 3.21's own parser re-reads the text and converts each
// message's descriptor to a google.protobuf.Type on every call, which cost
// more than the rest of loading a policy. Fields are found by their JSON
// name or their proto name; unknown fields are errors. It is stricter than
// protobuf's parser where that parser is lenient beyond the mapping: a
// repeated field must be a list (protobuf also takes one bare value), list
// elements must not be null, a field may not be given under both its names,
// a Timestamp must be an RFC 3339 string, an integer written as a JSON
// number must be exact in a double (64-bit values beyond 2^53 must be
// written as strings, as protobuf writes them), and an integer string is
// digits with an optional '-'. Everything it accepts, protobuf's parser
// accepts with the same meaning (tests/policy/json_mapping_test.cc).
class StructReader {
 public:
  explicit StructReader(bool sorted) : sorted_(sorted) {}
  const std::string& error() const { return error_; }

  // Appends the protobuf encoding of obj, read as a d, to out. The message
  // is then parsed from it by its generated code: setting fields through
  // reflection needs each nested message's prototype, and protobuf's
  // message factory builds all of descriptor.proto the first time it is
  // asked for one (~0.2 ms per process).
  bool Object(const pb::Struct& obj, const pb::Descriptor* d, const std::string& path,
              std::string* out) {
    std::vector<const pb::MapPair<std::string, pb::Value>*> fields;
    fields.reserve(obj.fields().size());
    for (const auto& kv : obj.fields()) fields.push_back(&kv);
    if (sorted_)
      std::sort(fields.begin(), fields.end(), [](auto* a, auto* b) { return a->first < b->first; });
    std::vector<int> given;
    for (const auto* kv : fields) {
      const FD* f = nullptr;
      for (int i = 0; i < d->field_count() && f == nullptr; ++i)
        if (d->field(i)->json_name() == kv->first || d->field(i)->name() == kv->first)
          f = d->field(i);
      std::string where = path.empty() ? kv->first : path + "." + kv->first;
      if (f == nullptr) return Fail(where, "no such field in " + d->name());
      if (std::find(given.begin(), given.end(), f->number()) != given.end())
        return Fail(where, "given twice, as \"" + f->json_name() + "\" and \"" + f->name() + "\"");
      given.push_back(f->number());
      const pb::Value& v = kv->second;
      if (v.kind_case() == pb::Value::kNullValue) continue;  // null: the default
      if (!f->is_repeated()) {
        if (!Set(f, v, where, out)) return false;
        continue;
      }
      if (v.kind_case() != pb::Value::kListValue) return Fail(where, "must be a list");
      const auto& items = v.list_value().values();
      for (int i = 0; i < items.size(); ++i) {
        std::string at = where + "[" + std::to_string(i) + "]";
        if (items[i].kind_case() == pb::Value::kNullValue) return Fail(at, "must not be null");
        if (!Set(f, items[i], at, out)) return false;
      }
    }
    return true;
  }

 private:
  enum Wire { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

  static void Varint(std::uint64_t v, std::string* out) {
    for (; v >= 0x80; v >>= 7) out->push_back(static_cast<char>(v | 0x80));
    out->push_back(static_cast<char>(v));
  }
  static void Tag(const FD* f, Wire w, std::string* out) {
    Varint(static_cast<std::uint64_t>(f->number()) << 3 | w, out);
  }
  static void Fixed(std::uint64_t v, int bytes, std::string* out) {
    for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
  }
  static void Length(const FD* f, std::string_view bytes, std::string* out) {
    Tag(f, kLength, out);
    Varint(bytes.size(), out);
    out->append(bytes);
  }

  bool Fail(const std::string& where, const std::string& what) {
    error_ = where + ": " + what;
    return false;
  }

  // Appends f (one item of it, if repeated) from v.
  bool Set(const FD* f, const pb::Value& v, const std::string& where, std::string* out) {
    switch (f->cpp_type()) {
      case FD::CPPTYPE_STRING:
        if (v.kind_case() != pb::Value::kStringValue) return Fail(where, "must be a string");
        Length(f, v.string_value(), out);
        return true;
      case FD::CPPTYPE_BOOL:
        if (v.kind_case() != pb::Value::kBoolValue) return Fail(where, "must be true or false");
        Tag(f, kVarint, out);
        Varint(v.bool_value() ? 1 : 0, out);
        return true;
      case FD::CPPTYPE_MESSAGE: {
        std::string sub;
        if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
          pb::Timestamp ts;
          if (v.kind_case() != pb::Value::kStringValue ||
              !pb::util::TimeUtil::FromString(v.string_value(), &ts))
            return Fail(where, "must be an RFC 3339 time, e.g. \"2026-11-22T07:40:00Z\"");
          if (!ts.SerializeToString(&sub)) return Fail(where, "cannot be encoded");
        } else {
          if (v.kind_case() != pb::Value::kStructValue) return Fail(where, "must be an object");
          if (!Object(v.struct_value(), f->message_type(), where, &sub)) return false;
        }
        Length(f, sub, out);
        return true;
      }
      default:
        break;
    }
    bool is_signed = f->cpp_type() == FD::CPPTYPE_INT32 || f->cpp_type() == FD::CPPTYPE_INT64;
    bool is_wide = f->cpp_type() == FD::CPPTYPE_INT64 || f->cpp_type() == FD::CPPTYPE_UINT64;
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
      return Fail(where, "is out of range for " + std::string(f->cpp_type_name()));
    // Two's complement of the value, as a 64-bit word (a negative int32 is
    // sign-extended, as protobuf encodes it).
    std::uint64_t word = negative ? 0 - magnitude : magnitude;
    switch (f->type()) {
      case FD::TYPE_SINT32:
      case FD::TYPE_SINT64: {  // zigzag
        std::int64_t n = static_cast<std::int64_t>(word);
        Tag(f, kVarint, out);
        Varint((word << 1) ^ static_cast<std::uint64_t>(n >> 63), out);
        break;
      }
      case FD::TYPE_FIXED32:
      case FD::TYPE_SFIXED32:
        Tag(f, kFixed32, out);
        Fixed(word, 4, out);
        break;
      case FD::TYPE_FIXED64:
      case FD::TYPE_SFIXED64:
        Tag(f, kFixed64, out);
        Fixed(word, 8, out);
        break;
      default:  // int32, int64, uint32, uint64
        Tag(f, kVarint, out);
        Varint(word, out);
        break;
    }
    return true;
  }

  bool sorted_;
  std::string error_;
};

}  // namespace

namespace {

Failure SchemaFailure(const pb::Message& msg, std::string_view input, std::string_view what) {
  return MakeFailure(
      Reason::kInputBadField, input,
      "does not match the " + msg.GetDescriptor()->name() + " schema: " + std::string(what));
}

// protobuf's parser, for the schemas StructReader does not cover.
Checked<bool> ProtobufJson(std::string_view json, pb::Message* msg, std::string_view input) {
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), msg, opts);
  if (!st.ok()) return SchemaFailure(*msg, input, std::string(st.message()));
  return true;
}

// StructReader on a schema it covers.
Checked<bool> ReadStruct(const pb::Struct& obj, pb::Message* msg, std::string_view input) {
  msg->Clear();
  std::string wire;
  if (StructReader(false).Object(obj, msg->GetDescriptor(), "", &wire)) {
    if (msg->ParsePartialFromString(wire)) return true;
    msg->Clear();
    return SchemaFailure(*msg, input, "a value cannot be stored in its field");
  }
  // Fields are visited in the map's order, which varies; the error reported
  // is the one of the first bad field by name, so it is the same every time.
  StructReader sorted(true);
  wire.clear();
  sorted.Object(obj, msg->GetDescriptor(), "", &wire);
  return SchemaFailure(*msg, input, sorted.error());
}

}  // namespace

Checked<bool> StructToMessage(const pb::Struct& obj, pb::Message* msg, std::string_view input) {
  if (!Covered(msg->GetDescriptor())) return ProtobufJson(StructToJson(obj), msg, input);
  return ReadStruct(obj, msg, input);
}

Checked<bool> ParseJsonMessage(std::string_view text, google::protobuf::Message* msg,
                               std::string_view input, std::size_t max_bytes) {
  if (!Covered(msg->GetDescriptor())) {  // protobuf's parser, on the text itself
    auto ok = CheckStrictJson(text, input, max_bytes);
    if (!ok.ok()) return ok.failure();
    return ProtobufJson(text, msg, input);
  }
  pb::Arena arena;
  auto doc = ParseJsonObjectOnArena(text, input, &arena, max_bytes);
  if (!doc.ok()) return doc.failure();
  return ReadStruct(**doc, msg, input);
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
  if (Covered(msg.GetDescriptor(), /*maps=*/true)) {
    WriteMessage(msg, &out);
  } else if (!pb::util::MessageToJsonString(msg, &out).ok()) {
    out = "{}";
  }
  return out;
}

std::string StructToJson(const pb::Struct& obj) {
  std::string out;
  auto st = pb::util::MessageToJsonString(obj, &out);
  if (!st.ok()) return "{}";
  return out;
}

}  // namespace sr::policy
