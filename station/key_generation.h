// `key generate` as one protocol, so that no key exists in a token that no
// record of the log accounts for, even when the station's disk fills up:
//
//   1. hold kKeyRecordReserveBytes on the station's file system
//      (STATION/.space-reserve): on a disk that cannot take the key's record,
//      the generation is refused (and the refusal logged, when even that
//      fits) before the HSM is touched;
//   2. C_GenerateKeyPair in the token (SoftHSMv2 writes its token files in
//      STATION/tokens/, beside the reserved space, not in it); a failure of
//      the HSM or the disk here is logged as a REFUSAL too (a taken label,
//      a mistake in the request, logs nothing);
//   3. give the reserved space back; write keys/<label>.pem and the proof of
//      possession; append KEY_GENERATED and sign a checkpoint;
//   4. should step 3 fail all the same: destroy the key in the token and
//      remove its files, then log a REFUSAL (code KEY_GENERATION_FAILED,
//      with the destroyed key's fingerprint) when the log can take it.
//
// Ownership: borrows the station (which holds station.lock), its open log
// and a logged-in session on the token; not thread-safe. Failure: the error
// of the step that failed, annotated with what exists afterwards (nothing
// generated; or the key destroyed; or, if destroying failed too, the key
// that remains unrecorded and how to remove it). A PKCS#11 failure while
// the station's disk is full says so (NoteFullDisk).
#ifndef STRONGROOM_STATION_KEY_GENERATION_H_
#define STRONGROOM_STATION_KEY_GENERATION_H_

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "hsm/key.h"
#include "hsm/session.h"
#include "station/station.h"
#include "station/station_log.h"

namespace sr {

// What step 1 holds: room for the key's three small files, the event, the
// tree and index growth and a new checkpoint, many times over.
inline constexpr std::uint64_t kKeyRecordReserveBytes = 64u << 10;
// Station-side reason code of the REFUSAL logged for a key destroyed
// because its KEY_GENERATED event could not be written, or a generation
// refused for want of space.
inline constexpr std::string_view kReasonKeyGenerationFailed = "KEY_GENERATION_FAILED";

struct LoggedKey {
  GeneratedKey key;
  std::uint64_t event_index = 0;  // its KEY_GENERATED event
};

// offered: what the token's module offers, when the caller already read it
// (GenerateStationKey).
Result<LoggedKey> GenerateLoggedKey(Station& station, StationLog& log, hsm::Session& session,
                                    std::string_view label, hsm::Algorithm algorithm,
                                    const std::vector<hsm::Algorithm>* offered = nullptr);

}  // namespace sr

#endif  // STRONGROOM_STATION_KEY_GENERATION_H_
