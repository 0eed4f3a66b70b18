#include "policy/vex.h"

#include <algorithm>
#include <array>

#include "policy/json.h"

namespace sr::policy {
namespace pb = google::protobuf;

namespace {

constexpr std::array<std::string_view, 4> kStatuses = {"not_affected", "affected", "fixed",
                                                       "under_investigation"};
constexpr std::array<std::string_view, 5> kJustifications = {
    "component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"};

Failure Malformed(std::string_view input, std::string message) {
  return MakeFailure(Reason::kVexMalformed, input,
                     message +
                         "; the product-security team must issue a valid OpenVEX document "
                         "(docs/policy.md, \"Vulnerability records\")");
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// A string field of obj at `where`: "" when absent; a failure when not a string.
Checked<std::string> Text(const pb::Struct& obj, std::string_view key, std::string_view input,
                          const std::string& where) {
  const pb::Value* v = FindField(obj, key);
  if (v == nullptr) return std::string();
  if (v->kind_case() != pb::Value::kStringValue)
    return Malformed(input, where + "." + std::string(key) + " must be a string");
  return v->string_value();
}

Checked<VexProduct> ParseProduct(const pb::Value& v, std::string_view input,
                                 const std::string& where) {
  VexProduct p;
  if (v.kind_case() == pb::Value::kStringValue) {  // OpenVEX v0.0.x: products are IRIs
    p.id = v.string_value();
  } else if (v.kind_case() == pb::Value::kStructValue) {
    const pb::Struct& o = v.struct_value();
    auto id = Text(o, "@id", input, where);
    if (!id.ok()) return id.failure();
    p.id = id.value();
    if (p.id.empty()) {
      const pb::Value* ids = FindField(o, "identifiers");
      if (ids != nullptr && ids->kind_case() == pb::Value::kStructValue) {
        auto purl = Text(ids->struct_value(), "purl", input, where + ".identifiers");
        if (!purl.ok()) return purl.failure();
        p.id = purl.value();
      }
    }
  } else {
    return Malformed(input, where + " must be an object with an \"@id\"");
  }
  if (p.id.empty())
    return Malformed(input, where + " has no \"@id\" (nor identifiers.purl) naming the product");
  ParseGenericPurl(p.id, &p.product, &p.version);
  return p;
}

Checked<bool> ParseVulnerability(const pb::Struct& st, std::string_view input,
                                 const std::string& where, VexStatement* out) {
  const pb::Value* v = FindField(st, "vulnerability");
  if (v == nullptr) return Malformed(input, where + " has no vulnerability");
  if (v->kind_case() == pb::Value::kStringValue) {  // OpenVEX v0.0.x
    out->vulnerability = v->string_value();
  } else if (v->kind_case() == pb::Value::kStructValue) {
    const pb::Struct& o = v->struct_value();
    auto name = Text(o, "name", input, where + ".vulnerability");
    if (!name.ok()) return name.failure();
    auto id = Text(o, "@id", input, where + ".vulnerability");
    if (!id.ok()) return id.failure();
    out->vulnerability = name->empty() ? id.value() : name.value();
    if (!id->empty()) out->aliases.push_back(id.value());
    if (const pb::Value* al = FindField(o, "aliases")) {
      if (al->kind_case() != pb::Value::kListValue)
        return Malformed(input, where + ".vulnerability.aliases must be an array of strings");
      for (const pb::Value& a : al->list_value().values()) {
        if (a.kind_case() != pb::Value::kStringValue)
          return Malformed(input, where + ".vulnerability.aliases must be an array of strings");
        out->aliases.push_back(a.string_value());
      }
    }
  } else {
    return Malformed(input, where + ".vulnerability must be an object with a name");
  }
  if (out->vulnerability.empty())
    return Malformed(input, where + ".vulnerability has neither a name nor an \"@id\"");
  return true;
}

Checked<VexStatement> ParseOne(const pb::Value& v, std::string_view input, std::size_t index) {
  std::string where = "predicate.statements[" + std::to_string(index) + "]";
  if (v.kind_case() != pb::Value::kStructValue)
    return Malformed(input, where + " must be an object");
  const pb::Struct& st = v.struct_value();
  VexStatement s;
  if (auto ok = ParseVulnerability(st, input, where, &s); !ok.ok()) return ok.failure();
  const pb::Value* products = FindField(st, "products");
  if (products == nullptr || products->kind_case() != pb::Value::kListValue ||
      products->list_value().values_size() == 0)
    return Malformed(input, where + ".products must be a non-empty array");
  if (static_cast<std::size_t>(products->list_value().values_size()) > kMaxVexProducts)
    return MakeFailure(Reason::kInputTooLarge, input, where + ".products has too many entries");
  for (int i = 0; i < products->list_value().values_size(); ++i) {
    auto p = ParseProduct(products->list_value().values(i), input,
                          where + ".products[" + std::to_string(i) + "]");
    if (!p.ok()) return p.failure();
    s.products.push_back(std::move(p).value());
  }
  for (auto [key, field] : {std::pair{"status", &s.status},
                            {"justification", &s.justification},
                            {"impact_statement", &s.impact_statement},
                            {"action_statement", &s.action_statement}}) {
    auto t = Text(st, key, input, where);
    if (!t.ok()) return t.failure();
    *field = t.value();
  }
  if (std::find(kStatuses.begin(), kStatuses.end(), s.status) == kStatuses.end())
    return Malformed(input, where + ".status \"" + s.status.substr(0, 40) +
                                "\" is not not_affected, affected, fixed or under_investigation");
  if (!s.justification.empty() && std::find(kJustifications.begin(), kJustifications.end(),
                                            s.justification) == kJustifications.end())
    return Malformed(input, where + ".justification \"" + s.justification.substr(0, 60) +
                                "\" is not one of OpenVEX's five justification labels");
  if (s.status == "not_affected" && s.justification.empty() && s.impact_statement.empty())
    return Malformed(input, where +
                                " says not_affected without a justification or an "
                                "impact_statement");
  if (s.status == "affected" && s.action_statement.empty())
    return Malformed(input, where + " says affected without an action_statement");
  return s;
}

}  // namespace

bool VexStatement::Names(std::string_view name) const {
  return vulnerability == name || std::find(aliases.begin(), aliases.end(), name) != aliases.end();
}

bool ParseGenericPurl(std::string_view purl, std::string* name, std::string* version) {
  constexpr std::string_view kPrefix = "pkg:generic/";
  if (!purl.starts_with(kPrefix)) return false;
  std::string_view rest = purl.substr(kPrefix.size());
  rest = rest.substr(0, std::min(rest.find('?'), rest.find('#')));
  auto at = rest.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == rest.size()) return false;
  std::string n, v;
  if (!PercentDecode(rest.substr(0, at), &n) || !PercentDecode(rest.substr(at + 1), &v))
    return false;
  if (n.find('/') != std::string::npos) return false;  // a namespace: not one of ours
  *name = std::move(n);
  *version = std::move(v);
  return true;
}

Checked<Vex> ParseVex(const Envelope& env, std::string_view input) {
  auto st = ParseStatement(env, input, {kOpenVexPredicate, kOpenVexPredicateV020});
  if (!st.ok()) return st.failure();
  Vex vex;
  vex.statement = std::move(st).value();
  const pb::Struct& pred = vex.statement.predicate;
  for (auto [key, field] :
       {std::pair{"@context", &vex.context}, {"@id", &vex.id}, {"author", &vex.author}}) {
    auto t = Text(pred, key, input, "predicate");
    if (!t.ok()) return t.failure();
    *field = t.value();
  }
  if (!vex.context.starts_with("https://openvex.dev/ns"))
    return Malformed(input, "predicate.@context \"" + vex.context.substr(0, 60) +
                                "\" is not an OpenVEX context (https://openvex.dev/ns...)");
  const pb::Value* list = FindField(pred, "statements");
  if (list == nullptr || list->kind_case() != pb::Value::kListValue ||
      list->list_value().values_size() == 0)
    return Malformed(input, "predicate.statements must be a non-empty array");
  if (static_cast<std::size_t>(list->list_value().values_size()) > kMaxVexStatements)
    return MakeFailure(
        Reason::kInputTooLarge, input,
        "predicate.statements has more than " + std::to_string(kMaxVexStatements) + " entries");
  for (int i = 0; i < list->list_value().values_size(); ++i) {
    auto s = ParseOne(list->list_value().values(i), input, static_cast<std::size_t>(i));
    if (!s.ok()) return s.failure();
    vex.statements.push_back(std::move(s).value());
  }
  return vex;
}

}  // namespace sr::policy
