// The answers file of a scripted run (`ceremony run --answers FILE`), for
// rehearsals and tests: JSON naming, per participant present, how they sign
// the challenge, and per step who confirms it and whether a deviation there
// aborts the ceremony (otherwise the run stops, resumable). No PIN is ever in
// it: a token's PIN comes from a pin source spec (file:, fd:). Relative
// paths are relative to the answers file's folder. docs/formats.md has the
// format. Pure.
#ifndef STRONGROOM_CEREMONIES_ANSWERS_H_
#define STRONGROOM_CEREMONIES_ANSWERS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ceremonies/challenge.h"

namespace sr::ceremonies {

inline constexpr std::uint64_t kMaxAnswersBytes = 256u << 10;

struct StepAnswer {
  std::vector<std::string> confirm;  // names of the participants who confirm
  std::optional<std::string> abort;  // on a deviation: abort with this reason
};

struct Answers {
  // Participants present, by name, in the file's order.
  std::vector<std::pair<std::string, Credential>> participants;
  std::map<std::string, StepAnswer> steps;  // by step name
};

// Parses text (kInvalidArgument naming the field); base_dir resolves relative
// key file paths and file: pin sources.
Result<Answers> ParseAnswers(std::string_view text, std::string_view base_dir);
Result<Answers> LoadAnswers(std::string_view path);

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_ANSWERS_H_
