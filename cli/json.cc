#include "cli/json.h"

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <iostream>

namespace sr::cli {

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

void PrintJson(const Json& j) { std::cout << DumpJson(j) << "\n"; }

namespace {

// s with every byte that is not part of a valid UTF-8 sequence replaced by
// U+FFFD: the same replacement DumpJson makes.
std::string ValidUtf8(const std::string& s) {
  std::string quoted = Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
  return Json::parse(quoted).get<std::string>();
}

}  // namespace

Json MessageJson(const google::protobuf::Message& m, bool proto_names) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = proto_names;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(m, &text, o).ok()) return Json::object();
  // The printer copies string fields' bytes as they are; parsing rejects
  // invalid UTF-8, so such a document is repaired first.
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) j = Json::parse(ValidUtf8(text), nullptr, false);
  if (j.is_discarded()) return Json::object();
  return j;
}

}  // namespace sr::cli
