#!/usr/bin/env bash
# strongroom demo (run by `make demo`): creates a signing station in a temp
# directory, generates one key of each supported algorithm inside the HSM,
# and checks every key's proof of possession with the openssl command line,
# explaining each step. Later it grows into the firmware 5.4.3 ceremony.
#
# Usage: scripts/demo.sh BUILD_DIR
set -euo pipefail

BUILD_DIR=${1:?usage: scripts/demo.sh BUILD_DIR}
SR="$BUILD_DIR/signer/strongroom"
[ -x "$SR" ] || { echo "demo: $SR not built; run make first" >&2; exit 1; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
explain() { printf '   %s\n' "$@"; }

WORK=$(mktemp -d /tmp/strongroom-demo-XXXXXX)
STATION="$WORK/station"
PINS="$WORK/pins"
trap 'rm -rf "$WORK"' EXIT

say "1. Generate the token PINs"
explain "Each token gets a security-officer (SO) PIN and a user PIN. They go into files in a" \
        "private folder (mode 0700, files 0600) and strongroom reads them with --*pin-source" \
        "file:PATH. PINs never appear on a command line or in the environment: strongroom" \
        "refuses both."
mkdir -m 0700 "$PINS"
for name in release-so release log-so log; do
  (umask 077; openssl rand -hex 16 > "$PINS/$name")
done
ls -l "$PINS"

say "2. Create the station"
explain "station init makes the station folder with its own SoftHSMv2 configuration and token" \
        "folder, a release token (release keys; later unlocked by M-of-N custodians) and a log" \
        "token (the station's Ed25519 log key, unlocked by the station operator), and records" \
        "it all in station.json."
"$SR" station init --station "$STATION" \
  --release-so-pin-source "file:$PINS/release-so" --release-pin-source "file:$PINS/release" \
  --log-so-pin-source "file:$PINS/log-so" --log-pin-source "file:$PINS/log"

say "3. Generate one key of each algorithm in the release token"
explain "Each private key is generated inside the token: sensitive, never extractable. The" \
        "public key is exported to keys/LABEL.pem, and the new key signs a proof of possession" \
        "statement (keys/LABEL.pop, signature keys/LABEL.pop.sig)."
for alg in ecdsa-p256 ecdsa-p384 ed25519 rsa-pss-3072; do
  "$SR" key generate --station "$STATION" --label "demo-$alg" --algorithm "$alg" \
    --pin-source "file:$PINS/release"
done

say "4. List the station's keys"
"$SR" key list --station "$STATION"

say "5. Verify every proof of possession with the openssl command line"
explain "openssl knows nothing of strongroom: it checks each signature over the statement with" \
        "the exported public key alone."
K="$STATION/keys"
verify() {
  local label=$1; shift
  printf '   %-18s ' "$label:"
  "$@"
}
verify demo-ecdsa-p256 openssl dgst -sha256 -verify "$K/demo-ecdsa-p256.pem" \
  -signature "$K/demo-ecdsa-p256.pop.sig" "$K/demo-ecdsa-p256.pop"
verify demo-ecdsa-p384 openssl dgst -sha384 -verify "$K/demo-ecdsa-p384.pem" \
  -signature "$K/demo-ecdsa-p384.pop.sig" "$K/demo-ecdsa-p384.pop"
verify demo-ed25519 openssl pkeyutl -verify -pubin -inkey "$K/demo-ed25519.pem" -rawin \
  -in "$K/demo-ed25519.pop" -sigfile "$K/demo-ed25519.pop.sig"
verify demo-rsa-pss-3072 openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
  -sigopt rsa_pss_saltlen:32 -verify "$K/demo-rsa-pss-3072.pem" \
  -signature "$K/demo-rsa-pss-3072.pop.sig" "$K/demo-rsa-pss-3072.pop"
verify log openssl pkeyutl -verify -pubin -inkey "$K/log.pem" -rawin \
  -in "$K/log.pop" -sigfile "$K/log.pop.sig"

say "6. What a proof of possession says"
cat "$K/demo-ed25519.pop"

say "Done"
explain "All proofs of possession verified. The station was in $STATION and is removed now."
