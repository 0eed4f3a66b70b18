// audit replay: the log streamed once (log::VerifyLog's reader, which also
// checks the tree and checkpoint), the semantic state kept in log order on
// this thread, and the costly work of each SIGNING and REFUSAL handed to
// worker threads in batches through a bounded queue.
#include "audit/replay.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "audit/replay_jobs.h"
#include "audit/signature_cache.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "log/note.h"
#include "log/reader.h"
#include "policy/json.h"
#include "policy/version.h"

namespace sr::audit {
namespace {

namespace v1 = strongroom::v1;
using internal::Job;
using internal::PolicyInForce;
using internal::Tally;

// Jobs waiting for a worker, in batches of up to kBatch: Push blocks while
// `capacity` batches are queued, so the reader never runs ahead of the
// workers by more than that. Batches, because a hand-off per event made the
// threads wait on each other (futex calls) more than the work of a refusal.
// A batch is also closed at kBatchBytes of events, so that memory stays
// bounded when releases have thousands of artifacts.
inline constexpr std::size_t kBatch = 32;
inline constexpr std::size_t kBatchBytes = 256 << 10;

// An arena events are parsed on, with a first block of its own that it
// keeps when reset.
struct EventArena {
  static constexpr std::size_t kFirstBlock = 512 << 10;  // a full batch, parsed
  std::unique_ptr<char[]> first{new char[kFirstBlock]};
  google::protobuf::Arena arena{Options(first.get())};

  static google::protobuf::ArenaOptions Options(char* block) {
    google::protobuf::ArenaOptions o;
    o.initial_block = block;
    o.initial_block_size = kFirstBlock;
    o.start_block_size = 64 << 10;  // beyond the first block
    o.max_block_size = 256 << 10;
    return o;
  }
};

// The jobs of a batch and the arena their events were parsed on: events
// are allocated in a few blocks and freed at once with the batch.
struct Batch {
  std::unique_ptr<EventArena> arena;
  std::vector<Job> jobs;
};

// Arenas go round: the reader parses a batch into one, a worker judges the
// batch and gives the arena back, and the reader resets it before parsing
// into it again. So the reader frees what it allocated (the string fields
// of the events: protobuf keeps their characters on the heap, a malloc
// each), on its own thread, where freeing is cheap, and the first block is
// allocated once instead of once per batch (each batch's blocks were
// mapped from and returned to the system). About 3% less CPU time on the
// benchmark's log (docs/performance.md, "Audit replay"). At most kKept
// arenas wait here (4 MiB); the others in use are in the bounded queue or
// with a worker, as before.
class ArenaPool {
 public:
  static constexpr std::size_t kKept = 8;

  // On the reader's thread.
  std::unique_ptr<EventArena> Take() {
    std::unique_ptr<EventArena> a;
    {
      std::lock_guard lock(mu_);
      if (!returned_.empty()) {
        a = std::move(returned_.back());
        returned_.pop_back();
      }
    }
    if (!a) return std::make_unique<EventArena>();
    a->arena.Reset();
    return a;
  }
  // On a worker's thread, once the batch's jobs are judged.
  void Give(std::unique_ptr<EventArena> a) {
    std::lock_guard lock(mu_);
    if (returned_.size() < kKept) returned_.push_back(std::move(a));
    // else: freed here, by the worker (rare: only with many cores).
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<EventArena>> returned_;
};

class JobQueue {
 public:
  explicit JobQueue(std::size_t capacity) : capacity_(capacity) {}
  void Push(Batch&& batch) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return batches_.size() < capacity_; });
    batches_.push_back(std::move(batch));
    not_empty_.notify_one();
  }
  std::optional<Batch> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !batches_.empty() || closed_; });
    if (batches_.empty()) return std::nullopt;
    Batch b = std::move(batches_.front());
    batches_.pop_front();
    not_full_.notify_one();
    return b;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Batch> batches_;
  std::size_t capacity_;
  bool closed_ = false;
};

// Closes the queue however the stream ends, so the workers finish.
struct CloseOnExit {
  JobQueue& q;
  ~CloseOnExit() { q.Close(); }
};

