#include "policy/gate_vex.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/hash.h"
#include "policy/json.h"

namespace sr::policy::internal {
namespace v1 = strongroom::v1;

namespace {

bool Covers(const std::string& status) { return status == "fixed" || status == "not_affected"; }

// Whether statement s says something about product@version.
bool AboutVersion(const VexStatement& s, const std::string& product, const std::string& version) {
  return std::any_of(s.products.begin(), s.products.end(), [&](const VexProduct& p) {
    return p.product == product && p.version == version;
  });
}

bool AboutProduct(const VexStatement& s, const std::string& product) {
  return std::any_of(s.products.begin(), s.products.end(),
                     [&](const VexProduct& p) { return p.product == product; });
}

void AddUnique(google::protobuf::RepeatedPtrField<std::string>* list, const std::string& v) {
  if (std::find(list->begin(), list->end(), v) == list->end()) *list->Add() = v;
}

// What the VEX states about each vulnerability for this product: the
// statement about this version (the last one, in document order, as OpenVEX
// lets a later statement supersede an earlier one) and every version it
// names affected or fixed.
void Record(const SigningRequest& req, const Vex& vex, v1::SigningBindings* b) {
  std::map<std::string, v1::VexStatementRecord*> by_vuln;
  for (const VexStatement& s : vex.statements) {
    if (!AboutProduct(s, req.product)) continue;
    v1::VexStatementRecord*& r = by_vuln[s.vulnerability];
    if (r == nullptr) {
      r = b->add_vex_statements();
      r->set_vulnerability(s.vulnerability);
    }
    if (AboutVersion(s, req.product, req.version)) {
      r->set_status(s.status);
      r->set_justification(s.justification.empty() ? s.impact_statement : s.justification);
      r->set_action_statement(s.action_statement);
    }
    for (const VexProduct& p : s.products) {
      if (p.product != req.product) continue;
      if (s.status == "affected") AddUnique(r->mutable_affected_versions(), p.version);
      if (s.status == "fixed") AddUnique(r->mutable_fixed_versions(), p.version);
    }
  }
}

void CheckCoverage(const SigningRequest& req, const v1::ReleaseApproval& a, const Vex& vex,
                   std::vector<Failure>* failures) {
  const std::string who = req.product + " " + req.version;
  for (const std::string& vuln : a.vulnerabilities()) {
    const VexStatement* last = nullptr;
    for (const VexStatement& s : vex.statements)
      if (s.Names(vuln) && AboutVersion(s, req.product, req.version)) last = &s;
    if (last == nullptr) {
      failures->push_back(
          {Reason::kVexDoesNotCover, "vex",
           "the approval names " + vuln + ", and the VEX has no statement about it for " + who +
               " (product pkg:generic/" + req.product + "@" + req.version +
               "); the product-security team must state it fixed or not_affected in this "
               "version"});
    } else if (!Covers(last->status)) {
      failures->push_back(
          {Reason::kVexDoesNotCover, "vex",
           "the VEX states " + vuln + " is " + last->status + " in " + who +
               (last->action_statement.empty() ? "" : " (action: " + last->action_statement + ")") +
               "; a release whose approval names it is signed only when the VEX states it fixed "
               "or not_affected in this version"});
    }
  }
}

}  // namespace

std::optional<Checked<Vex>> ParseVexInput(const GateInputs& in) {
  if (in.vex.empty()) return std::nullopt;
  auto env = ParseEnvelope(in.vex, "vex");
  if (!env.ok()) return Checked<Vex>(env.failure());
  return ParseVex(env.value(), "vex");
}

void CheckVex(const SigningRequest& req, const LoadedPolicy& lp, const v1::ProductPolicy& pp,
              const v1::ReleaseApproval* approval, const GateInputs& in,
              const std::optional<Checked<Vex>>& vex, std::vector<Failure>* failures,
              v1::SigningBindings* b) {
  if (!vex) {
    if (pp.require_vex() && approval != nullptr && approval->vulnerabilities_size() > 0) {
      std::string names;
      for (const auto& v : approval->vulnerabilities()) names += (names.empty() ? "" : ", ") + v;
      failures->push_back({Reason::kVexMissing, "vex",
                           "the approval names " + names +
                               " and the policy requires an OpenVEX "
                               "statement for " +
                               pp.name() +
                               " signed by its product-security team; present it with --vex FILE"});
    }
    return;
  }
  if (!vex->ok()) return;  // reported with the other inputs' malformations
  // Parsed again for the signatures: ParseVexInput kept only the predicate.
  auto env = ParseEnvelope(in.vex, "vex");
  if (!env.ok()) return;
  std::vector<PublicKey> keys;
  for (const auto& k : pp.product_security())
    if (const PublicKey* pk = lp.Key(k)) keys.push_back(*pk);
  ThresholdResult r = VerifySignatures(env.value(), keys);
  if (r.invalid > 0)
    failures->push_back({Reason::kVexSignatureInvalid, "vex",
                         "a signature names a product-security key of " + pp.name() +
                             " but does not verify: the VEX was altered after signing"});
  if (r.accepted.empty()) {
    if (r.invalid == 0)
      failures->push_back(
          {Reason::kVexUntrustedSigner, "vex",
           keys.empty()
               ? "the policy trusts no product-security key for " + pp.name() +
                     " (productSecurity); a VEX cannot be accepted until one is added"
               : "not signed by a product-security key the policy trusts for " + pp.name() +
                     " (keyid hint: " +
                     (r.unknown_keyids.empty() ? "" : r.unknown_keyids[0].substr(0, 64)) + ")"});
    return;
  }
  const Vex& v = vex->value();
  bool about_us = std::any_of(v.statements.begin(), v.statements.end(), [&](const VexStatement& s) {
    return AboutVersion(s, req.product, req.version);
  });
  if (!about_us) {
    std::set<std::string> named;
    for (const VexStatement& s : v.statements)
      for (const VexProduct& p : s.products)
        if (named.size() < 4) named.insert(p.id.substr(0, 80));
    std::string list;
    for (const std::string& n : named) list += (list.empty() ? "" : ", ") + n;
    failures->push_back({Reason::kVexProductMismatch, "vex",
                         "the VEX states nothing about " + req.product + " " + req.version +
                             " (product pkg:generic/" + req.product + "@" + req.version +
                             "); it names " + list + ": present the VEX for this release"});
    return;
  }
  std::size_t before = failures->size();
  if (approval != nullptr) CheckCoverage(req, *approval, v, failures);
  if (failures->size() != before) return;
  b->set_vex_digest(Sha256Hex(in.vex));
  b->set_vex_signer_fingerprint(*r.accepted.begin());
  Record(req, v, b);
}

void CheckDocuments(const v1::ProductPolicy& pp, const v1::ReleaseApproval* approval,
                    const GateInputs& in, std::vector<Failure>* failures, v1::SigningBindings* b) {
  if (in.documents.size() > kMaxDocuments) {
    failures->push_back({Reason::kInputTooLarge, "documents",
                         "more than " + std::to_string(kMaxDocuments) + " documents presented"});
    return;
  }
  if (approval == nullptr) return;  // the approval's own failure says why
  const auto& bound = approval->documents();
  for (const std::string& kind : pp.required_documents()) {
    bool has = std::any_of(bound.begin(), bound.end(),
                           [&](const v1::BoundDocument& d) { return d.kind() == kind; });
    if (!has)
      failures->push_back(
          {Reason::kDocumentRequiredNotBound, "approval",
           "the policy requires a \"" + kind + "\" document for " + pp.name() +
               ", and the approval binds none; approve again with `strongroom approve create "
               "... --document " +
               kind + "=FILE`"});
  }
  std::vector<bool> presented(static_cast<std::size_t>(bound.size()), false);
  std::set<std::string> mismatched;  // bound names presented with other bytes
  for (std::size_t i = 0; i < in.documents.size(); ++i) {
    const Artifact& d = in.documents[i];
    std::string input = "document[" + std::to_string(i) + "]";
    int match = -1, same_name = -1;
    for (int k = 0; k < bound.size(); ++k) {
      if (bound[k].sha256() == d.sha256 && match < 0) match = k;
      if (bound[k].name() == d.name && same_name < 0) same_name = k;
    }
    if (match >= 0) {
      if (!presented[static_cast<std::size_t>(match)]) {
        auto* r = b->add_documents();
        r->set_kind(bound[match].kind());
        r->set_name(d.name);
        r->set_sha256(d.sha256);
      }
      presented[static_cast<std::size_t>(match)] = true;
    } else if (same_name >= 0) {
      mismatched.insert(d.name);
      failures->push_back({Reason::kDocumentMismatch, input,
                           d.name + " (sha256 " + d.sha256.substr(0, 16) + "...) is not the \"" +
                               bound[same_name].kind() +
                               "\" document the approval binds under that name (sha256 " +
                               bound[same_name].sha256().substr(0, 16) +
                               "...): it was changed after approval; present the approved file"});
    } else {
      failures->push_back({Reason::kDocumentNotBound, input,
                           d.name + " (sha256 " + d.sha256.substr(0, 16) +
                               "...) is not a document the approval binds; present only the "
                               "approved documents, or approve again binding it"});
    }
  }
  for (int k = 0; k < bound.size(); ++k) {
    if (presented[static_cast<std::size_t>(k)] || mismatched.count(bound[k].name())) continue;
    failures->push_back({Reason::kDocumentMissing, "documents",
                         "the approval binds the \"" + bound[k].kind() + "\" document " +
                             bound[k].name() + " (sha256 " + bound[k].sha256().substr(0, 16) +
                             "...), and it was not presented: give it with --document FILE"});
  }
}

}  // namespace sr::policy::internal
