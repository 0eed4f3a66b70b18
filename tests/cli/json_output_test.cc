// Every `--json` output of the strongroom binary, on success and on error, is
// one JSON document that a strict parser accepts: Python's json module on the
// bytes decoded as UTF-8 strictly, rejecting duplicate keys and NaN/Infinity.
// The inputs live in directories named with a non-ASCII letter ("é") and a
// byte that is not UTF-8 (0xff), which end up in paths and messages.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/testing/sign_station.h"

namespace sr::testing {
namespace {

// "d-é-\xff": valid UTF-8, then a byte no UTF-8 string holds.
const std::string kOdd = "d-\xc3\xa9-\xff";

constexpr const char* kStrictJson = R"PY(
import json, sys
def pairs(ps):
    keys = [k for k, _ in ps]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in " + repr(keys))
    return dict(ps)
def constant(c):
    raise ValueError("not JSON: " + c)
rc = int(sys.argv[1])
text = sys.stdin.buffer.read().decode("utf-8", "strict")
v = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
if not isinstance(v, (dict, list)):
    raise SystemExit("neither an object nor an array")
if isinstance(v, dict) and "error" in v:
    if v.get("ok") is not False or v["error"].get("exit") != rc:
        raise SystemExit("error object does not say ok:false and exit %d" % rc)
    for k in ("code", "message"):
        if not isinstance(v["error"].get(k), str):
            raise SystemExit("error." + k + " is not a string")
if rc == 0 and isinstance(v, dict) and v.get("ok", True) is not True:
    raise SystemExit("exit 0 but ok is not true")
print(json.dumps(v, ensure_ascii=True, sort_keys=True))
)PY";

std::string Q(const std::string& s) { return "'" + s + "'"; }

// Runs `strongroom --json ARGS` (or with the flag after the verb) in st.root;
// checks the exit code is `want` (-1: any non-zero) and that stdout is one
// strict JSON document. Returns that document re-printed as ASCII JSON.
std::string Json(const SignStation& st, const std::string& args, int want) {
  CmdResult r = st.Sr("--json " + args);
  INFO("strongroom --json ", args);
  INFO("stdout: ", r.out);
  INFO("stderr: ", r.err);
  if (want < 0)
    CHECK(r.rc > 0);
  else
    CHECK(r.rc == want);
  std::string file = st.root + "/.json-out";
  REQUIRE(WriteFileAtomic(file, r.out).ok());
  REQUIRE(WriteFileAtomic(st.root + "/.strict.py", kStrictJson).ok());
  CmdResult py = Run("python3 " + Q(st.root + "/.strict.py") + " " + std::to_string(r.rc) +
                           " < " + Q(file),
                       st.root + "/.py-err");
  INFO("python: ", py.err);
  CHECK(py.rc == 0);
  return py.out;
}

bool Has(const std::string& doc, const std::string& what) {
  return doc.find(what) != std::string::npos;
}

std::string Pem(const std::string& kind) {
  SecretBytes pem = NewKeyPem(kind);
  return std::string(reinterpret_cast<const char*>(pem.data()), pem.size());
}

}  // namespace