std::optional<policy::Clock::time_point> ParseTime(const std::string& text) {
  google::protobuf::Timestamp ts;
  if (text.empty() || text.size() > 64 || !google::protobuf::util::TimeUtil::FromString(text, &ts))
    return std::nullopt;
  return policy::Clock::time_point(std::chrono::seconds(ts.seconds()));
}

// A SIGNING_INTENT waiting for its SIGNING, with what the gate was judged
// against when it was written.
struct OpenIntent {
  v1::SigningIntentEvent intent;
  std::shared_ptr<const policy::LogFacts> facts;
  policy::Clock::time_point at;
  std::shared_ptr<const PolicyInForce> policy;
  std::string policy_sha256;
};

// Per product: the highest version signed, and each signed version's
// SIGNING event (its artifacts are read back from the log when needed, so
// memory holds one entry per release, not per artifact).
struct ProductState {
  std::string last_version;
  std::unordered_map<std::string, std::uint64_t> signed_at;
};

class Replayer {
 public:
  Replayer(const ReplayOptions& o, std::uint64_t from, JobQueue* q, ArenaPool* arenas, Tally* t,
           const EvidenceDir* workers_evidence)
      : o_(o),
        evidence_(o.evidence_dir),
        workers_evidence_(workers_evidence),
        from_(from),
        queue_(q),
        arenas_(arenas),
        arena_(arenas->Take()),
        tally_(t) {
    pending_.reserve(kBatch);
  }

  // Hands the jobs not yet queued to the workers (at the end of the log,
  // or when the batch is full); the arena goes with them.
  void Flush() {
    if (!pending_.empty()) {
      // The objects the batch's jobs will read are read ahead while it
      // waits for a worker.
      if (workers_evidence_->prefetching()) {
        names_.clear();
        for (const Job& j : pending_) internal::EvidenceNames(j, &names_);
        workers_evidence_->Prefetch(names_);
      }
      queue_->Push(Batch{std::move(arena_), std::move(pending_)});
      arena_ = arenas_->Take();
      pending_ = {};
      pending_.reserve(kBatch);
    } else {
      arena_->arena.Reset();  // nothing refers to the events parsed on it
    }
    pending_bytes_ = 0;
  }

  void See(std::uint64_t index, std::string_view bytes) {
    Tally* t = index >= from_ ? tally_ : &before_;
    // Every event is parsed on the batch's arena (those not queued too, so
    // the arena is bounded by the bytes parsed into it).
    if (pending_bytes_ >= kBatchBytes) Flush();
    pending_bytes_ += bytes.size();
    v1::Event& ev = *google::protobuf::Arena::CreateMessage<v1::Event>(&arena_->arena);
    if (!ev.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return t->Fail(index, "event", "", "the event does not parse as an Event");
    }
    // Intents whose SIGNING should have come by now were interrupted (no
    // signature left the station): no longer pending.
    while (!open_.empty() && open_.begin()->second.intent.signing_index() < index) {
      open_.erase(open_.begin());
      ++epoch_;
    }
    switch (ev.kind()) {
      case v1::EVENT_KIND_KEY_GENERATED: {
        const auto& k = ev.key_generated();
        auto pk = policy::PublicKey::FromPem(k.public_key_pem(), "published key");
        if (pk.ok() && pk->fingerprint() == k.fingerprint())
          keys_[k.fingerprint()] = std::make_shared<const policy::PublicKey>(std::move(pk).value());
        break;
      }
      case v1::EVENT_KIND_KEY_REVOKED:
        EndKey(index, ev.key_revoked().fingerprint(), true, ev.key_revoked().key_label(),
               ev.key_revoked().reason(), ev.key_revoked().effective_time());
        break;
      case v1::EVENT_KIND_KEY_RETIRED:
        EndKey(index, ev.key_retired().fingerprint(), false, ev.key_retired().key_label(),
               ev.key_retired().reason(), ev.key_retired().effective_time());
        break;
      case v1::EVENT_KIND_POLICY_INSTALLED:
        PolicyInstalled(index, ev, t);
        break;
      case v1::EVENT_KIND_SIGNING_INTENT:
        Intent(index, ev, t);
        break;
      case v1::EVENT_KIND_SIGNING:
        Signing(index, ev, t);
        break;
      case v1::EVENT_KIND_REFUSAL:
        Refusal(index, ev, t);
        break;
      case v1::EVENT_KIND_LIFECYCLE_RECORDED:
        Record(index, ev, ev.lifecycle_recorded().product(), ev.lifecycle_recorded().version());
        break;
      default:
        break;
    }
  }

