#!/usr/bin/env python3
"""Issue 21, acceptance 2: an independent verifier agrees with strongroom on
Sigstore keyless bundles.

Each case goes through `strongroom keyless verify` and through @sigstore/verify
(tests/interop/node/verify_bundle.mjs), both offline against the same
trusted_root.json (tests/testdata/sigstore/) and the same identity policy. The
two must give the same verdict (accept or reject) for every case, and that
verdict must be the expected one: the three real bundles accepted unchanged, the
plain envelope, a policy naming another workflow / ref / issuer, an altered
payload, an altered inclusion-proof hash, an altered checkpoint and a
certificate from another CA rejected. The variants are made here, in a temp
directory, from the real bundles.

usage: keyless_interop.py STRONGROOM_BINARY SOURCE_DIR
"""

import base64
import copy
import datetime
import json
import os
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

GITHUB = "https://token.actions.githubusercontent.com"
MAVEN = ("gha-maven-v2.1.0-binary-linux-amd64-push-v14.build.slsa",
         "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
         "delegator_lowperms-generic_slsa3.yml", "refs/tags/v2.*")
BCR_RULESET = ("bcr-rules_lint-v1.3.1.tar.gz.intoto.jsonl",
               "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml",
               "refs/tags/v7.1.0")
BCR_PUBLISH = ("bcr-MODULE.bazel.intoto.jsonl",
               "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml",
               "refs/tags/v0.0.1")
GO_PLAIN = ("gha-go-v1.2.1-binary-linux-amd64-push-v14.intoto.jsonl",
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
            "builder_go_slsa3.yml", "refs/tags/v1.2.1")


def flip_b64(text, at=0):
    """text (base64) with byte `at` of its decoding flipped."""
    raw = bytearray(base64.b64decode(text))
    raw[at] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def altered_payload(b):
    env = b["dsseEnvelope"]
    payload = base64.b64decode(env["payload"]).replace(b"rules_lint", b"rules_lunt", 1)
    env["payload"] = base64.b64encode(payload).decode()


def altered_proof_hash(b):
    proof = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
    proof["hashes"][0] = flip_b64(proof["hashes"][0])


def altered_checkpoint(b):
    cp = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
    lines = cp["envelope"].split("\n")
    lines[2] = flip_b64(lines[2])  # the checkpoint's root hash, under its signature
    cp["envelope"] = "\n".join(lines)


def other_ca_certificate(b):
    """The leaf replaced by one of another CA naming the same identity, and the
    envelope signed again with its key: only the chain is wrong."""
    vm = b["verificationMaterial"]
    leaf = x509.load_der_x509_certificate(base64.b64decode(vm["certificate"]["rawBytes"]))
    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.dev"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "sigstore-intermediate")])
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(x509.Name([]))
               .issuer_name(ca_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(leaf.not_valid_before_utc)
               .not_valid_after(leaf.not_valid_after_utc))
    for ext in leaf.extensions:  # SAN, the Fulcio extensions, key usage ...
        if ext.oid.dotted_string not in ("2.5.29.35", "2.5.29.14", "1.3.6.1.4.1.11129.2.4.2"):
            builder = builder.add_extension(ext.value, ext.critical)
    cert = builder.sign(ca_key, hashes.SHA256())
    vm["certificate"]["rawBytes"] = base64.b64encode(
        cert.public_bytes(serialization.Encoding.DER)).decode()
    env = b["dsseEnvelope"]
    payload, ptype = base64.b64decode(env["payload"]), env["payloadType"].encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
    env["signatures"][0]["sig"] = base64.b64encode(
        key.sign(pae, ec.ECDSA(hashes.SHA256()))).decode()


