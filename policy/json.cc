#include "policy/json.h"

#include <google/protobuf/util/json_util.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <set>

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

Checked<bool> ParseJsonMessage(std::string_view text, google::protobuf::Message* msg,
                               std::string_view input, std::size_t max_bytes) {
  auto ok = CheckStrictJson(text, input, max_bytes);
  if (!ok.ok()) return ok.failure();
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = pb::util::JsonStringToMessage(pb::StringPiece(text.data(), text.size()), msg, opts);
  if (!st.ok()) {
    return MakeFailure(Reason::kInputBadField, input,
                       "does not match the " + msg->GetDescriptor()->name() +
                           " schema: " + std::string(st.message()));
  }
  return true;
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

std::string StructToJson(const pb::Struct& obj) {
  std::string out;
  auto st = pb::util::MessageToJsonString(obj, &out);
  if (!st.ok()) return "{}";
  return out;
}

}  // namespace sr::policy