 private:
  void EndKey(std::uint64_t index, const std::string& fp, bool revoked, std::string label,
              std::string reason, std::string time) {
    if (fp.empty()) return;
    auto [it, fresh] = ended_.try_emplace(fp);
    if (!fresh && (it->second.revoked || !revoked)) return;
    ++epoch_;
    it->second =
        policy::EndedKey{revoked, index, std::move(label), std::move(reason), std::move(time)};
  }

  // The envelope of an installed policy: from the evidence store by the
  // envelope's digest, else from --policies as <payload sha256>.json.
  Result<std::string> PolicyEnvelope(const v1::PolicyInstalledEvent& p) {
    if (!p.envelope_sha256().empty()) {
      auto b = evidence_.Get(p.envelope_sha256());
      if (b.ok() || b.status().code() != Code::kNotFound) return b;
    }
    if (o_.policies_dir.empty() || !IsSha256Hex(p.policy_sha256()))
      return NotFound("the envelope of policy version " + std::to_string(p.policy_version()) +
                      " is not in the evidence store (give the station's policy directory "
                      "with --policies)");
    std::string path = JoinPath(o_.policies_dir, p.policy_sha256() + ".json");
    SR_ASSIGN_OR_RETURN(std::string text, ReadFile(path, policy::kMaxDocumentBytes));
    if (!p.envelope_sha256().empty() && Sha256Hex(text) != p.envelope_sha256())
      return DataLoss(path + " is not the envelope the event records (sha256 " +
                      p.envelope_sha256() + "): it was altered");
    return text;
  }

  void PolicyInstalled(std::uint64_t index, const v1::Event& ev, Tally* t) {
    const v1::PolicyInstalledEvent& p = ev.policy_installed();
    const std::uint64_t failed_before = t->failure_count;
    auto chain_fail = [&](std::string m) {
      t->Fail(index, "policy-chain", p.envelope_sha256(), std::move(m));
    };
    if (p.previous_sha256() != policy_sha256_ || p.previous_version() != policy_version_)
      chain_fail("the event says it follows policy version " +
                 std::to_string(p.previous_version()) + " (" + p.previous_sha256() +
                 "), but the log's policy before it is version " + std::to_string(policy_version_) +
                 " (" + policy_sha256_ + ")");
    if (policy_version_ != 0 && p.policy_version() <= policy_version_)
      chain_fail("policy version " + std::to_string(p.policy_version()) +
                 " is not above the installed version " + std::to_string(policy_version_));
    std::shared_ptr<PolicyInForce> next;
    auto text = PolicyEnvelope(p);
    if (!text.ok()) {
      t->Fail(index, "evidence", p.envelope_sha256(), text.status().message());
    } else {
      ++t->hashes;
      auto parsed = policy::ParsePolicy(*text, "installed policy");
      if (!parsed.ok()) {
        chain_fail(policy::FormatFailure(parsed.failure()));
      } else if (parsed->digest != p.policy_sha256() ||
                 parsed->policy.version() != p.policy_version()) {
        chain_fail("the stored envelope holds policy version " +
                   std::to_string(parsed->policy.version()) + " (" + parsed->digest +
                   "), not the one the event records");
      } else {
        auto at = ParseTime(ev.time());
        std::vector<policy::Failure> fs =
            policy::VerifyPolicyInstall(policy_ ? &policy_->loaded : nullptr, parsed.value(),
                                        at.value_or(policy::Clock::time_point{}));
        for (const policy::Failure& f : fs) chain_fail(policy::FormatFailure(f));
        std::string digest = Sha256Hex(*text);
        next = std::make_shared<PolicyInForce>(
            PolicyInForce{std::move(text).value(), std::move(digest), std::move(parsed).value()});
      }
    }
    if (t->failure_count == failed_before) t->Pass("policy-chain");
    ++epoch_;
    policy_ = std::move(next);
    policy_sha256_ = p.policy_sha256();
    policy_version_ = p.policy_version();
  }

