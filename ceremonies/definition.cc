#include "ceremonies/definition.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <set>

#include "base/file.h"
#include "base/hash.h"

namespace sr::ceremonies {
namespace {

namespace v1 = strongroom::v1;

// Keeps the first error the text-format parser reports, with its position
// (the parser's lines and columns are zero-based; people count from one).
class FirstError final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!error.empty()) return;
    error = "line " + std::to_string(line + 1) + ", column " + std::to_string(column + 1) + ": " +
            message;
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  std::string error;
};

bool IsName(std::string_view s, bool underscore) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (underscore && c == '_');
    if (!ok) return false;
  }
  return true;
}

Status Bad(std::string_view source, const std::string& field, const std::string& what) {
  return InvalidArgument("ceremony definition " + std::string(source) + ": " + field + ": " + what +
                         "; correct the definition (and have it approved again)");
}

std::string StepField(int i, const v1::CeremonyStep& s, std::string_view field) {
  return "steps[" + std::to_string(i) + "] (" + s.name() + ")." + std::string(field);
}

// Every ${name} of s is a parameter of the definition or the runner's.
Status CheckReferences(std::string_view source, const std::string& field, std::string_view s,
                       const std::set<std::string>& params) {
  auto refs = ParameterReferences(s);
  if (!refs.ok()) return Bad(source, field, refs.status().message());
  for (const auto& r : *refs)
    if (!params.contains(r) && !IsRunnerParameter(r))
      return Bad(source, field, "${" + r + "} is not a parameter of the definition");
  return Status::Ok();
}

// An action never carries a PIN: no --pin option, no pass:/env: source. A
// PIN source is always a ${..._pin_source} parameter, given at run time.
Status CheckActionArg(std::string_view source, const std::string& field, std::string_view arg) {
  std::string lower(arg);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.starts_with("pass:") || lower.starts_with("env:") ||
      (lower.starts_with("--") && lower.find("pin") != std::string::npos &&
       lower.find("pin-source") == std::string::npos))
    return Bad(source, field,
               "an action may not carry a PIN (the value is not repeated here); pass a pin source "
               "as a ${..._pin_source} parameter");
  if (lower.find("-pin-source=") != std::string::npos)
    return Bad(source, field, "give a pin source as a separate argument ${..._pin_source}");
  return Status::Ok();
}

