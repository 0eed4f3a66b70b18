// OpenVEX (https://github.com/openvex/spec, v0.2.0 and the v0.0.x documents
// that list products as strings) carried as the predicate of an in-toto
// Statement in a DSSE envelope: the product-security team's affected-version
// analysis of the vulnerabilities a release approval names. Parsing only;
// the gate (gate.cc) decides whether the document is trusted and covers the
// release. Pure and thread-safe.
//
// How a statement names a version of one of our products (docs/policy.md,
// "Vulnerability records"): a product entry whose "@id" (or
// "identifiers.purl") is the package URL pkg:generic/<PRODUCT>@<VERSION>,
// e.g. pkg:generic/IC-22@5.4.3 (qualifiers "?..." and a subpath "#..." are
// ignored). The statement's status then holds for that version: "fixed" or
// "not_affected" covers the vulnerability for it; "affected" and
// "under_investigation" do not. Products named any other way (another
// package type, a digest) are kept but name no version of ours.
#ifndef STRONGROOM_POLICY_VEX_H_
#define STRONGROOM_POLICY_VEX_H_

#include <string>
#include <string_view>
#include <vector>

#include "policy/statement.h"

namespace sr::policy {

inline constexpr std::string_view kOpenVexPredicate = "https://openvex.dev/ns";
inline constexpr std::string_view kOpenVexPredicateV020 = "https://openvex.dev/ns/v0.2.0";
inline constexpr std::size_t kMaxVexStatements = 1024;
inline constexpr std::size_t kMaxVexProducts = 1024;  // per statement

// One product entry of a statement: its identifier and, when it is a
// pkg:generic purl, the product and version it names.
struct VexProduct {
  std::string id;                // "@id", else identifiers.purl
  std::string product, version;  // from pkg:generic/<product>@<version>; "" otherwise
};

struct VexStatement {
  std::string vulnerability;         // vulnerability.name, else vulnerability["@id"]
  std::vector<std::string> aliases;  // vulnerability.aliases and @id: other names it matches
  std::vector<VexProduct> products;
  std::string status;  // not_affected | affected | fixed | under_investigation
  std::string justification, impact_statement, action_statement;
  bool Names(std::string_view vulnerability_name) const;
};

struct Vex {
  Statement statement;
  std::string context;  // "@context"
  std::string id;       // "@id"
  std::string author;
  std::vector<VexStatement> statements;
};

// Splits "pkg:generic/<name>@<version>[?qualifiers][#subpath]" (name and
// version percent-decoded); false for anything else.
bool ParseGenericPurl(std::string_view purl, std::string* name, std::string* version);

// Parses the OpenVEX predicate of a DSSE envelope. Envelope and Statement
// problems use the input codes of every other input (INPUT_*,
// STATEMENT_WRONG_PREDICATE_TYPE); a predicate that is not a valid OpenVEX
// document (no statements, a statement without a vulnerability or products,
// an unknown status, "not_affected" without a justification or impact
// statement, "affected" without an action statement, ...) is VEX_MALFORMED,
// naming the statement and field.
Checked<Vex> ParseVex(const Envelope& env, std::string_view input);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_VEX_H_