  // The artifacts of the SIGNING event at `index`, read back from the log.
  // The last one is kept: refusals of a version signed just before (a retry)
  // come in runs.
  std::vector<std::string> ArtifactsOf(std::uint64_t index) {
    if (artifacts_of_ && artifacts_of_->first == index) return artifacts_of_->second;
    std::vector<std::string> out;
    if (!reader_) {
      auto r = log::LogReader::Open(o_.log_dir);
      if (!r.ok()) return out;
      reader_.emplace(std::move(r).value());
    }
    auto bytes = reader_->ReadEvent(index);
    v1::Event ev;
    if (!bytes.ok() || !ev.ParseFromString(*bytes)) return out;
    for (const auto& a : ev.signing().artifacts()) out.push_back(a.sha256());
    artifacts_of_.emplace(index, out);
    return out;
  }

  // What LogState::FactsFor gives the station, from the events before
  // `index` and the intents still pending at it (a batch's earlier releases).
  // The same, shared with the jobs before it while nothing they depend on
  // changed: a run of refused retries of a version is judged against one
  // copy.
  std::shared_ptr<const policy::LogFacts> Facts(const std::string& product,
                                                const std::string& version, const std::string& key,
                                                std::uint64_t index) {
    if (facts_ && facts_epoch_ == epoch_ && facts_product_ == product &&
        facts_version_ == version && facts_key_ == key)
      return facts_;
    facts_ = std::make_shared<const policy::LogFacts>(ComputeFacts(product, version, key, index));
    facts_epoch_ = epoch_;
    facts_product_ = product;
    facts_version_ = version;
    facts_key_ = key;
    return facts_;
  }

  policy::LogFacts ComputeFacts(const std::string& product, const std::string& version,
                                const std::string& key, std::uint64_t index) {
    policy::LogFacts f;
    f.installed_policy_version = policy_version_;
    f.installed_policy_digest = policy_sha256_;
    if (auto it = ended_.find(key); it != ended_.end()) f.key_ended = it->second;
    auto higher = [&](const std::string& v) {
      if (!f.last_signed_version) return f.last_signed_version = v, void();
      auto c = policy::CompareVersions(v, *f.last_signed_version);
      if (c && *c > 0) f.last_signed_version = v;
    };
    if (auto it = products_.find(product); it != products_.end()) {
      higher(it->second.last_version);
      // By its exact text: a scan comparing every version signed would make
      // the replay quadratic in the releases of a product.
      if (auto at = it->second.signed_at.find(version); at != it->second.signed_at.end())
        f.signed_releases.push_back({version, ArtifactsOf(at->second), at->second});
    }
    for (const auto& [i, open] : open_) {
      if (i >= index || open.intent.product() != product) continue;
      higher(open.intent.version());
      auto c = policy::CompareVersions(open.intent.version(), version);
      if (!c || *c != 0) continue;
      policy::SignedRelease r{open.intent.version(), {}, std::nullopt};
      for (const auto& a : open.intent.artifacts()) r.artifact_sha256.push_back(a.sha256());
      f.signed_releases.push_back(std::move(r));
    }
    return f;
  }

  std::optional<policy::Clock::time_point> TimeOf(std::uint64_t index, const v1::Event& ev,
                                                  Tally* t) {
    // Events come in runs within the same second: the last text is parsed
    // once.
    if (last_time_ && ev.time() == last_time_text_) return last_time_;
    auto at = ParseTime(ev.time());
    if (at) {
      last_time_text_ = ev.time();
      last_time_ = at;
    }
    if (!at)
      t->Fail(index, "event", "",
              "the event's time \"" + ev.time().substr(0, 64) +
                  "\" is not an RFC 3339 time: it cannot be judged");
    return at;
  }

  void Intent(std::uint64_t index, const v1::Event& ev, Tally* t) {
    const v1::SigningIntentEvent& in = ev.signing_intent();
    auto at = TimeOf(index, ev, t);
    if (!at) return;
    if (in.signing_index() <= index)
      return t->Fail(index, "intent", "",
                     "the SIGNING_INTENT names signing index " +
                         std::to_string(in.signing_index()) + ", not a later event");
    OpenIntent o{in, Facts(in.product(), in.version(), in.key_fingerprint(), index), *at, policy_,
                 policy_sha256_};
    open_.insert_or_assign(index, std::move(o));
    ++epoch_;
  }