Status Validate(Definition& d) {
  const v1::Ceremony& c = d.ceremony;
  const std::string_view src = d.source;
  if (!IsName(c.name(), false)) return Bad(src, "name", "must be 1-64 of a-z, 0-9 and '-'");
  if (c.kind() == v1::CEREMONY_KIND_UNSPECIFIED) return Bad(src, "kind", "is missing");
  std::map<std::string, unsigned> members;
  std::set<std::string> roles;
  for (int i = 0; i < c.roles_size(); ++i) {
    const auto& r = c.roles(i);
    std::string f = "roles[" + std::to_string(i) + "]";
    if (!IsName(r.name(), false)) return Bad(src, f + ".name", "must be 1-64 of a-z, 0-9 and '-'");
    if (!roles.insert(r.name()).second) return Bad(src, f + ".name", "\"" + r.name() + "\" twice");
  }
  if (roles.empty()) return Bad(src, "roles", "a ceremony needs at least one role");
  if (c.participants_size() == 0 ||
      static_cast<std::size_t>(c.participants_size()) > kMaxParticipants)
    return Bad(src, "participants", "1 to " + std::to_string(kMaxParticipants) + " participants");
  std::set<std::string> names, fingerprints;
  for (int i = 0; i < c.participants_size(); ++i) {
    const auto& p = c.participants(i);
    std::string f = "participants[" + std::to_string(i) + "] (" + p.name() + ")";
    if (p.name().empty() || p.name().size() > 128) return Bad(src, f + ".name", "1-128 characters");
    if (!names.insert(p.name()).second)
      return Bad(src, f + ".name", "two participants of that name");
    if (!roles.contains(p.role()))
      return Bad(src, f + ".role", "role \"" + p.role() + "\" is not defined in roles");
    auto key = policy::PublicKey::FromPem(p.public_key_pem(), f + ".public_key_pem");
    if (!key.ok()) return Bad(src, f + ".public_key_pem", key.status().message());
    if (!fingerprints.insert(key->fingerprint()).second)
      return Bad(src, f + ".public_key_pem", "the same key as another participant");
    d.keys.push_back(std::move(key).value());
    ++members[p.role()];
  }
  for (int i = 0; i < c.roles_size(); ++i)
    if (c.roles(i).min_present() > members[c.roles(i).name()])
      return Bad(src, "roles[" + std::to_string(i) + "].min_present",
                 std::to_string(c.roles(i).min_present()) + " present, but the role has only " +
                     std::to_string(members[c.roles(i).name()]) + " participant(s)");
  if (c.custodian_threshold() > members["custodian"])
    return Bad(src, "custodian_threshold",
               std::to_string(c.custodian_threshold()) + " exceeds the " +
                   std::to_string(members["custodian"]) + " custodian participant(s)");
  std::set<std::string> params;
  for (int i = 0; i < c.parameters_size(); ++i) {
    const auto& p = c.parameters(i);
    std::string f = "parameters[" + std::to_string(i) + "].name";
    if (!IsName(p.name(), true)) return Bad(src, f, "must be 1-64 of a-z, 0-9, '_' and '-'");
    if (IsRunnerParameter(p.name()))
      return Bad(src, f, "\"" + p.name() + "\" is defined by the runner itself");
    if (!params.insert(p.name()).second) return Bad(src, f, "\"" + p.name() + "\" twice");
  }
  if (c.steps_size() == 0 || static_cast<std::size_t>(c.steps_size()) > kMaxSteps)
    return Bad(src, "steps", "1 to " + std::to_string(kMaxSteps) + " steps");
  std::set<std::string> steps;
  for (int i = 0; i < c.steps_size(); ++i) {
    const auto& s = c.steps(i);
    if (!IsName(s.name(), false))
      return Bad(src, StepField(i, s, "name"), "must be 1-64 of a-z, 0-9 and '-'");
    if (!steps.insert(s.name()).second) return Bad(src, StepField(i, s, "name"), "used twice");
    if (s.instruction().empty()) return Bad(src, StepField(i, s, "instruction"), "is missing");
    if (s.action_size() > 0 && (s.action(0) == "ceremony" || s.action(0).starts_with("-")))
      return Bad(src, StepField(i, s, "action"),
                 "must start with a strongroom verb other than ceremony");
    for (int a = 0; a < s.action_size(); ++a) {
      std::string f = StepField(i, s, "action[" + std::to_string(a) + "]");
      SR_RETURN_IF_ERROR(CheckActionArg(src, f, s.action(a)));
      SR_RETURN_IF_ERROR(CheckReferences(src, f, s.action(a), params));
    }
    for (int o = 0; o < s.expected_outputs_size(); ++o) {
      std::string f = StepField(i, s, "expected_outputs[" + std::to_string(o) + "]");
      if (s.expected_outputs(o).empty()) return Bad(src, f, "is empty");
      SR_RETURN_IF_ERROR(CheckReferences(src, f, s.expected_outputs(o), params));
    }
    if (s.action_size() == 0 && s.expected_outputs_size() > 0)
      return Bad(src, StepField(i, s, "expected_outputs"),
                 "a step without an action produces none");
    for (const auto& r : s.confirm_roles())
      if (!roles.contains(r))
        return Bad(src, StepField(i, s, "confirm_roles"), "role \"" + r + "\" is not defined");
    if (s.action_size() == 0 && s.confirm_roles_size() == 0)
      return Bad(src, StepField(i, s, "confirm_roles"),
                 "a manual step (no action) must be confirmed by some role");
    if (s.expected_exit_code() < 0 || s.expected_exit_code() > 255)
      return Bad(src, StepField(i, s, "expected_exit_code"), "must be 0..255");
  }
  return Status::Ok();
}

}  // namespace

std::string KindName(v1::CeremonyKind kind) {
  switch (kind) {
    case v1::CEREMONY_KIND_STATION_INITIALIZATION:
      return "station-initialization";
    case v1::CEREMONY_KIND_KEY_GENERATION:
      return "key-generation";
    case v1::CEREMONY_KIND_SIGNING_SESSION:
      return "signing-session";
    case v1::CEREMONY_KIND_KEY_ROTATION:
      return "key-rotation";
    case v1::CEREMONY_KIND_KEY_REVOCATION:
      return "key-revocation";
    case v1::CEREMONY_KIND_POLICY_UPDATE:
      return "policy-update";
    case v1::CEREMONY_KIND_CUSTODIAN_CHANGE:
      return "custodian-change";
    case v1::CEREMONY_KIND_AUDIT:
      return "audit";
    default:
      return "";
  }
}

