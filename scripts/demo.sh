#!/usr/bin/env bash
# strongroom demo (run by `make demo`): the firmware 5.4.3 signing ceremony of
# ../shared/seeds/000_c42b4a14c6cbe5d4.txt, end to end, on a fresh station
# with its own embedded SoftHSMv2 tokens. IC-22 controller, 5.4.2 -> 5.4.3,
# cohort A approved; the regional configuration has no passing recovery test,
# so an approval that includes it is refused, and the approval that excludes
# it (with a mitigation and a dated follow-up) is signed.
#
# Usage: scripts/demo.sh BUILD_DIR        (DEMO_KEEP=1 keeps the work folder)
set -euo pipefail

BUILD_DIR=${1:?usage: scripts/demo.sh BUILD_DIR}
SR="$(cd "$BUILD_DIR" && pwd)/cli/strongroom"
[ -x "$SR" ] || { echo "demo: $SR not built; run make first" >&2; exit 1; }
HERE="$(cd "$(dirname "$0")" && pwd)"
DSSE="$HERE/dsse-sign-openssl"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
explain() { printf '   %s\n' "$@"; }

WORK=$(mktemp -d /tmp/strongroom-demo-XXXXXX)
if [ "${DEMO_KEEP:-0}" = 1 ]; then echo "demo: keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
STATION="$WORK/station"
PINS="$WORK/pins"
KEYS="$WORK/people"     # keys of people and systems outside the station
MEDIA="$WORK/media"     # what the release engineer brings on removable media
OUT="$WORK/out"         # what leaves the station
mkdir -p "$KEYS" "$MEDIA"
cd "$WORK"
T0=$(date +%s)
REL_PIN="--pin-source file:$PINS/release"
LOG_PIN="--log-pin-source file:$PINS/log"

say "1. The station: two SoftHSMv2 tokens, an Ed25519 log key and an empty log"
explain "PINs are generated into private files and read with --*pin-source file:PATH;" \
        "strongroom refuses PINs on the command line or in the environment. The release" \
        "token holds release keys; the log token holds the log key (checkpoints) and the" \
        "station attestation key (VSAs), unlocked by the station operator."
mkdir -m 0700 "$PINS"
for name in release-so release log-so log; do (umask 077; openssl rand -hex 16 > "$PINS/$name"); done
"$SR" station init --station "$STATION" \
  --release-so-pin-source "file:$PINS/release-so" --release-pin-source "file:$PINS/release" \
  --log-so-pin-source "file:$PINS/log-so" $LOG_PIN
"$SR" log vkey --station "$STATION" > "$WORK/log.vkey"
explain "The log's verifier key, which auditors and devices keep: $(cat "$WORK/log.vkey")"

say "2. Generate the IC-22 release key inside the HSM (ECDSA P-256, never extractable)"
"$SR" key generate --station "$STATION" --label ic22-release --algorithm ecdsa-p256 \
  $REL_PIN $LOG_PIN --operator "Dana (ceremony administrator)"
explain "The station holds every algorithm it supports; three more keys show it (not used below)."
for alg in ecdsa-p384 ed25519 rsa-pss-3072; do
  "$SR" key generate --station "$STATION" --label "demo-$alg" --algorithm "$alg" \
    $REL_PIN $LOG_PIN >/dev/null
done
explain "Each new key signed a proof of possession in the token; openssl checks each one with" \
        "the exported public key alone:"
K="$STATION/keys"
pop() { printf '   %-18s ' "$1:"; shift; "$@"; }
pop ic22-release openssl dgst -sha256 -verify "$K/ic22-release.pem" \
  -signature "$K/ic22-release.pop.sig" "$K/ic22-release.pop"
pop demo-ecdsa-p384 openssl dgst -sha384 -verify "$K/demo-ecdsa-p384.pem" \
  -signature "$K/demo-ecdsa-p384.pop.sig" "$K/demo-ecdsa-p384.pop"
pop demo-ed25519 openssl pkeyutl -verify -pubin -inkey "$K/demo-ed25519.pem" -rawin \
  -in "$K/demo-ed25519.pop" -sigfile "$K/demo-ed25519.pop.sig"
pop demo-rsa-pss-3072 openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
  -verify "$K/demo-rsa-pss-3072.pem" -signature "$K/demo-rsa-pss-3072.pop.sig" "$K/demo-rsa-pss-3072.pop"
pop "log (log token)" openssl pkeyutl -verify -pubin -inkey "$K/log.pem" -rawin \
  -in "$K/log.pop" -sigfile "$K/log.pop.sig"

