#!/usr/bin/env bash
# strongroom keyless-builder demo (run by `make demo-keyless`, and by CTest as
# demo_keyless_test): a throwaway station whose policy trusts the SLSA GitHub
# generator's Maven builder by identity (the certificate's issuer, signing
# workflow and ref) with the Sigstore public-good trusted root installed beside
# it, signs the real jar of tests/testdata/realworld/ with the real Sigstore
# bundle the builder published, unchanged: no re-signing with a key of ours.
# The same bundle under a policy naming another workflow is refused, and the
# refusal is logged; the auditor's replay verifies the bundle again with the
# root of the policy in force. docs/policy.md, "Keyless builders", explains.
#
# Usage: scripts/demo-keyless.sh BUILD_DIR   (DEMO_KEEP=1 keeps the work folder)
set -euo pipefail

BUILD_DIR=${1:?usage: scripts/demo-keyless.sh BUILD_DIR}
SRC="$(cd "$(dirname "$0")/.." && pwd)"
DEMO=demo-keyless
. "$SRC/scripts/demo-common.sh"
DATA="$SRC/tests/testdata/realworld"
ROOT="$SRC/tests/testdata/sigstore/trusted_root.json"
mkdir -p "$KEYS" "$MEDIA" "$OUT"
cd "$WORK"
REL_PIN="--pin-source file:$PINS/release"
LOG_PIN="--log-pin-source file:$PINS/log"
GEN="https://github.com/slsa-framework/slsa-github-generator/.github/workflows"
BUILDER_ID="$GEN/builder_maven_slsa3.yml@refs/tags/v2.1.0"
SIGNER="$GEN/delegator_lowperms-generic_slsa3.yml"  # the workflow whose certificate signs
ISSUER="https://token.actions.githubusercontent.com"
REPO="https://github.com/slsa-framework/example-package"
BUILD_TYPE="https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0"
JAR=test-java-project-1.23.90.jar
BUNDLE="$MEDIA/$JAR.build.slsa"

say "1. The media: the real jar and the Sigstore bundle its builder published, as published"
cp "$DATA/gha-maven-v2.1.0-binary-linux-amd64-push-v14" "$MEDIA/$JAR"
cp "$DATA/gha-maven-v2.1.0-binary-linux-amd64-push-v14.build.slsa" "$BUNDLE"
python3 - "$BUNDLE" <<'EOF'
import base64, json, sys
b = json.load(open(sys.argv[1]))
e = b["verificationMaterial"]["tlogEntries"][0]
s = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
print("   bundle %s, Rekor log index %s; subject %s" %
      (b["mediaType"].split(";")[-1], e["logIndex"], s["subject"][0]["name"]))
EOF
explain "No key of ours signed it: a short-lived Fulcio certificate did, logged in Rekor."
"$SR" keyless verify "$BUNDLE" --trusted-root "$ROOT" --issuer "$ISSUER" --workflow "$SIGNER" \
  --allowed-ref 'refs/tags/v2.*'

say "2. A station, governance and approvers; the trusted root carried in on the media"
mkdir -m 0700 "$PINS"
for name in release-so release log-so log; do (umask 077; openssl rand -hex 16 > "$PINS/$name"); done
"$SR" station init --station "$STATION" \
  --release-so-pin-source "file:$PINS/release-so" --release-pin-source "file:$PINS/release" \
  --log-so-pin-source "file:$PINS/log-so" $LOG_PIN >/dev/null
"$SR" log vkey --station "$STATION" > "$WORK/log.vkey"
"$SR" key generate --station "$STATION" --label maven-release --algorithm ecdsa-p256 \
  $REL_PIN $LOG_PIN --operator "Dana (ceremony administrator)" >/dev/null
for k in gov1 gov2 alice bob; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS/$k.key" 2>/dev/null
  chmod 600 "$KEYS/$k.key"
  openssl pkey -in "$KEYS/$k.key" -pubout -out "$KEYS/$k.pub"
done
cp "$ROOT" "$MEDIA/trusted_root.json"
explain "trusted_root.json: the Sigstore public-good root (@sigstore/tuf's seeds), sha256"
explain "$(sha256sum "$MEDIA/trusted_root.json" | cut -d' ' -f1)"

