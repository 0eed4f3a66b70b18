#!/usr/bin/env bash
# strongroom key-rotation demo (run by `make demo-rotation`, and by CTest as
# demo_rotation_test): on a throwaway station, key A signs IC-22 5.4.3; key B
# is generated; A is revoked (KEY_REVOKED logged); governance signs and
# installs policy v2, which authorizes B and lists A in revokedKeys at the
# KEY_REVOKED log index; the 5.4.3 release A signed still verifies under v2
# (its tlog-proof shows it was logged before the revocation); A is refused
# for 5.4.4 (and the refusal is logged); B signs 5.4.4, which verifies.
# docs/key-lifecycle.md explains each step.
#
# Usage: scripts/demo-rotation.sh BUILD_DIR   (DEMO_KEEP=1 keeps the work folder)
set -euo pipefail

BUILD_DIR=${1:?usage: scripts/demo-rotation.sh BUILD_DIR}
HERE="$(cd "$(dirname "$0")" && pwd)"
DEMO=demo-rotation
. "$HERE/demo-common.sh"
DSSE="$HERE/dsse-sign-openssl"
mkdir -p "$KEYS" "$MEDIA" "$OUT"
cd "$WORK"
REL_PIN="--pin-source file:$PINS/release"
LOG_PIN="--log-pin-source file:$PINS/log"
BUILDER_ID="https://ci.example.com/builders/firmware@v3"
BUILD_TYPE="https://ci.example.com/buildtypes/firmware/v1"
REPO="https://git.example.com/ic22/firmware"

say "1. A station with release key A (ic22-release-a), and the people the policy trusts"
mkdir -m 0700 "$PINS"
for name in release-so release log-so log; do (umask 077; openssl rand -hex 16 > "$PINS/$name"); done
"$SR" station init --station "$STATION" \
  --release-so-pin-source "file:$PINS/release-so" --release-pin-source "file:$PINS/release" \
  --log-so-pin-source "file:$PINS/log-so" $LOG_PIN >/dev/null
"$SR" log vkey --station "$STATION" > "$WORK/log.vkey"
"$SR" key generate --station "$STATION" --label ic22-release-a --algorithm ecdsa-p256 \
  $REL_PIN $LOG_PIN --operator "Dana (ceremony administrator)" >/dev/null
for k in gov1 gov2 gov3 alice bob builder; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS/$k.key" 2>/dev/null
  chmod 600 "$KEYS/$k.key"
  openssl pkey -in "$KEYS/$k.key" -pubout -out "$KEYS/$k.pub"
done
fingerprint() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
FP_A=$(fingerprint "$STATION/keys/ic22-release-a.pem")
explain "key A: $FP_A"

# policy VERSION SIGNING-KEY-PEM OUT: a policy JSON for IC-22 (2 of 3 governance).
policy() {
  "$SR" policy init --out "$3" --version "$1" --product IC-22 \
    --governance-key "$KEYS/gov1.pub" --governance-key "$KEYS/gov2.pub" \
    --governance-key "$KEYS/gov3.pub" --governance-threshold 2 \
    --approver-key "$KEYS/alice.pub" --approver-key "$KEYS/bob.pub" --approval-threshold 2 \
    --builder-id "$BUILDER_ID" --builder-key "$KEYS/builder.pub" --source-repo "$REPO" \
    --build-type "$BUILD_TYPE" --configuration reference \
    --signing-key "$2" --min-version 5.0.0 --max-version 5.99.99 --log-vkey "$WORK/log.vkey" \
    >/dev/null
}
govern() {  # JSON ENVELOPE: governance signs (2 of 3) and the station installs it
  "$SR" policy sign --key "$KEYS/gov1.key" --in "$1" --out "$2" >/dev/null
  "$SR" policy sign --key "$KEYS/gov2.key" --in "$2" >/dev/null
  "$SR" policy install --station "$STATION" --in "$2" $LOG_PIN --operator Dana
}
policy 1 "$STATION/keys/ic22-release-a.pem" "$WORK/policy-v1.json"
govern "$WORK/policy-v1.json" "$WORK/policy-v1.env"

# release VERSION PREVIOUS: the firmware, its provenance and a 2-of-2 approval on MEDIA.
release() {
  local v=$1 prev=$2 fw="$MEDIA/ic22-fw-$1.bin"
  head -c 65536 /dev/urandom > "$fw"
  local sha; sha=$(sha256sum "$fw" | cut -d' ' -f1)
  cat > "$WORK/provenance-$v.json" <<EOF
{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"ic22-fw-$v.bin","digest":{"sha256":"$sha"}}],
 "predicateType":"https://slsa.dev/provenance/v1",
 "predicate":{"buildDefinition":{"buildType":"$BUILD_TYPE",
   "externalParameters":{"workflow":{"repository":"$REPO","ref":"refs/tags/v$v","path":".ci/firmware.yml"}},
   "resolvedDependencies":[{"uri":"git+$REPO@refs/tags/v$v","digest":{"gitCommit":"8f70009fde0c94ade6ce2a054b94718c819126ec"}}]},
  "runDetails":{"builder":{"id":"$BUILDER_ID"}}}}