say "3. The people and systems the policy trusts (their keys live outside the station)"
explain "Three governance members (2 of 3 sign policies), three release approvers (2 of 3" \
        "approve a release), the firmware CI builder and the hardware test lab."
for k in gov1 gov2 gov3 alice bob carol builder lab; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS/$k.key" 2>/dev/null
  chmod 600 "$KEYS/$k.key"
  openssl pkey -in "$KEYS/$k.key" -pubout -out "$KEYS/$k.pub"
done

say "4. Governance writes, signs (2 of 3) and installs the trust policy for IC-22"
BUILDER_ID="https://ci.example.com/builders/firmware@v3"
BUILD_TYPE="https://ci.example.com/buildtypes/firmware/v1"
REPO="https://git.example.com/ic22/firmware"
"$SR" policy init --out "$WORK/policy.json" --product IC-22 \
  --governance-key "$KEYS/gov1.pub" --governance-key "$KEYS/gov2.pub" \
  --governance-key "$KEYS/gov3.pub" --governance-threshold 2 \
  --approver-key "$KEYS/alice.pub" --approver-key "$KEYS/bob.pub" \
  --approver-key "$KEYS/carol.pub" --approval-threshold 2 \
  --builder-id "$BUILDER_ID" --builder-key "$KEYS/builder.pub" --source-repo "$REPO" \
  --build-type "$BUILD_TYPE" --slsa-build-level 3 --test-lab-key "$KEYS/lab.pub" \
  --required-test rollback --required-test recovery \
  --configuration reference --configuration regional \
  --signing-key "$STATION/keys/ic22-release.pem" --min-version 5.0.0 --max-version 5.99.99 \
  --log-vkey "$WORK/log.vkey"
"$SR" policy sign --key "$KEYS/gov1.key" --in "$WORK/policy.json" --out "$WORK/policy.env"
"$SR" policy sign --key "$KEYS/gov2.key" --in "$WORK/policy.env"
"$SR" policy install --station "$STATION" --in "$WORK/policy.env" $LOG_PIN --operator Dana

say "5. The build: firmware 5.4.3, its SLSA provenance signed by the CI builder"
FW="$MEDIA/ic22-fw-5.4.3.bin"
head -c 1048576 /dev/urandom > "$FW"
SHA=$(sha256sum "$FW" | cut -d' ' -f1)
SUBJECT="[{\"name\":\"ic22-fw-5.4.3.bin\",\"digest\":{\"sha256\":\"$SHA\"}}]"
cat > "$WORK/provenance.json" <<EOF
{"_type":"https://in-toto.io/Statement/v1","subject":$SUBJECT,
 "predicateType":"https://slsa.dev/provenance/v1",
 "predicate":{"buildDefinition":{"buildType":"$BUILD_TYPE",
   "externalParameters":{"workflow":{"repository":"$REPO","ref":"refs/tags/v5.4.3","path":".ci/firmware.yml"}},
   "resolvedDependencies":[{"uri":"git+$REPO@refs/tags/v5.4.3","digest":{"gitCommit":"8f70009fde0c94ade6ce2a054b94718c819126ec"}}]},
  "runDetails":{"builder":{"id":"$BUILDER_ID"},"metadata":{"invocationId":"run-20461"}}}}
EOF
"$DSSE" application/vnd.in-toto+json "$WORK/provenance.json" "$KEYS/builder.key" "$MEDIA/provenance.dsse.json"
explain "firmware sha256 $SHA; provenance signed with openssl alone (an independent DSSE signer)."

say "6. The test lab: rollback and recovery pass on the reference configuration;"
explain "on the regional configuration rollback passes but recovery does NOT."
evidence() {  # CONFIG RESULT PASSED FAILED OUT
  cat > "$WORK/$5.json" <<EOF
{"_type":"https://in-toto.io/Statement/v1","subject":$SUBJECT,
 "predicateType":"https://in-toto.io/attestation/test-result/v0.1",
 "predicate":{"result":"$2","configuration":[{"name":"$1","uri":"https://lab.example.com/configs/$1"}],
  "url":"https://lab.example.com/runs/${5%.dsse.json}","passedTests":$3,"failedTests":$4}}
EOF
  "$DSSE" application/vnd.in-toto+json "$WORK/$5.json" "$KEYS/lab.key" "$MEDIA/$5"
}
evidence reference PASSED '["rollback","recovery"]' '[]' tests-reference.dsse.json
evidence regional PASSED '["rollback"]' '[]' tests-regional-rollback.dsse.json
evidence regional FAILED '[]' '["recovery"]' tests-regional-recovery.dsse.json

