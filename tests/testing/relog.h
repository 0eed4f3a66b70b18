// A station's log written again through the log library with a fresh log key,
// for tests that forge events (audit replay, audit report): the tree and the
// checkpoint are valid, so only what the events say can be wrong.
#ifndef STRONGROOM_TESTS_TESTING_RELOG_H_
#define STRONGROOM_TESTS_TESTING_RELOG_H_

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "log/note.h"
#include "log/writer.h"
#include "proto/event.pb.h"
#include "tests/testing/files.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {

// A copy of st's log in st.root/name: `edit` may change event i (its
// sequence is set again by the writer); `more` events are appended. Returns
// the directory; its vkey is in DIR.vkey.
inline std::string Relog(const SignStation& st, const std::string& name,
                         const std::function<void(std::uint64_t, strongroom::v1::Event&)>& edit,
                         const std::vector<strongroom::v1::Event>& more = {}) {
  std::string dir = st.root + "/" + name;
  auto made = log::Ed25519NoteSigner::Generate("strongroom.test/" + name);
  REQUIRE(made.ok());
  log::Ed25519NoteSigner& signer = **made;
  REQUIRE(log::LogWriter::Create(dir, signer).ok());
  auto w = log::LogWriter::Open(dir, signer);
  REQUIRE(w.ok());
  auto evs = st.Events();
  for (std::size_t i = 0; i < evs.size(); ++i) {
    edit(i, evs[i]);
    REQUIRE((*w)->Append(evs[i]).ok());
  }
  for (const strongroom::v1::Event& e : more) REQUIRE((*w)->Append(e).ok());
  REQUIRE((*w)->Commit().ok());
  w->reset();
  WriteAll(dir + ".vkey", log::EncodeVerifierKey(signer.Name(), signer.PublicKey()) + "\n");
  return dir;
}

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_RELOG_H_
