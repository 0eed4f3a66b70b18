#include "hsm/uri.h"

#include <cctype>
#include <cstdio>
#include <map>
#include <vector>

namespace sr::hsm {
namespace {

constexpr std::string_view kScheme = "pkcs11:";

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes in v; base is the offset of v in the whole URI, used to
// name the position of a malformed escape.
Result<std::string> PercentDecode(std::string_view v, std::size_t base, std::string_view attr) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') {
      out += v[i];
      continue;
    }
    int hi = i + 2 < v.size() ? HexVal(v[i + 1]) : -1;
    int lo = i + 2 < v.size() ? HexVal(v[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return InvalidArgument("PKCS#11 URI: bad percent escape in attribute '" + std::string(attr) +
                             "' at byte " + std::to_string(base + i) +
                             " (expected %XX with two hex digits)");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

struct Field {
  std::string_view name;
  std::string Pkcs11Uri::*member;
};

constexpr Field kPathFields[] = {
    {"token", &Pkcs11Uri::token},     {"manufacturer", &Pkcs11Uri::manufacturer},
    {"model", &Pkcs11Uri::model},     {"serial", &Pkcs11Uri::serial},
    {"slot-id", &Pkcs11Uri::slot_id}, {"object", &Pkcs11Uri::object},
    {"id", &Pkcs11Uri::id},           {"type", &Pkcs11Uri::type},
};

// Attributes RFC 7512 defines that we accept and ignore.
bool IsIgnoredStandardAttribute(std::string_view name) {
  return name == "library-manufacturer" || name == "library-description" ||
         name == "library-version" || name == "slot-description" || name == "slot-manufacturer" ||
         name == "module-name" || name.starts_with("x-");
}

Status ParseAttributes(std::string_view part, char sep, std::size_t base, bool query,
                       Pkcs11Uri& uri, std::map<std::string, bool>& seen) {
  std::size_t pos = 0;
  while (pos <= part.size()) {
    std::size_t end = part.find(sep, pos);
    if (end == std::string_view::npos) end = part.size();
    std::string_view item = part.substr(pos, end - pos);
    if (!item.empty()) {
      std::size_t eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return InvalidArgument("PKCS#11 URI: attribute at byte " + std::to_string(base + pos) +
                               " is not of the form name=value");
      }
      std::string name(item.substr(0, eq));
      if (name == "pin-value" || name == "pin-source") {
        return Status(Code::kPermissionDenied,
                      "PKCS#11 URI: attribute '" + name +
                          "' is refused: a PIN never goes into a URI; give it with a "
                          "--pin-source option (file:PATH, fd:N or the terminal prompt)");
      }
      if (seen[name]) {
        return InvalidArgument("PKCS#11 URI: attribute '" + name + "' appears twice");
      }
      seen[name] = true;
      SR_ASSIGN_OR_RETURN(std::string value,
                          PercentDecode(item.substr(eq + 1), base + pos + eq + 1, name));
      bool known = false;
      if (query) {
        if (name == "module-path") {
          uri.module_path = std::move(value);
          known = true;
        }
      } else {
        for (const Field& f : kPathFields) {
          if (f.name == name) {
            uri.*f.member = std::move(value);
            known = true;
          }
        }
      }
      if (!known && !IsIgnoredStandardAttribute(name)) {
        return InvalidArgument("PKCS#11 URI: unknown " + std::string(query ? "query" : "path") +
                               " attribute '" + name + "'");
      }
    }
    pos = end + 1;
  }
  return Status::Ok();
}

}  // namespace

std::string PercentEncode(std::string_view bytes, bool always_encode) {
  std::string out;
  for (unsigned char c : bytes) {
    bool plain = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
    if (plain && !always_encode && c < 0x80) {
      out += static_cast<char>(c);
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02x", c);
      out += b;
    }
  }
  return out;
}

Result<Pkcs11Uri> Pkcs11Uri::Parse(std::string_view text) {
  if (text.size() > kMaxUriBytes) {
    return InvalidArgument("PKCS#11 URI is longer than " + std::to_string(kMaxUriBytes) + " bytes");
  }
  if (!text.starts_with(kScheme)) {
    return InvalidArgument("PKCS#11 URI must start with 'pkcs11:'");
  }
  std::string_view rest = text.substr(kScheme.size());
  std::size_t q = rest.find('?');
  std::string_view path = rest.substr(0, q);
  Pkcs11Uri uri;
  std::map<std::string, bool> seen;
  SR_RETURN_IF_ERROR(ParseAttributes(path, ';', kScheme.size(), false, uri, seen));
  if (q != std::string_view::npos) {
    SR_RETURN_IF_ERROR(
        ParseAttributes(rest.substr(q + 1), '&', kScheme.size() + q + 1, true, uri, seen));
  }
  return uri;
}

std::string Pkcs11Uri::ToString() const {
  std::vector<std::string> parts;
  for (const Field& f : kPathFields) {
    const std::string& v = this->*f.member;
    if (!v.empty()) parts.push_back(std::string(f.name) + "=" + PercentEncode(v, f.name == "id"));
  }
  std::string out(kScheme);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += ';';
    out += parts[i];
  }
  if (!module_path.empty()) {
    std::string enc;
    for (char c : module_path)
      enc += (c == '/') ? std::string("/") : PercentEncode(std::string(1, c));
    out += "?module-path=" + enc;
  }
  return out;
}

}  // namespace sr::hsm
