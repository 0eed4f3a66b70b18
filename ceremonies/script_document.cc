#include "ceremonies/script_document.h"

namespace sr::ceremonies {
namespace {

namespace v1 = strongroom::v1;

std::string ActionText(const v1::CeremonyStep& s) {
  std::string a = "strongroom";
  for (const auto& arg : s.action()) a += " " + arg;
  return a;
}

std::string Roles(const v1::CeremonyStep& s) {
  std::string r;
  for (const auto& c : s.confirm_roles()) r += (r.empty() ? "" : ", ") + c;
  return r;
}

}  // namespace

Document ScriptDocument(const Definition& def) {
  const auto& c = def.ceremony;
  Document doc("Ceremony " + c.name() + " (" + KindName(c.kind()) + ")");
  doc.Section("The ceremony");
  if (!c.description().empty()) doc.Paragraph(c.description());
  doc.Paragraph("Definition SHA-256 (compare with the approval and the log):");
  doc.Code(def.sha256);
  std::vector<std::string> roles;
  for (const auto& r : c.roles())
    roles.push_back(r.name() + ": at least " + std::to_string(r.min_present()) + " present");
  if (c.custodian_threshold() > 0)
    roles.push_back("custodians: " + std::to_string(c.custodian_threshold()) + " must be present");
  if (!roles.empty()) {
    doc.Subheading("Roles");
    doc.List(roles);
  }
  std::vector<std::vector<std::string>> people;
  for (int i = 0; i < c.participants_size(); ++i)
    people.push_back({c.participants(i).name(), c.participants(i).role(),
                      def.keys[static_cast<std::size_t>(i)].fingerprint()});
  doc.Subheading("Participants");
  doc.Table({"Name", "Role", "Key fingerprint (SHA-256)"}, people);
  if (c.parameters_size() > 0) {
    std::vector<std::vector<std::string>> params;
    for (const auto& p : c.parameters())
      params.push_back({p.name(), p.description(),
                        !p.default_value().empty() ? p.default_value()
                        : p.list()                 ? "(optional list, comma-separated)"
                        : p.optional()             ? "(optional)"
                                                   : "(required)"});
    doc.Subheading("Parameters");
    doc.Table({"Parameter", "Meaning", "Default"}, params);
  }
  doc.Section("Steps");
  for (int i = 0; i < c.steps_size(); ++i) {
    const auto& s = c.steps(i);
    // U+2610 BALLOT BOX: ticked by hand on the printed page.
    doc.Subheading("\u2610 " + std::to_string(i + 1) + ". " + s.name());
    doc.Paragraph(s.instruction());
    if (s.action_size() > 0) doc.Code(ActionText(s));
    std::vector<std::string> facts;
    if (s.expected_exit_code() != 0)
      facts.push_back("Expected exit code: " + std::to_string(s.expected_exit_code()));
    for (const auto& o : s.expected_outputs()) facts.push_back("Output: " + o);
    if (s.confirm_roles_size() > 0) facts.push_back("Confirmed by: " + Roles(s));
    if (!facts.empty()) doc.List(facts);
  }
  doc.Section("Signatures");
  doc.Paragraph("We took part in this ceremony as written above.");
  std::vector<SignatureLine> lines;
  for (const auto& p : c.participants()) lines.push_back({p.name(), p.role(), ""});
  doc.Signatures(lines);
  return doc;
}

}  // namespace sr::ceremonies
