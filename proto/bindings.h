// What a SIGNING_INTENT and its SIGNING both record of the gate's bindings:
// written in one place, so the two events cannot drift apart (audit replay
// fails a SIGNING whose intent names other bindings).
#ifndef STRONGROOM_PROTO_BINDINGS_H_
#define STRONGROOM_PROTO_BINDINGS_H_

#include "proto/decision.pb.h"

namespace sr::proto {

// Event: strongroom::v1::SigningIntentEvent or SigningEvent.
template <typename Event>
void SetBoundFields(const strongroom::v1::SigningBindings& b, Event* e) {
  e->set_product(b.product());
  e->set_version(b.version());
  *e->mutable_artifacts() = b.artifacts();
  e->set_key_fingerprint(b.key_fingerprint());
  e->set_key_authorization_id(b.key_authorization_id());
  e->set_policy_version(b.policy_version());
  e->set_policy_sha256(b.policy_digest());
}

}  // namespace sr::proto

#endif  // STRONGROOM_PROTO_BINDINGS_H_