approve() {  # OUT EXTRA-ARGS...
  local out=$1; shift
  "$SR" approve create --product IC-22 --version 5.4.3 --previous-version 5.4.2 \
    --artifact "$FW" --source-version refs/tags/v5.4.3 --cohort A \
    --vulnerability VULN-2026-014 --required-evidence rollback --required-evidence recovery \
    --out "$WORK/$out.json" "$@" >/dev/null
  cp "$WORK/$out.json" "$WORK/$out.alice.json"
  cp "$WORK/$out.json" "$WORK/$out.bob.json"
  "$SR" approve sign --key "$KEYS/alice.key" --in "$WORK/$out.alice.json" >/dev/null
  "$SR" approve sign --key "$KEYS/bob.key" --in "$WORK/$out.bob.json" >/dev/null
  "$SR" approve merge --in "$WORK/$out.alice.json" --in "$WORK/$out.bob.json" --out "$MEDIA/$out.dsse.json"
}
sign() {  # APPROVAL OUTDIR
  "$SR" sign --station "$STATION" --product IC-22 --version 5.4.3 --artifact "$FW" \
    --approval "$MEDIA/$1" --provenance "$MEDIA/provenance.dsse.json" \
    --evidence "$MEDIA/tests-reference.dsse.json" \
    --evidence "$MEDIA/tests-regional-rollback.dsse.json" \
    --evidence "$MEDIA/tests-regional-recovery.dsse.json" \
    --key ic22-release --out "$2" $REL_PIN $LOG_PIN \
    --operator "Erin (release engineer)" --operator "Frank (witness)"
}

say "7. First attempt: an approval (alice + bob) that puts BOTH configurations in scope"
approve approval-all --configuration reference --configuration regional
if sign approval-all.dsse.json "$OUT/attempt-1"; then
  echo "demo: the station signed an untested configuration; this must never happen" >&2; exit 1
fi
explain "REFUSED, as it must be: the regional configuration is in scope without a passing" \
        "recovery test. The refusal, with every reason, is now an event in the log."

say "8. The approval of the seed: cohort A, reference only, regional EXCLUDED"
approve approval-5.4.3 --configuration reference \
  --exclusion "regional;recovery test not yet passed on the regional configuration;regional devices stay on 5.4.2;2026-12-15"
"$SR" approve show --in "$MEDIA/approval-5.4.3.dsse.json"
sign approval-5.4.3.dsse.json "$OUT/IC-22-5.4.3"
explain "SIGNED: the log holds the signing intent and the signing event (durable, with a" \
        "signed checkpoint) before any output was written."
ls -l "$OUT/IC-22-5.4.3"

say "9. A device's check, offline: strongroom verify with the trusted policy and log key"
"$SR" verify --release "$OUT/IC-22-5.4.3" --artifact "$FW" --policy "$WORK/policy.env" \
  --vkey "$WORK/log.vkey"
explain "and a boot loader's check with nothing but openssl:"
openssl dgst -sha256 -verify "$OUT/IC-22-5.4.3/signing-key.pem" \
  -signature "$OUT/IC-22-5.4.3/ic22-fw-5.4.3.bin.sig" "$FW"

say "10. Signing 5.4.3 again, or an older version, is refused (anti-rollback)"
if sign approval-5.4.3.dsse.json "$OUT/again" 2>&1 | grep -E "VERSION_NOT_ABOVE|REFUSED"; then :; fi
[ ! -e "$OUT/again" ] || { echo "demo: a second signing of 5.4.3 was released" >&2; exit 1; }

say "11. The auditor: verify the whole log offline with the verifier key they kept"
"$SR" log verify --station "$STATION" --vkey "$WORK/log.vkey"

say "Summary"
"$SR" --json log show --station "$STATION" > "$WORK/events.json"
for kind in STATION_INITIALIZED KEY_GENERATED POLICY_INSTALLED REFUSAL SIGNING_INTENT SIGNING; do
  printf '   %-22s %s\n' "$kind" "$(grep -c "\"EVENT_KIND_$kind\"" "$WORK/events.json" || true)"
done
explain "IC-22 5.4.3 was signed for cohort A (reference configuration) by key ic22-release," \
        "on the approval of alice and bob, tied to the CI provenance and the lab's rollback" \
        "and recovery results; the regional configuration is excluded until its recovery" \
        "test passes (follow-up 2026-12-15). Every step, and both refusals, are in the log." \
        "Done in $(( $(date +%s) - T0 )) s."