  // The intent's bindings against the SIGNING event's: "" when the same.
  static std::string IntentMismatch(const v1::SigningIntentEvent& i, const v1::SigningEvent& s,
                                    std::uint64_t index) {
    auto same_artifacts = [&] {
      if (i.artifacts_size() != s.artifacts_size()) return false;
      for (int k = 0; k < i.artifacts_size(); ++k)
        if (i.artifacts(k).name() != s.artifacts(k).name() ||
            i.artifacts(k).sha256() != s.artifacts(k).sha256())
          return false;
      return true;
    };
    if (i.signing_index() != index)
      return "its intent names signing index " + std::to_string(i.signing_index());
    if (i.product() != s.product() || i.version() != s.version())
      return "its intent is for " + i.product() + " " + i.version();
    if (!same_artifacts()) return "its intent names other artifacts";
    if (i.key_fingerprint() != s.key_fingerprint()) return "its intent names another key";
    if (i.key_authorization_id() != s.key_authorization_id())
      return "its intent names the key authorization " + i.key_authorization_id();
    if (i.policy_sha256() != s.policy_sha256() || i.policy_version() != s.policy_version())
      return "its intent names another policy";
    if (i.manifest_sha256() != s.manifest_sha256()) return "its intent names another manifest";
    if (i.vsa_sha256() != s.vsa_sha256()) return "its intent names another VSA";
    return "";
  }

  void Signing(std::uint64_t index, const v1::Event& ev, Tally* t) {
    const v1::SigningEvent& s = ev.signing();
    Job job;
    job.index = index;
    auto it = open_.find(s.intent_index());
    if (it == open_.end() || s.intent_index() >= index) {
      t->Fail(index, "intent", s.manifest_sha256(),
              "the SIGNING event has no SIGNING_INTENT before it (it names intent index " +
                  std::to_string(s.intent_index()) + ")");
      auto at = TimeOf(index, ev, t);
      if (!at) return;
      job.facts = Facts(s.product(), s.version(), s.key_fingerprint(), index);
      job.at = *at;
      job.policy = policy_;
      job.policy_sha256 = policy_sha256_;
    } else {
      if (std::string m = IntentMismatch(it->second.intent, s, index); !m.empty())
        t->Fail(index, "intent", s.manifest_sha256(),
                "the SIGNING event does not match its SIGNING_INTENT (event " +
                    std::to_string(it->first) + "): " + m);
      else
        t->Pass("intent");
      job.facts = std::move(it->second.facts);
      job.at = it->second.at;
      job.policy = std::move(it->second.policy);
      job.policy_sha256 = std::move(it->second.policy_sha256);
      open_.erase(it);
    }
    if (auto e = ended_.find(s.key_fingerprint());
        e != ended_.end() && e->second.event_index < index)
      t->Fail(index, "key-ended", s.key_fingerprint(),
              "key " + e->second.label + " signs after the log recorded it " +
                  (e->second.revoked ? "revoked" : "retired") + " (event " +
                  std::to_string(e->second.event_index) + ")");
    else
      t->Pass("key-ended");
    ++epoch_;  // the intent is no longer open; the product's versions change
    ProductState& ps = products_[s.product()];
    if (auto at = ps.signed_at.find(s.version()); at != ps.signed_at.end()) {
      t->Fail(index, "version-order", s.manifest_sha256(),
              s.product() + " " + s.version() + " was already signed, as event " +
                  std::to_string(at->second) + ": a version is signed once");
    } else if (auto c = policy::CompareVersions(s.version(), ps.last_version);
               !ps.last_version.empty() && (!c || *c <= 0)) {
      t->Fail(index, "version-order", s.manifest_sha256(),
              s.product() + " " + s.version() + " is not above " + ps.last_version +
                  ", signed before it: versions never go back");
    } else {
      t->Pass("version-order");
    }
    if (ps.signed_at.try_emplace(s.version(), index).second) {
      // Its artifacts, for the retries that usually follow: kept as
      // ArtifactsOf would read them back from the log.
      std::vector<std::string> digests;
      digests.reserve(s.artifacts_size());
      for (const auto& a : s.artifacts()) digests.push_back(a.sha256());
      artifacts_of_.emplace(index, std::move(digests));
    }
    auto c = policy::CompareVersions(s.version(), ps.last_version);
    if (ps.last_version.empty() || (c && *c > 0)) ps.last_version = s.version();
    if (auto k = keys_.find(s.key_fingerprint()); k != keys_.end()) job.release_key = k->second;
    if (auto k = keys_.find(s.attestation_key_fingerprint()); k != keys_.end())
      job.attestation_key = k->second;
    job.event = &ev;
    if (index >= from_) Queue(std::move(job));
  }

