// Registration of strongroom's schemas in protobuf's generated pool.
//
// The .pb.cc files do not register their descriptors at start-up
// (proto/lazy_descriptors.cmake): a file is registered the first time one of
// its messages' descriptors is asked for (GetDescriptor(), reflection, the
// JSON utilities), which covers everything that starts from a message. Code
// that starts from a name instead (generated_pool()->FindFileByName or
// FindMessageTypeByName) calls RegisterDescriptors() first.
#ifndef STRONGROOM_PROTO_DESCRIPTORS_H_
#define STRONGROOM_PROTO_DESCRIPTORS_H_

namespace sr::proto {

// Registers (and builds) the descriptors of every full-runtime schema in
// proto/. Thread-safe, and cheap after the first call.
void RegisterDescriptors();

}  // namespace sr::proto

#endif  // STRONGROOM_PROTO_DESCRIPTORS_H_
