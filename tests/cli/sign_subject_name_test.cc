// `sign --artifact renamed.bin` whose bytes are an approved subject's: the
// outputs and the manifest are named after the approved subject (matched by
// SHA-256), `sign` says so, and `verify` passes with the renamed file.
#include <doctest/doctest.h>

#include <filesystem>

#include "tests/testing/files.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {
namespace {

TEST_CASE("sign: a renamed artifact's outputs are named after the approved subject") {
  SignStation st;
  World w = st.Scenario();
  CmdResult inst = st.InstallPolicy(w);
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  Inputs in = st.Write(w);
  std::string renamed = st.root + "/media/renamed.bin";
  std::filesystem::rename(in.artifacts[0], renamed);  // was ic22-fw-5.4.3.bin
  in.artifacts[0] = renamed;
  CmdResult r = st.Sign(in, "out");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CHECK(r.err.find("renamed.bin") != std::string::npos);
  CHECK(r.err.find("ic22-fw-5.4.3.bin") != std::string::npos);
  CHECK(r.err.find("ic22-fw-5.4.3.manifest") == std::string::npos);  // its name matched
  CHECK(PathExists(st.root + "/out/ic22-fw-5.4.3.bin.sig"));
  CHECK(PathExists(st.root + "/out/ic22-fw-5.4.3.manifest.sig"));
  CHECK_FALSE(PathExists(st.root + "/out/renamed.bin.sig"));
  CmdResult payload = Run("python3 -c 'import json,base64,sys; print(base64.b64decode(json.load("
                          "open(sys.argv[1]))[\"payload\"]).decode())' '" +
                          st.root + "/out/manifest.dsse.json'");
  REQUIRE(payload.rc == 0);
  CHECK(payload.out.find("\"ic22-fw-5.4.3.bin\"") != std::string::npos);
  CHECK(payload.out.find("renamed.bin") == std::string::npos);
  CmdResult v = st.Verify("out", in);
  CHECK_MESSAGE(v.rc == 0, v.all());
}

}  // namespace
}  // namespace sr::testing