  // A LIFECYCLE_RECORDED, or the REFUSAL of a lifecycle record: judged
  // again (release::JudgeLifecycleRecord) with the policy in force and the
  // release as signed before it.
  void Record(std::uint64_t index, const v1::Event& ev, const std::string& product,
              const std::string& version) {
    Job job;
    job.index = index;
    auto facts = std::make_shared<policy::LogFacts>();
    if (auto it = products_.find(product); it != products_.end())
      if (auto at = it->second.signed_at.find(version); at != it->second.signed_at.end())
        facts->signed_releases.push_back({version, ArtifactsOf(at->second), at->second});
    job.facts = std::move(facts);
    job.policy = policy_;
    job.policy_sha256 = policy_sha256_;
    job.event = &ev;
    if (index >= from_) Queue(std::move(job));
  }

  static bool IsRecordRefusal(const v1::RefusalEvent& r) {
    for (const auto& in : r.inputs())
      if (in.role() == "record") return true;
    return false;
  }

  void Refusal(std::uint64_t index, const v1::Event& ev, Tally* t) {
    const v1::RefusalEvent& r = ev.refusal();
    if (IsRecordRefusal(r)) return Record(index, ev, r.product(), r.version());
    if (r.product().empty()) {
      if (index >= from_)
        t->NotRerun(index,
                    "not re-runnable: not a signing refusal (a policy, key or station "
                    "command refused)");
      return;
    }
    auto at = TimeOf(index, ev, t);
    if (!at) return;
    Job job;
    job.index = index;
    job.facts = Facts(r.product(), r.version(), r.key_fingerprint(), index);
    job.at = *at;
    job.policy = policy_;
    job.policy_sha256 = policy_sha256_;
    job.event = &ev;
    if (index >= from_) Queue(std::move(job));
  }

  // The batch is handed over once full (or, in See, once its arena holds
  // kBatchBytes of events).
  void Queue(Job&& job) {
    pending_.push_back(std::move(job));
    if (pending_.size() >= kBatch) Flush();
  }

  const ReplayOptions& o_;
  EvidenceDir evidence_;
  const EvidenceDir* workers_evidence_;  // the workers' (read ahead for them)
  std::vector<std::string> names_;       // reused by Flush
  std::uint64_t from_;
  JobQueue* queue_;
  ArenaPool* arenas_;
  std::unique_ptr<EventArena> arena_;  // the events of the batch being filled
  std::vector<Job> pending_;           // its jobs
  std::size_t pending_bytes_ = 0;      // bytes of events parsed on arena_
  Tally* tally_;
  Tally before_;  // what events before --since would have shown: not reported
  std::optional<log::LogReader> reader_;
  std::optional<std::pair<std::uint64_t, std::vector<std::string>>> artifacts_of_;
  std::shared_ptr<const PolicyInForce> policy_;
  std::string policy_sha256_;
  std::uint64_t policy_version_ = 0;
  std::map<std::string, policy::EndedKey> ended_;
  std::map<std::string, std::shared_ptr<const policy::PublicKey>> keys_;
  std::map<std::uint64_t, OpenIntent> open_;
  std::unordered_map<std::string, ProductState> products_;
  std::string last_time_text_;
  std::optional<policy::Clock::time_point> last_time_;
  // Bumped whenever anything Facts reads changes.
  std::uint64_t epoch_ = 0;
  std::shared_ptr<const policy::LogFacts> facts_;
  std::uint64_t facts_epoch_ = 0;
  std::string facts_product_, facts_version_, facts_key_;
};

}  // namespace

