// `strongroom sign` and `key generate` on a station whose disk is full. The
// station lives on a size-limited file system (a tmpfs this test mounts, 16
// MiB, removed at the end even on failure; mounting needs root or
// CAP_SYS_ADMIN, else the cases say so and do nothing), filled so that
// 0, 4, 8, ... KiB stay free: one page more per run, so each write of the
// command fails in one run, up to the first run that completes. After each
// run, with the space back: the message says what happened (never an
// unnamed CK_RV; a release whose SIGNING event is durable is said to be
// signed, with its event index and the command to run), nothing logged
// before is lost or changed, no key exists in the token without its
// KEY_GENERATED event, and the documented recovery completes.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "base/file.h"
#include "log/record.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;

constexpr std::uint64_t kPage = 4096;
constexpr int kMaxRuns = 64;  // 256 KiB: far more than a sign or key generate writes

bool Has(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

// A tmpfs of 16 MiB mounted on dir (which must exist and be empty) until
// destroyed.
class SmallDisk {
 public:
  explicit SmallDisk(std::string dir) : dir_(std::move(dir)) {
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0700") == 0)
      mounted_ = true;
    else
      error_ = std::strerror(errno);
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

  // Leaves `bytes` free (a multiple of the page size) by allocating the rest
  // to a filler file.
  void Fill(std::uint64_t bytes) {
    auto free = FreeBytes(dir_);
    REQUIRE(free.ok());
    REQUIRE(*free >= bytes);
    UniqueFd fd(::open(Filler().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    REQUIRE(fd.valid());
    if (*free > bytes)
      REQUIRE(::posix_fallocate(fd.get(), 0, static_cast<off_t>(*free - bytes)) == 0);
    CHECK(*FreeBytes(dir_) == bytes);
  }
  // Gives the space back.
  void Unfill() { ::unlink(Filler().c_str()); }

 private:
  std::string Filler() const { return dir_ + "/.filler"; }
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Every complete record of the station's events file (what is durable).
std::vector<v1::Event> DurableEvents(const std::string& station) {
  auto f = ReadFile(station + "/log/" + std::string(log::kEventsFile), 1u << 30);
  REQUIRE(f.ok());
  const std::string& b = *f;
  std::vector<v1::Event> out;
  std::size_t pos = log::kEventsMagic.size();
  while (b.size() - pos >= log::kRecordOverhead) {
    std::uint32_t len = log::LoadBe32(b.data() + pos);
    if (b.size() - pos < log::kRecordOverhead + len) break;
    v1::Event e;
    REQUIRE(e.ParseFromArray(b.data() + pos + log::kLengthBytes, static_cast<int>(len)));
    out.push_back(std::move(e));
    pos += log::kRecordOverhead + len;
  }
  return out;
}

std::string EventsBytes(const std::string& station) {
  auto f = ReadFile(station + "/log/" + std::string(log::kEventsFile), 1u << 30);
  REQUIRE(f.ok());
  return *f;
}

// A ready station whose directory can be put on a fresh small disk, as it
// was, for each run: the station is kept in `pristine` and copied in.
struct DiskStation {
  SignStation st;
  World w;
  Inputs in;
  std::string pristine;

  DiskStation() {
    w = st.Scenario();
    CmdResult pol = st.InstallPolicy(w);
    REQUIRE_MESSAGE(pol.rc == 0, pol.all());
    in = st.Write(w);
    pristine = st.root + "/pristine";
    std::filesystem::rename(st.station, pristine);
    REQUIRE(MakeDirs(st.station, 0700).ok());
  }
  // Mounts a small disk on the station's path and copies the station in.
  std::unique_ptr<SmallDisk> Mount() {
    auto disk = std::make_unique<SmallDisk>(st.station);
    if (!disk->mounted()) return disk;
    CmdResult cp = Run("cp -a '" + pristine + "/.' '" + st.station + "/'");
    REQUIRE_MESSAGE(cp.rc == 0, cp.all());
    return disk;
  }
};

// False (with a warning) where no file system can be mounted.
bool CanMount(DiskStation& d) {
  auto disk = d.Mount();
  if (disk->mounted()) return true;
  WARN_MESSAGE(false, "cannot mount a tmpfs (", disk->error(),
               "): the full-disk cases need root or CAP_SYS_ADMIN and were not run");
  return false;
}

// What the log held before a run is still there, byte for byte.
void NothingLoggedLost(const DiskStation& d) {
  std::string before = EventsBytes(d.pristine), now = EventsBytes(d.st.station);
  CHECK_MESSAGE(now.compare(0, before.size(), before) == 0,
                "the events logged before the run were changed or lost");
}

TEST_CASE("full disk: sign at every level of free space says what happened and loses nothing") {
  DiskStation d;
  if (!CanMount(d)) return;
  const SignStation& st = d.st;
  const std::string out = "station/out";  // on the small disk, beside the station
  int failed_unsigned = 0, failed_signed = 0;
  bool completed = false;
  for (int run = 0; run < kMaxRuns && !completed; ++run) {
    const std::uint64_t free = run * kPage;
    INFO("free bytes: ", free);
    auto disk = d.Mount();
    REQUIRE(disk->mounted());
    disk->Fill(free);
    CmdResult r = st.Sign(d.in, out);
    disk->Unfill();  // the space is back
    CHECK_FALSE(Has(r.all(), "unknown CK_RV"));
    NothingLoggedLost(d);
    std::vector<v1::Event> evs = DurableEvents(st.station);
    const v1::Event* signing = nullptr;
    for (const auto& e : evs)
      if (e.kind() == v1::EVENT_KIND_SIGNING && e.signing().version() == "5.4.3") signing = &e;
    if (r.rc == 0) {
      REQUIRE(signing != nullptr);
      CmdResult v = st.Verify(out, d.in);
      CHECK_MESSAGE(v.rc == 0, v.all());
      completed = true;
      continue;
    }
    CHECK_MESSAGE(r.rc == 7, r.all());
    CHECK_MESSAGE((Has(r.all(), "No space left on device") || Has(r.all(), "disk is full")),
                  r.all());
    if (signing != nullptr) {
      // Signed and logged: the message says so, with the command to run.
      ++failed_signed;
      const std::string n = std::to_string(signing->sequence());
      CHECK_MESSAGE(Has(r.all(), "the release is signed and logged as event " + n), r.all());
      CHECK_MESSAGE(
          Has(r.all(), "strongroom log outputs --station " + st.station + " --index " + n),
          r.all());
      CHECK_FALSE(Has(r.all(), "no output was written:"));
      CmdResult again =
          st.Sr("log outputs --station " + st.station + " --index " + n + " --out " + st.root +
                "/reissued-" + std::to_string(run) + " --log-pin-source file:" + st.pins + "/log");
      REQUIRE_MESSAGE(again.rc == 0, again.all());
      CmdResult v = st.Verify("reissued-" + std::to_string(run), d.in);
      CHECK_MESSAGE(v.rc == 0, v.all());
    } else {
      // Not signed: no output, nothing claimed, and the same sign signs.
      ++failed_unsigned;
      CHECK_FALSE(PathExists(st.root + "/" + out));
      CHECK_FALSE(Has(r.all(), "signed and logged"));
      CHECK_MESSAGE((Has(r.all(), "could not be written to the log") || Has(r.all(), "log event")),
                    r.all());
      CmdResult lv = st.LogVerify();
      if (lv.rc == 10) {
        CmdResult rec = st.Sr("log recover --station " + st.station +
                              " --log-pin-source file:" + st.pins + "/log");
        REQUIRE_MESSAGE(rec.rc == 0, rec.all());
      } else {
        CHECK_MESSAGE(lv.rc == 0, lv.all());
      }
      CmdResult retry = st.Sign(d.in, out);
      REQUIRE_MESSAGE(retry.rc == 0, retry.all());
      CHECK(st.Verify(out, d.in).rc == 0);
    }
    CmdResult lv = st.LogVerify();
    CHECK_MESSAGE(lv.rc == 0, lv.all());
  }
  CHECK(completed);
  // The sweep met both kinds of failure: before the SIGNING event was
  // durable, and after (the checkpoint or the outputs could not be written).
  CHECK(failed_unsigned > 0);
  CHECK(failed_signed > 0);
  MESSAGE(failed_unsigned, " runs failed before the release was signed, ", failed_signed,
          " after; then it completed");
}

TEST_CASE("full disk: a refusal that cannot be logged says it could not be recorded") {
  DiskStation d;
  if (!CanMount(d)) return;
  auto disk = d.Mount();
  REQUIRE(disk->mounted());
  disk->Fill(0);
  // Refused (a key the release token does not hold).
  d.st.key_label = "no-such-key";
  CmdResult r = d.st.Sign(d.in, "station/out");
  disk->Unfill();
  CHECK(r.rc == 7);
  CHECK_MESSAGE(Has(r.all(), "refusal could not be recorded"), r.all());
  CHECK_MESSAGE(Has(r.all(), "No space left on device"), r.all());
  NothingLoggedLost(d);
  MESSAGE(r.all());
}

// The release token's keys, "label fingerprint" lines, from `key list`.
std::string TokenKeys(const SignStation& st) {
  CmdResult l = st.Sr("key list --station " + st.station + " --token release");
  REQUIRE_MESSAGE(l.rc == 0, l.all());
  return l.out;
}

std::string FingerprintOf(const std::string& listing, const std::string& label) {
  std::istringstream is(listing);
  for (std::string line; std::getline(is, line);) {
    std::istringstream f(line);
    std::string token, l, alg, fp;
    f >> token >> l >> alg >> fp;
    if (l == label) return fp;
  }
  return "";
}

TEST_CASE("full disk: key generate never leaves a key in the token without its KEY_GENERATED") {
  DiskStation d;
  if (!CanMount(d)) return;
  const SignStation& st = d.st;
  int refused_before_hsm = 0, hsm_failed = 0;
  bool completed = false;
  for (int run = 0; run < kMaxRuns && !completed; ++run) {
    const std::uint64_t free = run * kPage;
    INFO("free bytes: ", free);
    auto disk = d.Mount();
    REQUIRE(disk->mounted());
    disk->Fill(free);
    CmdResult g = st.Sr("key generate --station " + st.station +
                        " --label k2 --algorithm ecdsa-p256" + st.Pins());
    disk->Unfill();
    CHECK_FALSE(Has(g.all(), "unknown CK_RV"));
    if (Has(g.all(), "CKR_FUNCTION_FAILED") || Has(g.all(), "CKR_DEVICE_MEMORY"))
      CHECK_MESSAGE(Has(g.all(), "the station's disk is full"), g.all());
    NothingLoggedLost(d);
    // No key without its event, and no event without its key.
    std::string fp = FingerprintOf(TokenKeys(st), "k2");
    std::string logged;
    for (const auto& e : DurableEvents(st.station))
      if (e.kind() == v1::EVENT_KIND_KEY_GENERATED && e.key_generated().key_label() == "k2")
        logged = e.key_generated().fingerprint();
    CHECK_MESSAGE(fp == logged, "token: '", fp, "', log: '", logged, "'; ", g.all());
    if (g.rc == 0) {
      CHECK(!fp.empty());
      completed = true;
      continue;
    }
    CHECK_MESSAGE((g.rc == 7 || g.rc == 5), g.all());
    CHECK(fp.empty());
    CHECK_FALSE(PathExists(st.station + "/keys/k2.pem"));
    if (Has(g.all(), "no key was generated")) ++refused_before_hsm;
    if (Has(g.all(), "CKR_")) ++hsm_failed;
    CHECK_MESSAGE(
        (Has(g.all(), "refusal logged as event") || Has(g.all(), "refusal could not be recorded")),
        g.all());
    // With the space back, the same command generates and logs the key.
    CmdResult again = st.Sr("key generate --station " + st.station +
                            " --label k2 --algorithm ecdsa-p256" + st.Pins());
    CHECK_MESSAGE(again.rc == 0, again.all());
    CmdResult lv = st.LogVerify();
    CHECK_MESSAGE(lv.rc == 0, lv.all());
  }
  CHECK(completed);
  CHECK(refused_before_hsm > 0);
  MESSAGE(refused_before_hsm, " runs generated nothing (", hsm_failed,
          " of them failed in the HSM, the disk full); then it completed");
}

}  // namespace
}  // namespace sr::testing
