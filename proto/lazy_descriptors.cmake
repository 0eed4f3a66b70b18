# cmake -DPB_CC=FILE.pb.cc -P lazy_descriptors.cmake
#
# protoc (3.21) makes every full-runtime .pb.cc register its file's
# descriptor at start-up: a static AddDescriptorsRunner parses the encoded
# FileDescriptorProto into protobuf's generated database before main. For
# strongroom's schemas that is ~65 us of every command, and a command such as
# `sign` never asks for a descriptor (JSON goes through proto/json_schema.h).
# This removes the static runner. protobuf registers the file itself the
# first time anything asks for one of its descriptors (GetDescriptor(),
# reflection, the JSON utilities; AssignDescriptors() adds the file and its
# imports, under protobuf's lock). Lookups by name in the generated pool
# (DescriptorPool::generated_pool()->FindFileByName/FindMessageTypeByName)
# need sr::proto::RegisterDescriptors() first (proto/descriptors.h).
file(READ "${PB_CC}" text)
if(NOT text MATCHES "descriptor_table_")
  return()  # a lite-runtime file: it registers nothing
endif()
set(runner "PROTOBUF_ATTRIBUTE_INIT_PRIORITY2 static ::_pbi::AddDescriptorsRunner dynamic_init_dummy_[A-Za-z0-9_]+\\(&descriptor_table_[A-Za-z0-9_]+\\);")
if(NOT text MATCHES "${runner}")
  if(text MATCHES "registered on first use")
    return()  # already done
  endif()
  message(FATAL_ERROR "${PB_CC}: protoc's start-up descriptor registration is not where "
                      "proto/lazy_descriptors.cmake expects it (another protobuf version?)")
endif()
string(REGEX REPLACE "// Force running AddDescriptors\\(\\) at dynamic initialization time.\n${runner}"
       "// strongroom: registered on first use, not at start-up (proto/lazy_descriptors.cmake)."
       text "${text}")
if(text MATCHES "${runner}")
  message(FATAL_ERROR "${PB_CC}: could not remove the start-up descriptor registration")
endif()
file(WRITE "${PB_CC}" "${text}")