TEST_CASE("json: station, key and log verbs on a station in a non-UTF-8 directory") {
  SignStation base;
  const std::string d = base.root + "/" + kOdd;
  REQUIRE(MakeDirs(d, 0755).ok());
  const std::string station = d + "/station";
  const std::string pins = " --release-so-pin-source file:" + base.pins +
                           "/release-so --release-pin-source file:" + base.pins +
                           "/release --log-so-pin-source file:" + base.pins +
                           "/log-so --log-pin-source file:" + base.pins + "/log";
  const std::string S = " --station " + Q(station);

  std::string doc = Json(base, "station init" + S + pins, 0);
  CHECK(Has(doc, "\"dir\": "));
  CHECK(Has(doc, "d-\\u00e9-\\ufffd"));  // é kept, 0xff replaced by U+FFFD
  CHECK(Has(doc, "\"station\": {"));
  doc = Json(base, "station init" + S + pins, 11);  // not empty
  CHECK(Has(doc, "\"code\": \"already exists\""));

  doc = Json(base, "key generate" + S + " --label k --algorithm ed25519" + base.Pins(), 0);
  CHECK(Has(doc, "\"public_key\": "));
  CHECK(Has(doc, "\"event_index\": 3"));
  Json(base, "key generate" + S + " --label k --algorithm ed25519" + base.Pins(), 11);
  Json(base, "key generate" + S + " --label k2 --algorithm dsa" + base.Pins(), 3);
  doc = Json(base, "key list" + S, 0);
  CHECK(Has(doc, "\"label\": \"k\""));
  Json(base, "key list --station " + Q(d + "/nowhere"), 4);
  Json(base, "key export" + S + " --label k --out " + Q(d + "/k.pem"), 0);
  Json(base, "key export" + S + " --label k --out " + Q(d + "/k.pem"), 11);
  Json(base, "key export" + S + " --label nope", 4);
  // The flag after the verb too.
  CmdResult after = base.Sr("key list" + S + " --json");
  CHECK_MESSAGE(after.rc == 0, after.all());
  CHECK(after.out.starts_with("{\"ok\":true,\"keys\":["));

  doc = Json(base, "log vkey" + S, 0);
  CHECK(Has(doc, "\"vkey\": "));
  Json(base, "log vkey --station " + Q(d + "/nowhere"), 4);
  CmdResult vk = base.Sr("log vkey" + S);
  REQUIRE(vk.rc == 0);
  REQUIRE(WriteFileAtomic(d + "/log.vkey", vk.out).ok());
  const std::string V = " --vkey " + Q(d + "/log.vkey");
  doc = Json(base, "log verify" + S + V, 0);
  CHECK(Has(doc, "\"events\": 4"));
  Json(base, "log verify" + S + " --vkey " + Q(d + "/no-such.vkey"), 4);
  doc = Json(base, "log show" + S, 0);
  CHECK(Has(doc, "EVENT_KIND_KEY_GENERATED"));
  Json(base, "log show" + S + " --index 3 --count 1", 0);
  Json(base, "log show" + S + " --index 99", 4);
  Json(base, "log show --log " + Q(d + "/nowhere"), -1);

  REQUIRE(std::filesystem::copy_file(station + "/log/checkpoint", d + "/old.checkpoint"));
  Json(base,
       "key generate" + S + " --label k3 --algorithm ecdsa-p256 --operator " +
           Q("\xc3\xa9ve") + base.Pins(),
       0);
  doc = Json(base, "log show" + S + " --index 4", 0);
  CHECK(Has(doc, "\\u00e9ve"));  // the operator, as logged
  doc = Json(base, "log prove" + S + " --index 2 --out " + Q(d + "/p.proof"), 0);
  doc = Json(base, "log prove" + S + " --index 2", 0);
  CHECK(Has(doc, "\"proof\": "));
  Json(base, "log prove" + S + " --index 99", -1);
  Json(base, "log consistency" + S + " --from " + Q(d + "/old.checkpoint") + " --out " +
                 Q(d + "/c.proof"),
       0);
  Json(base, "log consistency" + S + " --from " + Q(d + "/no.checkpoint"), 4);
  doc = Json(base, "log verify-proof " + Q(d + "/p.proof") + V, 0);
  CHECK(Has(doc, "\"kind\": \"inclusion\""));
  doc = Json(base, "log verify-proof " + Q(d + "/c.proof") + V + " --old " +
                       Q(d + "/old.checkpoint"),
             0);
  CHECK(Has(doc, "\"old_size\": 4"));
  Json(base, "log verify-proof " + Q(d + "/no.proof") + V, 4);
  doc = Json(base, "log recover" + S + " --log-pin-source file:" + base.pins + "/log", 0);
  CHECK(Has(doc, "\"torn\": false"));
  Json(base, "log recover --log " + Q(station + "/log"), 10);

  // Usage errors and a PIN on the command line are JSON errors too.
  doc = Json(base, "key list" + S + " --no-such-option", 2);
  CHECK(Has(doc, "\"exit\": 2"));
  Json(base, "key list" + S + " --pin 1234", 9);
}

