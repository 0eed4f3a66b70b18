// M-of-N custody of token PINs without an HSM: libgfshare splitting, the
// share file and its printable form, passphrases, and every refusal of the
// shares: pin source against a station's custody record (station/custody.h).
#include "station/custody.h"

#include <doctest/doctest.h>

#include <string>

#include "base/file.h"
#include "station/layout.h"
#include "station/pin_source.h"
#include "station/share.h"
#include "tests/testing/temp_dir.h"

namespace {

using sr::SecretBytes;
using sr::testing::TempDir;
namespace custody = sr::custody;

SecretBytes Bytes(std::string_view s) { return SecretBytes(s.begin(), s.end()); }
std::string Str(const SecretBytes& b) { return std::string(b.begin(), b.end()); }

// A station directory (no HSM needed) whose release user PIN is split 2-of-3.
struct Fixture {
  explicit Fixture(const std::string& station_id = "station-a") : id(station_id) {
    dir = tmp.path() + "/station";
    shares = tmp.path() + "/shares";
    REQUIRE(sr::MakeDirs(dir).ok());
    auto p = custody::GeneratePin();
    REQUIRE(p.ok());
    pin = *p;
    Issue("user", {});
  }
  custody::Issued Issue(const std::string& kind, std::vector<SecretBytes> passphrases,
                        const std::string& out = "") {
    custody::IssueOptions o;
    o.threshold = 2;
    o.custodians = {"alice", "bob", "carol"};
    o.passphrases = std::move(passphrases);
    o.shares_out = out.empty() ? shares : out;
    auto issued = custody::IssueShares(id, "release", kind, pin, o);
    REQUIRE_MESSAGE(issued.ok(), issued.status().ToString());
    custody::CustodyRecord rec;
    rec.station_id = id;
    rec.token = "release";
    rec.pin = kind;
    rec.current = issued->split;
    REQUIRE(custody::WriteRecord(dir, rec).ok());
    return *issued;
  }
  std::string Share(const std::string& who, const std::string& kind = "user") const {
    return shares + "/" + who + "-release-" + kind + ".share";
  }
  // ReadPin of "shares:<list>" for the release user PIN.
  sr::Result<SecretBytes> Read(const std::string& list, std::vector<std::string>* fps = nullptr) {
    auto src = sr::ParsePinSource("shares:" + list, "release PIN", sr::PinTarget{dir});
    REQUIRE(src.ok());
    auto r = (*src)->ReadPin();
    if (fps != nullptr) *fps = (*src)->ShareFingerprints();
    return r;
  }
  TempDir tmp{"sr-custody"};
  std::string id, dir, shares;
  SecretBytes pin;
};

std::string ErrorOf(const sr::Result<SecretBytes>& r) {
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

}  // namespace

// First in the file: libgfshare's gfshare_fill_rand is NULL until set, and
// its decoder calls it; without the CSPRNG set by Combine this crashes.
TEST_CASE("custody: combining shares alone sets libgfshare's random source to the CSPRNG") {
  custody::Share a, b;
  a.header.index = 1;
  b.header.index = 2;
  a.header.secret_length = b.header.secret_length = 4;
  a.data = Bytes("abcd");
  b.data = Bytes("efgh");
  auto secret = custody::Combine({&a, &b});
  REQUIRE(secret.ok());
  CHECK(secret->size() == 4);
  CHECK(custody::GfshareUsesCsprng());
}

TEST_CASE("custody: any 2 of 3 shares recover the secret, one share does not") {
  SecretBytes secret = Bytes("0123456789abcdef0123456789abcdef");
  custody::ShareHeader h;
  h.station_id = "s";
  h.token = "release";
  h.pin = "user";
  h.split_id = "x";
  h.threshold = 2;
  h.shares = 3;
  auto shares = custody::Split(secret, h, {"a", "b", "c"});
  REQUIRE(shares.ok());
  REQUIRE(shares->size() == 3);
  const auto& s = *shares;
  for (auto pair : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
    auto got = custody::Combine({&s[pair.first], &s[pair.second]});
    REQUIRE(got.ok());
    CHECK(*got == secret);
  }
  CHECK(*custody::Combine({&s[0], &s[1], &s[2]}) == secret);
  CHECK(*custody::Combine({&s[2]}) != secret);  // libgfshare's silent wrong secret
  CHECK(s[0].fingerprint != s[1].fingerprint);
  CHECK(custody::Split(secret, h, {}).ok());
  h.threshold = 4;
  CHECK(custody::Split(secret, h, {}).status().code() == sr::Code::kInvalidArgument);
}

TEST_CASE("custody: a generated PIN is 64 hex characters, fresh each time") {
  auto a = custody::GeneratePin(), b = custody::GeneratePin();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == 64);
  CHECK(*a != *b);
  for (auto c : *a) CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
}

