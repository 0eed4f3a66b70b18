#!/usr/bin/env bash
# A software TPM for one test (tests/testing/tpm.h starts it, in a process
# group of its own that it kills when the test ends, failed or not): swtpm on
# two free local ports, a private D-Bus session bus, tpm2-abrmd on that bus
# (without the resource manager the TPM runs out of object contexts), and a
# tpm2-pkcs11 store with the tokens asked for. Nothing system-wide is touched:
# every file is under DIR, every process is a child of this script.
#
# Usage: tpm_up.sh DIR PORT LABEL:SO_PIN_FILE:USER_PIN_FILE...
# PORT and PORT+1 must be free: the swtpm TCTI finds the control port at PORT+1.
# Writes DIR/env (the variables a client of the module needs) and DIR/ready;
# on failure DIR/failed says why. Then waits for its children.
set -u
DIR=$1 PORT=$2 CTRL=$(($2 + 1))
shift 2
mkdir -p "$DIR/state" "$DIR/store"
fail() {
  { echo "$*"; for f in swtpm dbus abrmd ptool; do
      [ -s "$DIR/$f.log" ] && { echo "--- $f.log"; tail -n 20 "$DIR/$f.log"; }; done; } > "$DIR/failed"
  exit 1
}
for tool in swtpm dbus-daemon tpm2-abrmd tpm2_ptool; do
  command -v "$tool" >/dev/null || fail "$tool is not installed: run scripts/install-deps"
done
swtpm socket --tpm2 --flags not-need-init,startup-clear --tpmstate "dir=$DIR/state" \
  --server "type=tcp,port=$PORT,bindaddr=127.0.0.1" --ctrl "type=tcp,port=$CTRL,bindaddr=127.0.0.1" \
  > "$DIR/swtpm.log" 2>&1 &
dbus-daemon --session --nofork --nopidfile --print-address=3 3> "$DIR/bus" > "$DIR/dbus.log" 2>&1 &
for _ in $(seq 100); do [ -s "$DIR/bus" ] && break; sleep 0.05; done
[ -s "$DIR/bus" ] || fail "dbus-daemon --session did not start"
DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$DIR/bus")
export DBUS_SESSION_BUS_ADDRESS
tpm2-abrmd --session --allow-root --tcti="swtpm:host=127.0.0.1,port=$PORT" > "$DIR/abrmd.log" 2>&1 &
ABRMD=$!
export TPM2_PKCS11_TCTI=tabrmd:bus_type=session TPM2TOOLS_TCTI=tabrmd:bus_type=session
export TPM2_PKCS11_STORE="$DIR/store"
# tpm2-abrmd takes its bus name once it reached the TPM: retry until then.
ok=0
for _ in $(seq 100); do
  if tpm2_ptool init --path "$DIR/store" > "$DIR/ptool.log" 2>&1; then ok=1; break; fi
  kill -0 "$ABRMD" 2>/dev/null || fail "tpm2-abrmd exited (it could not reach swtpm)"
  sleep 0.1
done
[ $ok = 1 ] || fail "tpm2_ptool init failed: swtpm or tpm2-abrmd did not come up"
for spec in "$@"; do
  IFS=: read -r label so user <<< "$spec"
  tpm2_ptool addtoken --pid=1 --label="$label" --sopin="$(cat "$so")" --userpin="$(cat "$user")" \
    --path "$DIR/store" >> "$DIR/ptool.log" 2>&1 || fail "tpm2_ptool addtoken $label failed"
done
{
  echo "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"
  echo "TPM2_PKCS11_TCTI=$TPM2_PKCS11_TCTI"
  echo "TPM2_PKCS11_STORE=$TPM2_PKCS11_STORE"
} > "$DIR/env"
touch "$DIR/ready"
wait
