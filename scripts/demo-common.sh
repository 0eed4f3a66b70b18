# Sourced by the demo scripts (demo.sh, demo-rotation.sh, demo-keyless.sh)
# after they set DEMO (their name in messages) and BUILD_DIR: the strongroom
# binary ($SR), the narration helpers, and a throwaway work folder ($WORK,
# kept when DEMO_KEEP=1) with the usual places in it.
SR="$(cd "$BUILD_DIR" && pwd)/cli/strongroom"
[ -x "$SR" ] || { echo "$DEMO: $SR not built; run make first" >&2; exit 1; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
explain() { printf '   %s\n' "$@"; }
die() { echo "$DEMO: $*" >&2; exit 1; }

WORK=$(mktemp -d "/tmp/strongroom-$DEMO-XXXXXX")
if [ "${DEMO_KEEP:-0}" = 1 ]; then echo "$DEMO: keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
STATION="$WORK/station"
PINS="$WORK/pins"
KEYS="$WORK/people"     # keys of people and systems outside the station
MEDIA="$WORK/media"     # what the release engineer brings on removable media
OUT="$WORK/out"         # what leaves the station