TEST_CASE("custody: shares:a,b opens the PIN for 2 of 3 and names the shares used") {
  Fixture f;
  for (auto [x, y] : {std::pair{"alice", "bob"}, std::pair{"carol", "alice"}}) {
    std::vector<std::string> fps;
    auto pin = f.Read(f.Share(x) + "," + f.Share(y), &fps);
    REQUIRE_MESSAGE(pin.ok(), pin.status().ToString());
    CHECK(*pin == f.pin);
    CHECK(fps.size() == 2);
  }
  // All three are fine too.
  CHECK(f.Read(f.Share("alice") + "," + f.Share("bob") + "," + f.Share("carol")).ok());
  auto rec = custody::ReadRecord(f.dir, "release", "user");
  REQUIRE(rec.ok());
  std::vector<std::string> fps;
  REQUIRE(f.Read(f.Share("bob") + "," + f.Share("carol"), &fps).ok());
  CHECK(fps ==
        std::vector<std::string>{rec->current.fingerprints[1], rec->current.fingerprints[2]});
  // The record never holds the PIN.
  auto text = sr::ReadFile(sr::layout::CustodyRecord(f.dir, "release", "user"));
  REQUIRE(text.ok());
  CHECK(text->find(Str(f.pin)) == std::string::npos);
}