Result<ReplayReport> Replay(const ReplayOptions& o) {
  if (!PathExists(o.evidence_dir))
    return NotFound("no evidence store at " + o.evidence_dir +
                    " (give the station's evidence directory, STATION/evidence)");
  std::uint64_t from = 0;
  if (o.since) {
    auto cp = log::ParseCheckpointUnverified(*o.since);
    if (!cp.ok()) return cp.status().Annotate("--since");
    from = cp->size;
  }
  unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  Tally main;
  main.max_kept = o.max_failures_kept;
  std::vector<Tally> tallies(threads);
  for (Tally& t : tallies) t.max_kept = o.max_failures_kept;
  // Each evidence object is read and checked once while the replay keeps
  // seeing it (audit/evidence.h).
  EvidenceDir evidence(o.evidence_dir, EvidenceDir::kReplayCacheBytes, o.prefetch);
  // Each distinct (envelope, trusted keys) is verified once: the gate's
  // checks of a refusal's approval, provenance, evidence and policy are
  // mostly of envelopes verified before (audit/signature_cache.h).
  SignatureCache memo;
  policy::ScopedSignatureMemo memo_here(&memo);  // policy installations
  JobQueue queue(2 * threads);
  ArenaPool arenas;  // outlives the workers and the reader
  Result<log::VerifyReport> logrep = log::VerifyReport{};
  {
    std::vector<std::jthread> workers;
    CloseOnExit close{queue};  // destroyed before the workers are joined
    for (unsigned k = 0; k < threads; ++k)
      workers.emplace_back([&, k] {
        WorkerSignatureMemo mine(memo);
        policy::ScopedSignatureMemo memo_there(&mine);
        while (std::optional<Batch> batch = queue.Pop()) {
          for (const Job& job : batch->jobs) internal::RunJob(job, evidence, &tallies[k]);
          batch->jobs.clear();  // before the events they point to go
          arenas.Give(std::move(batch->arena));
        }
      });
    Replayer replayer(o, from, &queue, &arenas, &main, &evidence);
    log::VerifyOptions vo;
    vo.dir = o.log_dir;
    vo.vkey = o.vkey;
    vo.since = o.since;
    vo.threads = threads;
    vo.progress = o.progress;
    vo.on_event = [&](std::uint64_t i, std::string_view e) { replayer.See(i, e); };
    logrep = log::VerifyLog(vo);
    replayer.Flush();
  }
  if (!logrep.ok()) return logrep.status();
  for (Tally& t : tallies) main.Merge(std::move(t));
  ReplayReport r;
  r.log = std::move(logrep).value();
  r.events = r.log.events;
  r.from_index = from;
  if (r.log.ok) {
    main.Pass("log");
  } else {
    const log::VerifyFailure& f = *r.log.failure;
    main.Fail(f.index < 0 ? 0 : static_cast<std::uint64_t>(f.index), "log", "",
              f.check + ": " + f.message);
  }
  std::stable_sort(
      main.failures.begin(), main.failures.end(),
      [](const ReplayFailure& a, const ReplayFailure& b) { return a.index < b.index; });
  std::stable_sort(
      main.not_rerunnable.begin(), main.not_rerunnable.end(),
      [](const NotRerunnable& a, const NotRerunnable& b) { return a.index < b.index; });
  if (main.failures.size() > o.max_failures_kept) main.failures.resize(o.max_failures_kept);
  if (main.not_rerunnable.size() > o.max_failures_kept)
    main.not_rerunnable.resize(o.max_failures_kept);
  r.checks = std::move(main.checks);
  r.failures = std::move(main.failures);
  r.failure_count = main.failure_count;
  r.not_rerunnable = std::move(main.not_rerunnable);
  r.not_rerunnable_count = main.not_rerunnable_count;
  r.signatures_verified = main.signatures_verified;
  r.signatures_not_checkable = main.signatures_not_checkable;
  r.hashes = main.hashes;
  r.envelopes_verified = memo.misses();
  r.envelopes_reused = memo.hits();
  r.evidence_read_ahead = evidence.prefetched();
  r.ok = r.log.ok && r.failure_count == 0;
  return r;
}

}  // namespace sr::audit
