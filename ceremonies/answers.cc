#include "ceremonies/answers.h"

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace sr::ceremonies {
namespace {

using Json = nlohmann::json;

Status Bad(const std::string& field, const std::string& what) {
  return InvalidArgument("answers file: " + field + ": " + what +
                         " (docs/formats.md, \"Ceremony answers\")");
}

std::string Resolve(std::string_view base, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return JoinPath(base, path);
}

Result<std::string> String(const Json& obj, const char* key, const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::string();
  if (!it->is_string()) return Bad(field + "." + key, "must be a string");
  return it->get<std::string>();
}

Result<Credential> ParseCredential(const Json& j, const std::string& field, std::string_view base) {
  if (!j.is_object())
    return Bad(field, "must be an object {\"key\": FILE} or {\"pkcs11\": URI, ...}");
  for (const auto& [k, v] : j.items())
    if (k != "key" && k != "pkcs11" && k != "pin_source")
      return Bad(field + "." + k, "unknown field (key, pkcs11, pin_source)");
  Credential c;
  SR_ASSIGN_OR_RETURN(c.key_file, String(j, "key", field));
  SR_ASSIGN_OR_RETURN(c.pkcs11_uri, String(j, "pkcs11", field));
  SR_ASSIGN_OR_RETURN(c.pin_source, String(j, "pin_source", field));
  if (c.key_file.empty() == c.pkcs11_uri.empty())
    return Bad(field, "give exactly one of key, pkcs11");
  if (!c.key_file.empty() && !c.pin_source.empty())
    return Bad(field + ".pin_source", "only a pkcs11 key has a PIN");
  if (!c.pkcs11_uri.empty() && c.pin_source.empty())
    return Bad(field + ".pin_source", "a pkcs11 key needs a pin source (file:PATH or fd:N)");
  if (!c.pin_source.empty() && !c.pin_source.starts_with("file:") &&
      !c.pin_source.starts_with("fd:"))
    return Bad(field + ".pin_source", "must be file:PATH or fd:N (never a PIN)");
  c.key_file = Resolve(base, c.key_file);
  if (c.pin_source.starts_with("file:"))
    c.pin_source = "file:" + Resolve(base, c.pin_source.substr(5));
  return c;
}

}  // namespace

Result<Answers> ParseAnswers(std::string_view text, std::string_view base) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad("(top)", "not a JSON object");
  Answers a;
  for (const auto& [k, v] : j.items())
    if (k != "participants" && k != "steps") return Bad(k, "unknown field (participants, steps)");
  if (auto it = j.find("participants"); it != j.end()) {
    if (!it->is_object()) return Bad("participants", "must be an object keyed by participant name");
    for (const auto& [name, cred] : it->items()) {
      SR_ASSIGN_OR_RETURN(Credential c, ParseCredential(cred, "participants." + name, base));
      a.participants.emplace_back(name, std::move(c));
    }
  }
  if (auto it = j.find("steps"); it != j.end()) {
    if (!it->is_object()) return Bad("steps", "must be an object keyed by step name");
    for (const auto& [name, step] : it->items()) {
      std::string f = "steps." + name;
      if (!step.is_object())
        return Bad(f, "must be an object {\"confirm\": [NAMES], \"abort\": REASON}");
      StepAnswer s;
      for (const auto& [k, v] : step.items()) {
        if (k == "confirm") {
          if (!v.is_array()) return Bad(f + ".confirm", "must be an array of names");
          for (const auto& n : v) {
            if (!n.is_string()) return Bad(f + ".confirm", "must be an array of names");
            s.confirm.push_back(n.get<std::string>());
          }
        } else if (k == "abort") {
          if (!v.is_string() || v.get<std::string>().empty())
            return Bad(f + ".abort", "must be the reason (a non-empty string)");
          s.abort = v.get<std::string>();
        } else {
          return Bad(f + "." + k, "unknown field (confirm, abort)");
        }
      }
      a.steps.emplace(name, std::move(s));
    }
  }
  return a;
}

Result<Answers> LoadAnswers(std::string_view path) {
  SR_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxAnswersBytes));
  std::string dir = DirName(path);
  auto a = ParseAnswers(text, dir);
  if (!a.ok()) return a.status().Annotate(std::string(path));
  return a;
}

}  // namespace sr::ceremonies