TEST_CASE("custody: too few, duplicated, corrupted, foreign and old shares are refused by name") {
  Fixture f;
  const std::string a = f.Share("alice"), b = f.Share("bob");

  SUBCASE("one share") {
    CHECK(ErrorOf(f.Read(a)).find("2 of 3 shares are needed") != std::string::npos);
    CHECK(ErrorOf(f.Read(a)).find("1 given") != std::string::npos);
  }
  SUBCASE("the same file twice") {
    std::string e = ErrorOf(f.Read(a + "," + a));
    CHECK(e.find(a + " is given twice") != std::string::npos);
  }
  SUBCASE("a copy of one share") {
    std::string copy = f.tmp.path() + "/copy.share";
    REQUIRE(sr::WriteFileAtomic(copy, *sr::ReadFile(a), 0600).ok());
    std::string e = ErrorOf(f.Read(a + "," + copy));
    CHECK(e.find("are the same share") != std::string::npos);
    CHECK(e.find(copy) != std::string::npos);
  }
  SUBCASE("a corrupted share names its damaged line") {
    std::string text = *sr::ReadFile(b);
    std::size_t data = text.find("data: ");
    REQUIRE(data != std::string::npos);
    text[data + 6] = text[data + 6] == '0' ? '1' : '0';
    std::string bad = f.tmp.path() + "/bad.share";
    REQUIRE(sr::WriteFileAtomic(bad, text, 0600).ok());
    std::string e = ErrorOf(f.Read(a + "," + bad));
    CHECK(e.find(bad + ": line 14") != std::string::npos);
    CHECK(e.find("does not match its check") != std::string::npos);
  }
  SUBCASE("a share with a line dropped") {
    std::string text = *sr::ReadFile(b);
    std::size_t last = text.rfind("data: ");
    std::string cut = text.substr(0, last) + text.substr(text.find('\n', last) + 1);
    std::string bad = f.tmp.path() + "/cut.share";
    REQUIRE(sr::WriteFileAtomic(bad, cut, 0600).ok());
    std::string e = ErrorOf(f.Read(a + "," + bad));
    CHECK(e.find(bad) != std::string::npos);
    CHECK(e.find("line 15") != std::string::npos);  // the checksum line moved up
  }
  SUBCASE("another station's share") {
    Fixture other("station-b");
    std::string e = ErrorOf(f.Read(a + "," + other.Share("bob")));
    CHECK(e.find(other.Share("bob") + " belongs to another station (station-b)") !=
          std::string::npos);
  }
  SUBCASE("a share of another PIN") {
    f.Issue("so", {});
    std::string e = ErrorOf(f.Read(a + "," + f.Share("bob", "so")));
    CHECK(e.find("is a share of the release token's SO PIN, not of the release token's user PIN") !=
          std::string::npos);
  }
  SUBCASE("shares of an older split") {
    f.Issue("user", {}, f.tmp.path() + "/new");
    std::string e = ErrorOf(f.Read(a + "," + b));
    CHECK(e.find(a + " is from an older split") != std::string::npos);
    auto fresh = f.Read(f.tmp.path() + "/new/alice-release-user.share," + f.tmp.path() +
                        "/new/carol-release-user.share");
    CHECK(fresh.ok());
  }
  SUBCASE("a share whose fingerprint the record does not list") {
    auto rec = custody::ReadRecord(f.dir, "release", "user");
    REQUIRE(rec.ok());
    rec->current.fingerprints[1] = std::string(64, 'f');
    REQUIRE(custody::WriteRecord(f.dir, *rec).ok());
    std::string e = ErrorOf(f.Read(a + "," + b));
    CHECK(e.find(b + " (fingerprint") != std::string::npos);
    CHECK(e.find("not in the station's custody record") != std::string::npos);
  }
  SUBCASE("a PIN not held by custodians") {
    auto src =
        sr::ParsePinSource("shares:" + a + "," + b, "p", sr::PinTarget{f.dir, "log", "user"});
    REQUIRE(src.ok());
    auto r = (*src)->ReadPin();
    CHECK(r.status().code() == sr::Code::kNotFound);
    CHECK(r.status().message().find("not held by custodians") != std::string::npos);
  }
  SUBCASE("no station to check against, or a passphrase on the command line") {
    CHECK(sr::ParsePinSource("shares:" + a, "p").status().code() == sr::Code::kInvalidArgument);
    CHECK(sr::ParsePinSource("shares:" + a + "?passphrase=pass:x", "p", sr::PinTarget{f.dir})
              .status()
              .code() == sr::Code::kPermissionDenied);
    CHECK(sr::ParsePinSource("shares:", "p", sr::PinTarget{f.dir}).status().code() ==
          sr::Code::kInvalidArgument);
  }
}

TEST_CASE("custody: a passphrase-protected share opens only with its passphrase") {
  Fixture f;
  std::vector<SecretBytes> pass = {{}, Bytes("correct horse battery"), {}};
  f.Issue("user", pass, f.tmp.path() + "/prot");
  const std::string a = f.tmp.path() + "/prot/alice-release-user.share";
  const std::string b = f.tmp.path() + "/prot/bob-release-user.share";
  auto text = sr::ReadFile(b);
  REQUIRE(text.ok());
  CHECK(text->find("protection: scrypt") != std::string::npos);
  std::string good = f.tmp.path() + "/good", bad = f.tmp.path() + "/bad";
  REQUIRE(sr::WriteFileAtomic(good, "correct horse battery\n", 0600).ok());
  REQUIRE(sr::WriteFileAtomic(bad, "wrong horse\n", 0600).ok());
  auto pin = f.Read(a + "," + b + "?passphrase=file:" + good);
  REQUIRE_MESSAGE(pin.ok(), pin.status().ToString());
  CHECK(*pin == f.pin);
  std::string e = ErrorOf(f.Read(a + "," + b + "?passphrase=file:" + bad));
  CHECK(e.find(b + ": wrong passphrase") != std::string::npos);
}

