// The one JSON writer of `--json` output (docs/cli.md, "JSON output").
//
// Every object a verb prints with --json is built as a Json value and written
// by PrintJson: one line, keys in the order they were added, and strings that
// are not valid UTF-8 (a file path is any bytes but '/' and NUL) written with
// each invalid byte replaced by U+FFFD, so the output always parses. Protobuf
// messages go through protobuf's own JSON mapping (MessageJson) and are
// embedded as parsed values.
#ifndef STRONGROOM_CLI_JSON_H_
#define STRONGROOM_CLI_JSON_H_

#include <nlohmann/json.hpp>
#include <string>

namespace google::protobuf {
class Message;
}

namespace sr::cli {

// Insertion-ordered: fields print in the order the verb adds them.
using Json = nlohmann::ordered_json;

// j on one line, without a trailing newline; invalid UTF-8 becomes U+FFFD.
std::string DumpJson(const Json& j);

// DumpJson(j) and "\n" on stdout.
void PrintJson(const Json& j);

// m in protobuf's JSON mapping (int64 as strings, enums by name, field names
// as in the .proto file when proto_names, else lowerCamelCase), as a value to
// embed. A string field that is not valid UTF-8 gets U+FFFD as above.
Json MessageJson(const google::protobuf::Message& m, bool proto_names);

}  // namespace sr::cli

#endif  // STRONGROOM_CLI_JSON_H_
