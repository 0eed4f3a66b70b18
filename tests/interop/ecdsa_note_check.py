#!/usr/bin/env python3
"""An independent check of C2SP signed notes signed with ECDSA (signature type
0x02), written from c2sp.org/signed-note with python3-cryptography and no
strongroom code: Go's sumdb/note, used for the Ed25519 checks, knows only
Ed25519.

Usage: ecdsa_note_check.py VKEY_FILE FILE...
Each FILE is a signed note (a checkpoint) or a C2SP tlog-proof, whose
checkpoint follows its first blank line. The verifier key must be
<name>+<hex key id>+base64(0x02 || SPKI DER) with key id = SHA-256(SPKI)[:4];
each note must carry a signature line by that name and key id whose
signature (ASN.1 DER, over SHA-256 of the note text) verifies, and (being a
checkpoint) have the name as its origin line. Prints "ok FILE" per file;
exits 1 naming the first failure.
"""
import base64
import hashlib
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def parse_vkey(text):
    name, key_id, blob = text.strip().split("+", 2)
    raw = base64.b64decode(blob, validate=True)
    if raw[0] != 0x02:
        fail("verifier key type is 0x%02x, not 0x02 (ECDSA)" % raw[0])
    spki = raw[1:]
    if hashlib.sha256(spki).digest()[:4] != bytes.fromhex(key_id):
        fail("key id %s is not SHA-256(SPKI)[:4]" % key_id)
    key = serialization.load_der_public_key(spki)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        fail("verifier key is not an EC key")
    return name, bytes.fromhex(key_id), key


def check_note(note, name, key_id, key):
    split = note.rindex("\n\n")
    text = note[: split + 1]
    found = False
    for line in note[split + 2 :].splitlines():
        if not line.startswith("\u2014 "):
            fail("malformed signature line %r" % line)
        signer, sig = line[2:].split(" ", 1)
        blob = base64.b64decode(sig, validate=True)
        if signer != name or blob[:4] != key_id:
            continue
        try:
            key.verify(blob[4:], text.encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            fail("the signature by %s does not verify" % name)
        found = True
    if not found:
        fail("no signature by %s" % name)
    if text.split("\n", 1)[0] != name:
        fail("checkpoint origin is not %s" % name)


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        name, key_id, key = parse_vkey(f.read())
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            content = f.read()
        if content.startswith("c2sp.org/tlog-proof@v1\n"):
            content = content[content.index("\n\n") + 2 :]
        check_note(content, name, key_id, key)
        print("ok " + path)


if __name__ == "__main__":
    main()