def cases(data, tmp):
    """(name, bundle path, issuer, workflow, allowed refs, expected verdict)."""
    out = []
    for sample, workflow, ref in (MAVEN, BCR_RULESET, BCR_PUBLISH):
        out.append((sample, os.path.join(data, sample), GITHUB, workflow, [ref], "accept"))
    out.append(("plain envelope (" + GO_PLAIN[0] + ")", os.path.join(data, GO_PLAIN[0]), GITHUB,
                GO_PLAIN[1], [GO_PLAIN[2]], "reject"))
    sample, workflow, ref = BCR_RULESET
    path = os.path.join(data, sample)
    out.append(("another workflow", path, GITHUB, workflow.replace("release_ruleset", "release"),
                [ref], "reject"))
    out.append(("another ref", path, GITHUB, workflow, ["refs/tags/v7.0.0"], "reject"))
    out.append(("another issuer", path, "https://accounts.google.com", workflow, [ref], "reject"))
    with open(path, encoding="utf-8") as f:
        real = json.load(f)
    for name, change in (("altered payload", altered_payload),
                         ("altered inclusion proof hash", altered_proof_hash),
                         ("altered checkpoint", altered_checkpoint),
                         ("certificate from another CA", other_ca_certificate)):
        b = copy.deepcopy(real)
        change(b)
        p = os.path.join(tmp, name.replace(" ", "-") + ".json")
        with open(p, "w", encoding="utf-8") as f:
            json.dump(b, f)
        out.append((name, p, GITHUB, workflow, [ref], "reject"))
    return out


def strongroom_verdict(binary, root, case):
    name, bundle, issuer, workflow, refs, _ = case
    cmd = [binary, "--json", "keyless", "verify", bundle, "--trusted-root", root, "--issuer",
           issuer, "--workflow", workflow]
    for r in refs:
        cmd += ["--allowed-ref", r]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    why = (r.stdout.strip() or r.stderr.strip()).replace("\n", " ")
    if r.returncode == 0:
        return "accept", ""
    # 1: refused (a reason code), 3: not a usable bundle (INPUT_*); anything
    # else (usage, missing file) is no verdict.
    verdict = "reject" if r.returncode in (1, 3) else "error"
    return verdict, "exit %d: %s" % (r.returncode, why[:300])


def node_verdicts(node_dir, root, all_cases, tmp):
    spec = [{"name": str(i), "bundle": c[1], "issuer": c[2], "workflow": c[3],
             "allowed_refs": c[4]} for i, c in enumerate(all_cases)]
    path = os.path.join(tmp, "cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f)
    r = subprocess.run(["node", "verify_bundle.mjs", root, path], cwd=node_dir,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        sys.exit("verify_bundle.mjs failed (%d): %s" % (r.returncode, r.stderr))
    out = {}
    for line in r.stdout.splitlines():
        idx, rest = line.split(" ", 1)
        verdict, _, why = rest.partition(" ")
        out[int(idx)] = (verdict, why)
    return out


def main():
    binary, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    node_dir = os.path.join(src, "tests", "interop", "node")
    if not os.path.exists(os.path.join(node_dir, "node_modules", "@sigstore", "verify")):
        sys.exit("run scripts/install-deps (npm ci in tests/interop/node)")
    data = os.path.join(src, "tests", "testdata", "realworld")
    root = os.path.join(src, "tests", "testdata", "sigstore", "trusted_root.json")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="sr-keyless-interop") as tmp:
        all_cases = cases(data, tmp)
        node = node_verdicts(node_dir, root, all_cases, tmp)
        for i, case in enumerate(all_cases):
            sr, sr_why = strongroom_verdict(binary, root, case)
            nd, nd_why = node[i]
            ok = sr == nd == case[5]
            failed += not ok
            print("%-4s %-45s expected %-6s strongroom %-6s @sigstore/verify %-6s" %
                  ("ok" if ok else "FAIL", case[0][:45], case[5], sr, nd))
            if not ok or os.environ.get("VERBOSE"):
                print("       strongroom: " + (sr_why or "accepted"))
                print("       @sigstore/verify: " + (nd_why or "accepted"))
    print("%d case(s) disagree or differ from the expected verdict" % failed if failed else
          "every case: the same verdict from both verifiers, as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