TEST_CASE("json: policy, approve, sign, verify and log outputs with non-UTF-8 paths") {
  SignStation st;
  const std::string d = st.root + "/" + kOdd;
  REQUIRE(MakeDirs(d, 0755).ok());
  REQUIRE(WriteFileAtomic(d + "/gov.key", Pem("ec256"), 0600).ok());
  World w = st.Scenario();
  policy::GateInputs g = w.Build();

  // policy init | sign | install | show
  std::string doc = Json(st, "policy init --out " + Q(d + "/policy.json"), 0);
  CHECK(Has(doc, "\"complete\": false"));
  CHECK(Has(doc, "d-\\u00e9-\\ufffd"));
  Json(st, "policy init --out " + Q(d + "/policy.json"), 11);
  Json(st, "policy sign --key " + Q(d + "/gov.key") + " --in " + Q(d + "/policy.json"), 3);
  REQUIRE(WriteFileAtomic(d + "/policy.env", g.policy).ok());
  doc = Json(st,
             "policy sign --key " + Q(d + "/gov.key") + " --in " + Q(d + "/policy.env") +
                 " --out " + Q(d + "/policy.extra.env"),
             0);
  CHECK(Has(doc, "\"signatures\": 3"));
  Json(st, "policy sign --key " + Q(d + "/none.key") + " --in " + Q(d + "/policy.env"), 4);
  const std::string install = "policy install --station " + Q(st.station) +
                              " --log-pin-source file:" + st.pins + "/log --in ";
  doc = Json(st, install + Q(d + "/policy.env"), 0);
  CHECK(Has(doc, "\"previous_version\": 0"));
  doc = Json(st, install + Q(d + "/policy.env"), 0);
  CHECK(Has(doc, "\"already_installed\": true"));
  Json(st, install + Q(d + "/none.env"), 4);
  REQUIRE(WriteFileAtomic(d + "/bad.env", "{\"payloadType\":1}").ok());
  Json(st, install + Q(d + "/bad.env"), 3);
  // Refused (and logged): version 2 signed by one governance key of two needed.
  // (An ASCII path: the refusal event quotes it, see the report of issue 14.)
  World weak = st.Scenario();
  weak.policy.set_version(2);
  weak.policy_signers.resize(1);
  REQUIRE(WriteFileAtomic(st.root + "/weak.env", weak.Build().policy).ok());
  doc = Json(st, install + Q(st.root + "/weak.env"), 1);
  CHECK(Has(doc, "\"refused\": ["));
  doc = Json(st, "policy show --station " + Q(st.station), 0);
  CHECK(Has(doc, "\"valid\": true"));
  Json(st, "policy show --in " + Q(d + "/policy.extra.env"), 0);
  Json(st, "policy show --in " + Q(d + "/none.env"), 4);

  // approve create | sign | merge | show, on artifacts in the odd directory
  Inputs in = st.Write(w, kOdd + "/media");
  const std::string arts =
      " --artifact " + Q(in.artifacts[0]) + " --artifact " + Q(in.artifacts[1]);
  doc = Json(st,
             "approve create --product IC-22 --version 5.4.3" + arts + " --notes " +
                 Q("caf\xc3\xa9") + " --out " + Q(d + "/approval.json"),
             0);
  CHECK(Has(doc, "\"subjects\": 2"));
  Json(st, "approve create --product IC-22 --version 5.4.3" + arts + " --notes " + Q("\xff") +
               " --out " + Q(d + "/a-ff.json"),
       3);
  Json(st, "approve create --product IC-22 --version 5.4.3 --artifact " + Q(d + "/none.bin") +
               " --out " + Q(d + "/a0.json"),
       4);
  REQUIRE(WriteFileAtomic(d + "/a1.key", Pem("ec256"), 0600).ok());
  REQUIRE(WriteFileAtomic(d + "/a2.key", Pem("ed25519"), 0600).ok());
  Json(st,
       "approve sign --key " + Q(d + "/a1.key") + " --in " + Q(d + "/approval.json") + " --out " +
           Q(d + "/a1.json"),
       0);
  Json(st,
       "approve sign --key " + Q(d + "/a2.key") + " --in " + Q(d + "/approval.json") + " --out " +
           Q(d + "/a2.json"),
       0);
  Json(st, "approve sign --key " + Q(d + "/a1.key") + " --in " + Q(d + "/none.json"), 4);
  doc = Json(st,
             "approve merge --in " + Q(d + "/a1.json") + " --in " + Q(d + "/a2.json") +
                 " --out " + Q(d + "/merged.json"),
             0);
  CHECK(Has(doc, "\"signatures\": 2"));
  Json(st, "approve merge --in " + Q(d + "/a1.json") + " --in " + Q(d + "/none.json") + " --out " +
               Q(d + "/m2.json"),
       4);
  doc = Json(st, "approve show --in " + Q(d + "/merged.json"), 0);
  CHECK(Has(doc, "\"approval\": {"));
  Json(st, "approve show --in " + Q(d + "/none.json"), 4);

  // sign: signed, refused, failed to start
  doc = Json(st, "sign " + st.SignArgs(in, kOdd + "/out-\xc3\xa9"), 0);
  CHECK(Has(doc, "\"outcome\": \"signed\""));
  CHECK(Has(doc, "out-\\u00e9"));
  auto at = doc.find("\"event_index\": ");
  REQUIRE(at != std::string::npos);
  const std::string signing = doc.substr(at + 15, doc.find_first_of(",}", at) - at - 15);
  doc = Json(st, "sign " + st.SignArgs(in, "again-\xc3\xa9"), 1);
  CHECK(Has(doc, "\"outcome\": \"refused\""));
  CHECK(Has(doc, "\"reasons\": ["));
  Json(st, "sign --station " + Q(d + "/nowhere") + " --product P --version 1" + st.Pins(), 4);
  Json(st, "sign --station " + Q(st.station) + st.Pins(), 3);

  // verify: verified, a check failed, unusable options
  const std::string out = st.root + "/" + kOdd + "/out-\xc3\xa9";
  const std::string vargs = "verify --release " + Q(out) + " --key " +
                            Q(st.station + "/keys/" + st.key_label + ".pem") + " --vkey " +
                            Q(st.root + "/log.vkey");
  doc = Json(st, vargs + arts, 0);
  CHECK(Has(doc, "\"checks\": ["));
  REQUIRE(WriteFileAtomic(d + "/ic22-fw-5.4.3.bin", "not the firmware").ok());
  doc = Json(st, vargs + " --artifact " + Q(d + "/ic22-fw-5.4.3.bin"), 1);
  CHECK(Has(doc, "\"ok\": false"));
  Json(st, "verify --release " + Q(d + "/none") + " --artifact x --key " + Q(d + "/none.pem"), 4);

  // log outputs of the signing event
  doc = Json(st,
             "log outputs --station " + Q(st.station) + " --index " + signing +
                 " --out " + Q(d + "/reissued"),
             0);
  CHECK(Has(doc, "reissued"));
  Json(st, "log outputs --station " + Q(st.station) + " --index 0 --out " + Q(d + "/re0"), -1);
}

}  // namespace sr::testing