# policy VERSION WORKFLOW NAME: governance writes, signs (2 of 2) and the station installs
# a policy trusting the Maven builder by the identity WORKFLOW@refs/tags/v2.*.
policy() {
  "$SR" policy init --out "$WORK/$3.json" --version "$1" --product maven-example \
    --governance-key "$KEYS/gov1.pub" --governance-key "$KEYS/gov2.pub" \
    --approver-key "$KEYS/alice.pub" --approver-key "$KEYS/bob.pub" \
    --keyless-builder "$BUILDER_ID=$ISSUER,$2,refs/tags/v2.*" --source-repo "$REPO" \
    --build-type "$BUILD_TYPE" --trusted-root "$MEDIA/trusted_root.json" \
    --configuration reference --signing-key "$STATION/keys/maven-release.pem" \
    --log-vkey "$WORK/log.vkey" >/dev/null
  "$SR" policy sign --key "$KEYS/gov1.key" --in "$WORK/$3.json" --out "$WORK/$3.env" >/dev/null
  "$SR" policy sign --key "$KEYS/gov2.key" --in "$WORK/$3.env" >/dev/null
  "$SR" policy install --station "$STATION" --in "$WORK/$3.env" \
    --trusted-root "$MEDIA/trusted_root.json" $LOG_PIN --operator Dana
}

say "3. A policy naming the builder's own workflow (builder_maven_slsa3.yml) as the identity"
explain "A natural mistake: that builder signs through its delegator workflow."
policy 1 "$GEN/builder_maven_slsa3.yml" policy-v1

# The approval: alice and bob approve the jar at the source version refs/tags/v14.
"$SR" approve create --product maven-example --version 1.23.90 --previous-version 1.23.89 \
  --artifact "$MEDIA/$JAR" --source-version refs/tags/v14 --cohort A \
  --configuration reference --out "$WORK/approval.json" >/dev/null
cp "$WORK/approval.json" "$WORK/approval.bob.json"
"$SR" approve sign --key "$KEYS/alice.key" --in "$WORK/approval.json" >/dev/null
"$SR" approve sign --key "$KEYS/bob.key" --in "$WORK/approval.bob.json" >/dev/null
"$SR" approve merge --in "$WORK/approval.json" --in "$WORK/approval.bob.json" \
  --out "$MEDIA/approval.dsse.json" >/dev/null
sign() {  # OUTDIR
  "$SR" sign --station "$STATION" --product maven-example --version 1.23.90 \
    --artifact "$MEDIA/$JAR" --approval "$MEDIA/approval.dsse.json" --provenance "$BUNDLE" \
    --key maven-release --out "$1" $REL_PIN $LOG_PIN --operator "Erin (release engineer)"
}
if sign "$OUT/refused" 2> "$WORK/refused.txt"; then die "the station accepted a bundle whose identity the policy does not name"; fi
grep "CERT_IDENTITY_MISMATCH" "$WORK/refused.txt" || die "the refusal does not name CERT_IDENTITY_MISMATCH"
[ ! -e "$OUT/refused" ] || die "a refused signing wrote outputs"

say "4. Policy v2 names the signing workflow; the station signs the jar with the bundle unchanged"
policy 2 "$SIGNER" policy-v2
sign "$OUT/maven-example-1.23.90"
"$SR" --json log show --station "$STATION" > "$WORK/events.json"
python3 - "$WORK/events.json" <<'EOF'
import json, sys
events = [x["event"] for x in json.load(open(sys.argv[1]))]
k = [e for e in events if e.get("kind") == "EVENT_KIND_SIGNING"][-1]["signing"]["keylessProvenance"]
print("   SIGNING keylessProvenance: identity %s\n   issuer %s, source %s@%s,\n"
      "   Rekor log index %s, integrated time %s, certificate sha256 %s..."
      % (k["identity"], k["issuer"], k["sourceRepository"], k["sourceRef"],
         k["rekorLogIndex"], k["integratedTime"], k["certificateSha256"][:16]))
EOF
"$SR" verify --release "$OUT/maven-example-1.23.90" --artifact "$MEDIA/$JAR" \
  --policy "$WORK/policy-v2.env"

say "5. The auditor replays every decision, the bundle verified again with the root of its policy"
"$SR" log verify --station "$STATION" --vkey "$WORK/log.vkey" >/dev/null
"$SR" audit replay --log "$STATION/log" --evidence "$STATION/evidence" --vkey "$WORK/log.vkey" \
  --policies "$STATION/policy"
explain "The builder's own provenance, verified offline against a pinned root, is what the station signed on."