bool IsRunnerParameter(std::string_view name) {
  return name == "station" || name == "workdir" || name == "log_pin_source";
}

Result<std::vector<std::string>> ParameterReferences(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$') continue;
    std::size_t close = s.find('}', i);
    if (i + 1 >= s.size() || s[i + 1] != '{' || close == std::string_view::npos)
      return InvalidArgument("\"" + std::string(s) + "\": a '$' must start a ${parameter}");
    out.emplace_back(s.substr(i + 2, close - i - 2));
    if (!IsName(out.back(), true))
      return InvalidArgument("\"" + std::string(s) + "\": bad parameter name \"" + out.back() +
                             "\"");
    i = close;
  }
  return out;
}

Result<std::string> Substitute(std::string_view s,
                               const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t d = s.find("${", i);
    if (d == std::string_view::npos) break;
    std::size_t close = s.find('}', d);
    if (close == std::string_view::npos)
      return InvalidArgument("unterminated ${ in " + std::string(s));
    std::string name(s.substr(d + 2, close - d - 2));
    auto it = values.find(name);
    if (it == values.end())
      return InvalidArgument("parameter \"" + name + "\" has no value: give --param " + name +
                             "=...");
    out.append(s.substr(i, d - i)).append(it->second);
    i = close + 1;
  }
  out.append(s.substr(i));
  return out;
}

// The optional or list parameter an action argument is exactly "${name}"
// of, else nullptr.
namespace {

const v1::CeremonyParameter* OptionalParameter(const v1::Ceremony& c, const std::string& arg) {
  if (!arg.starts_with("${") || !arg.ends_with("}")) return nullptr;
  std::string name = arg.substr(2, arg.size() - 3);
  for (const auto& p : c.parameters())
    if (p.name() == name && (p.optional() || p.list())) return &p;
  return nullptr;
}

// An optional parameter left empty drops its argument and the "--flag"
// before it; a list gives one argument per comma-separated item, each after
// a copy of that flag.
void ExpandOptional(const v1::CeremonyParameter& p, const std::string& value,
                    std::vector<std::string>& args) {
  std::string flag;
  if (!args.empty() && args.back().starts_with("--")) {
    flag = args.back();
    args.pop_back();
  }
  std::vector<std::string> items;
  if (p.list()) {
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t comma = std::min(value.find(',', start), value.size());
      if (comma > start) items.push_back(value.substr(start, comma - start));
      start = comma + 1;
    }
  } else if (!value.empty()) {
    items.push_back(value);
  }
  for (const std::string& item : items) {
    if (!flag.empty()) args.push_back(flag);
    args.push_back(item);
  }
}

}  // namespace

Result<std::vector<std::string>> ExpandAction(const v1::Ceremony& c, const v1::CeremonyStep& step,
                                              const std::map<std::string, std::string>& values) {
  std::vector<std::string> args;
  for (const auto& a : step.action()) {
    if (const v1::CeremonyParameter* p = OptionalParameter(c, a)) {
      auto it = values.find(p->name());
      ExpandOptional(*p, it == values.end() ? std::string() : it->second, args);
      continue;
    }
    SR_ASSIGN_OR_RETURN(std::string v, Substitute(a, values));
    args.push_back(std::move(v));
  }
  return args;
}

Result<Definition> ParseDefinition(std::string bytes, std::string_view source) {
  if (bytes.size() > kMaxDefinitionBytes)
    return InvalidArgument("ceremony definition " + std::string(source) + " is larger than " +
                           std::to_string(kMaxDefinitionBytes) + " bytes");
  Definition d;
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(bytes, &d.ceremony))
    return InvalidArgument(
        "ceremony definition " + std::string(source) + ": " +
        (errors.error.empty() ? "does not parse" : errors.error) +
        " (protobuf text format of strongroom.v1.Ceremony, proto/ceremony.proto)");
  d.source = std::string(source);
  SR_RETURN_IF_ERROR(Validate(d));
  d.sha256 = Sha256Hex(bytes);
  d.bytes = std::move(bytes);
  return d;
}

Result<Definition> LoadDefinition(std::string_view path) {
  SR_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, kMaxDefinitionBytes));
  return ParseDefinition(std::move(bytes), path);
}

}  // namespace sr::ceremonies