EOF
  "$DSSE" application/vnd.in-toto+json "$WORK/provenance-$v.json" "$KEYS/builder.key" \
    "$MEDIA/provenance-$v.dsse.json"
  "$SR" approve create --product IC-22 --version "$v" --previous-version "$prev" \
    --artifact "$fw" --source-version "refs/tags/v$v" --cohort A --configuration reference \
    --out "$WORK/approval-$v.json" >/dev/null
  cp "$WORK/approval-$v.json" "$WORK/approval-$v.bob.json"
  "$SR" approve sign --key "$KEYS/alice.key" --in "$WORK/approval-$v.json" >/dev/null
  "$SR" approve sign --key "$KEYS/bob.key" --in "$WORK/approval-$v.bob.json" >/dev/null
  "$SR" approve merge --in "$WORK/approval-$v.json" --in "$WORK/approval-$v.bob.json" \
    --out "$MEDIA/approval-$v.dsse.json" >/dev/null
}
sign() {  # VERSION KEY OUTDIR
  "$SR" sign --station "$STATION" --product IC-22 --version "$1" \
    --artifact "$MEDIA/ic22-fw-$1.bin" --approval "$MEDIA/approval-$1.dsse.json" \
    --provenance "$MEDIA/provenance-$1.dsse.json" --key "$2" --out "$3" $REL_PIN $LOG_PIN \
    --operator "Erin (release engineer)"
}
verify() {  # OUTDIR VERSION POLICY
  "$SR" verify --release "$1" --artifact "$MEDIA/ic22-fw-$2.bin" --policy "$3"
}

say "2. Key A signs release 1 (IC-22 5.4.3) under policy v1"
release 5.4.3 5.4.2
sign 5.4.3 ic22-release-a "$OUT/IC-22-5.4.3"
verify "$OUT/IC-22-5.4.3" 5.4.3 "$WORK/policy-v1.env" >/dev/null
explain "signed and verified under policy v1"

say "3. Rotation: key B is generated in the token; key A is revoked (KEY_REVOKED logged)"
"$SR" key generate --station "$STATION" --label ic22-release-b --algorithm ecdsa-p256 \
  $REL_PIN $LOG_PIN --operator "Dana (ceremony administrator)" >/dev/null
"$SR" --json key revoke --station "$STATION" --label ic22-release-a \
  --reason "rotation to ic22-release-b (scheduled)" $LOG_PIN --operator Dana > "$WORK/revoke.json"
REVOKED_AT=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["event_index"], d["effective_time"])' "$WORK/revoke.json")
R_INDEX=${REVOKED_AT% *}
R_TIME=${REVOKED_AT#* }
explain "KEY_REVOKED is event $R_INDEX ($R_TIME); from now on the station refuses key A."
"$SR" key list --station "$STATION" --token release

say "4. Governance writes policy v2: authorizes B, keeps A's authorization (what A may have"
explain "signed) and revokes A at log index $R_INDEX; signs it 2 of 3; the station installs it."
policy 2 "$STATION/keys/ic22-release-b.pem" "$WORK/policy-v2.json"
python3 - "$WORK/policy-v1.json" "$WORK/policy-v2.json" "$FP_A" "$R_INDEX" "$R_TIME" <<'EOF'
import json, sys
v1_path, v2_path, fp_a, index, time = sys.argv[1:]
v1 = json.load(open(v1_path))
v2 = json.load(open(v2_path))
a = next(x for x in v1["keyAuthorizations"] if x["keyFingerprint"] == fp_a)
a["id"] = a["id"] + "-a"
v2["keyAuthorizations"].append(a)
v2["revokedKeys"] = [{"keyFingerprint": fp_a, "reason": "rotated to ic22-release-b",
                      "revokedAtLogIndex": index, "revokedAt": time}]
json.dump(v2, open(v2_path, "w"), indent=2)
EOF
govern "$WORK/policy-v2.json" "$WORK/policy-v2.env"

say "5. Release 1, signed by A before the revocation, still verifies under policy v2"
verify "$OUT/IC-22-5.4.3" 5.4.3 "$WORK/policy-v2.env" | tee "$WORK/verify-1.txt"
grep -q "before the revocation" "$WORK/verify-1.txt" || die "the revocation check did not run"
mkdir "$WORK/no-proof" && cp "$OUT/IC-22-5.4.3/"* "$WORK/no-proof/"
rm "$WORK/no-proof/signing-event.tlog-proof"
if verify "$WORK/no-proof" 5.4.3 "$WORK/policy-v2.env" > /dev/null 2>&1; then
  die "a revoked key's release verified without its tlog-proof"
fi
explain "(without its .tlog-proof it does not: nothing would show it was signed before)"

say "6. Key A is refused for release 2 (IC-22 5.4.4); the refusal is logged"
release 5.4.4 5.4.3
if sign 5.4.4 ic22-release-a "$OUT/refused" 2> "$WORK/refused.txt"; then
  die "the station signed with a revoked key"
fi
grep "KEY_REVOKED" "$WORK/refused.txt" || die "the refusal does not name KEY_REVOKED"
[ ! -e "$OUT/refused" ] || die "a refused signing wrote outputs"

say "7. Key B signs release 2, which verifies under policy v2"
sign 5.4.4 ic22-release-b "$OUT/IC-22-5.4.4"
verify "$OUT/IC-22-5.4.4" 5.4.4 "$WORK/policy-v2.env"

say "8. The auditor verifies the whole log"
"$SR" log verify --station "$STATION" --vkey "$WORK/log.vkey"
"$SR" --json log show --station "$STATION" > "$WORK/events.json"
for kind in KEY_GENERATED KEY_REVOKED POLICY_INSTALLED REFUSAL SIGNING; do
  printf '   %-18s %s\n' "$kind" "$(grep -c "\"EVENT_KIND_$kind\"" "$WORK/events.json" || true)"
done
explain "Rotation done: A's shipped release stays valid, A signs nothing new, B signs."