TEST_CASE("custody: the printable form survives retyping and names a mistyped line") {
  custody::ShareHeader h;
  h.station_id = "s";
  h.token = "release";
  h.pin = "user";
  h.split_id = "0011";
  h.threshold = 2;
  h.shares = 2;
  h.issued = "2026-12-06T12:00:00Z";
  auto shares = custody::Split(Bytes("a-secret-pin-of-some-length-here"), h, {"ann", "bo"});
  REQUIRE(shares.ok());
  for (const SecretBytes& pass : {SecretBytes{}, Bytes("pass phrase")}) {
    auto text = custody::FormatShare((*shares)[0], pass);
    REQUIRE(text.ok());
    std::string t = Str(*text);
    // Every content line carries its check.
    std::size_t lines = 0, checked = 0;
    for (std::size_t p = 0; p < t.size();) {
      std::size_t nl = t.find('\n', p);
      std::string line = t.substr(p, nl - p);
      if (!line.empty() && line[0] != '#') {
        ++lines;
        checked += line.size() > 7 && line[line.size() - 5] == '~';
      }
      p = nl + 1;
    }
    CHECK(lines == checked);
    // Retyped: CRLF, upper-case checks, extra spaces and blank lines are fine.
    std::string typed;
    for (char c : t) {
      if (c == '\n')
        typed += "   \r\n\n";
      else
        typed += c;
    }
    for (std::size_t p = typed.find('~'); p != std::string::npos; p = typed.find('~', p + 1))
      for (std::size_t k = 1; k <= 4; ++k) typed[p + k] = char(std::toupper(typed[p + k]));
    auto parsed = custody::ParseShare(Bytes(typed), "typed share");
    REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
    auto opened = custody::OpenShare(*parsed, pass, "typed share");
    REQUIRE(opened.ok());
    CHECK(opened->data == (*shares)[0].data);
    CHECK(opened->fingerprint == (*shares)[0].fingerprint);
    // A typo on line 5 (split) is named.
    std::size_t split = t.find("split: 0011");
    REQUIRE(split != std::string::npos);
    std::string typo = t;
    typo[split + 7] = '9';
    auto bad = custody::ParseShare(Bytes(typo), "typed share");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message().find("typed share: line 5") != std::string::npos);
  }
  CHECK(custody::ParseShare(Bytes("hello\n"), "x").status().code() == sr::Code::kInvalidArgument);
}

TEST_CASE("custody: during an unfinished resplit both splits open, but never mixed") {
  Fixture f;
  // What custody resplit leaves when killed after recording the new split:
  // current = the old split, pending = the new one.
  auto old_rec = custody::ReadRecord(f.dir, "release", "user");
  REQUIRE(old_rec.ok());
  custody::IssueOptions o;
  o.threshold = 2;
  o.custodians = {"dan", "erin"};
  o.shares_out = f.tmp.path() + "/new";
  auto issued = custody::IssueShares(f.id, "release", "user", f.pin, o);
  REQUIRE(issued.ok());
  custody::CustodyRecord rec = *old_rec;
  rec.pending = issued->split;
  REQUIRE(custody::WriteRecord(f.dir, rec).ok());
  auto back = custody::ReadRecord(f.dir, "release", "user");
  REQUIRE(back.ok());
  REQUIRE(back->pending.has_value());
  CHECK(back->pending->custodians == o.custodians);

  CHECK(f.Read(f.Share("alice") + "," + f.Share("bob")).ok());
  const std::string dan = o.shares_out + "/dan-release-user.share";
  const std::string erin = o.shares_out + "/erin-release-user.share";
  CHECK(f.Read(dan + "," + erin).ok());
  std::string e = ErrorOf(f.Read(f.Share("alice") + "," + dan));
  CHECK(e.find("of a different split") != std::string::npos);
}
