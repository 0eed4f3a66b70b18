#!/usr/bin/env python3
"""The documentation runs as written (issue 15).

Runs every ```sh block of README.md, ceremonies/README.md and
docs/auditor-guide.md, in order, one document at a time, each document in a
fresh temporary directory with its own station. A block fails the test when
any of its commands fails (bash -e -o pipefail), so a documented command that
stops working fails the build.

What the test prepares, as scripts/demo.sh does, before a document's first
block runs (the documents say these come from outside the station):
  - `strongroom` on PATH: the binary under test (--binary);
  - scripts/ -> the source tree's scripts/ (scripts/dsse-sign-openssl);
  - PIN files, mode 0600: /run/pins/{release-so,release,log-so,log};
  - key pairs of governance (g1 g2 g3), approvers (alice bob carol), the CI
    builder and the test lab: NAME.pem (private) and NAME.pub (public),
    ECDSA P-256 (any key type the policy accepts would do);
  - fw.bin, and the unsigned in-toto statements about it: provenance.json
    (SLSA provenance by the builder the README's policy trusts) and
    tests-reference.json (rollback and recovery passed, reference
    configuration);
  - for ceremonies/README.md, what the release engineer brings: the
    approval (signed by alice and bob) and the DSSE envelopes of the two
    statements, approval.dsse.json, provenance.dsse.json and
    tests-reference.dsse.json; and, as a checkout of the repository has
    them, ceremonies/ -> the source tree's ceremonies/ (the shipped
    definitions) and people/ -> tests/testdata/ceremonies/people/ (the test
    keys of the people those definitions name);
  - vkey.txt, my-old.checkpoint: only for docs/auditor-guide.md, which audits
    a log made by a short ceremony (station, key, policy, signing) run here.

Paths in the blocks that stand for places on the station are mapped into
the temporary directory by plain text replacement (MAPPINGS below):
/media/station, /media/out and /run/pins/.

A block preceded by `<!-- docs-test: skip (reason) -->` is not run; the test
prints the reason. Other fences (```, ```json, ...) are not commands.

Usage: run_docs.py --binary build/cli/strongroom --source . [DOC...]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

DOCS = ["README.md", "ceremonies/README.md", "docs/auditor-guide.md"]

# Placeholder -> path under the document's temporary directory.
MAPPINGS = [
    ("/media/station", "station"),
    ("/media/out", "media-out"),
    ("/run/pins/", "pins/"),
]

BUILDER_ID = "https://ci.example.com/builders/firmware@v3"
BUILD_TYPE = "https://ci.example.com/buildtypes/firmware/v1"
REPO = "https://git.example.com/ic22/firmware"

SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*\((.*?)\)\s*-->")


def blocks(text):
    """(line, skip_reason or None, body) of each ```sh block, in order."""
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            start = i + 1
            j = start
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            reason = None
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            if k >= 0:
                m = SKIP.search(lines[k])
                if m:
                    reason = m.group(1)
            out.append((start, reason, "\n".join(lines[start:j]) + "\n"))
            i = j + 1
        else:
            i += 1
    return out


def sh(cmd, cwd, env):
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", cmd], cwd=cwd, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError("fixture command failed (%d): %s\n%s" % (r.returncode, cmd, r.stdout))
    return r.stdout


def prepare(work, src, env, auditor, media):
    os.symlink(os.path.join(os.path.abspath(src), "scripts"), os.path.join(work, "scripts"))
    pins = os.path.join(work, "pins")
    os.mkdir(pins, 0o700)
    for name in ["release-so", "release", "log-so", "log"]:
        fd = os.open(os.path.join(pins, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, ("docs-test-pin-%s\n" % name).encode())
        os.close(fd)
    for k in ["g1", "g2", "g3", "alice", "bob", "carol", "builder", "lab"]:
        sh("(umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s.pem)"
           " 2>/dev/null && openssl pkey -in %s.pem -pubout -out %s.pub" % (k, k, k), work, env)
    sh("head -c 65536 /dev/urandom > fw.bin", work, env)
    sha = sh("sha256sum fw.bin | cut -d' ' -f1", work, env).strip()
    subject = '[{"name":"fw.bin","digest":{"sha256":"%s"}}]' % sha
    with open(os.path.join(work, "provenance.json"), "w") as f:
        f.write('{"_type":"https://in-toto.io/Statement/v1","subject":%s,'
                '"predicateType":"https://slsa.dev/provenance/v1",'
                '"predicate":{"buildDefinition":{"buildType":"%s",'
                '"externalParameters":{"workflow":{"repository":"%s","ref":"refs/tags/v5.4.3",'
                '"path":".ci/firmware.yml"}},'
                '"resolvedDependencies":[{"uri":"git+%s@refs/tags/v5.4.3",'
                '"digest":{"gitCommit":"8f70009fde0c94ade6ce2a054b94718c819126ec"}}]},'
                '"runDetails":{"builder":{"id":"%s"},"metadata":{"invocationId":"run-1"}}}}\n'
                % (subject, BUILD_TYPE, REPO, REPO, BUILDER_ID))
    with open(os.path.join(work, "tests-reference.json"), "w") as f:
        f.write('{"_type":"https://in-toto.io/Statement/v1","subject":%s,'
                '"predicateType":"https://in-toto.io/attestation/test-result/v0.1",'
                '"predicate":{"result":"PASSED","configuration":[{"name":"reference",'
                '"uri":"https://lab.example.com/configs/reference"}],'
                '"url":"https://lab.example.com/runs/1","passedTests":["rollback","recovery"],'
                '"failedTests":[]}}\n' % subject)
    if media:
        os.symlink(os.path.join(os.path.abspath(src), "ceremonies"),
                   os.path.join(work, "ceremonies"))
        os.symlink(os.path.join(os.path.abspath(src), "tests", "testdata", "ceremonies", "people"),
                   os.path.join(work, "people"))
        # What the release engineer brings (ceremonies/README.md, section 3),
        # made as the README's ceremony makes it.
        sh("strongroom approve create --product IC-22 --version 5.4.3 --artifact fw.bin --cohort A"
           " --configuration reference"
           " --exclusion 'regional;recovery test pending;stays on 5.4.2;2026-12-15'"
           " --required-evidence rollback --required-evidence recovery --out approval.dsse.json"
           " && strongroom approve sign --key alice.pem --in approval.dsse.json"
           " && strongroom approve sign --key bob.pem --in approval.dsse.json", work, env)
        sh("scripts/dsse-sign-openssl application/vnd.in-toto+json provenance.json builder.pem"
           " provenance.dsse.json && scripts/dsse-sign-openssl application/vnd.in-toto+json"
           " tests-reference.json lab.pem tests-reference.dsse.json", work, env)
    if auditor:
        # A station whose log the guide audits: the README's ceremony, run
        # here; ./log is a copy of its log, vkey.txt its verifier key (kept
        # at initialization), my-old.checkpoint the checkpoint after policy
        # installation (an auditor's earlier visit).
        readme = open(os.path.join(src, "README.md")).read()
        ceremony = [b for (_, r, b) in blocks(readme) if r is None and "station init" in b]
        if not ceremony:
            raise RuntimeError("README.md has no runnable ceremony block for the auditor guide")
        sh(apply_mappings(ceremony[0], work), work, env)
        sh("cp log.vkey vkey.txt && cp -r station/log ./log", work, env)
        # The signing is the last event; the checkpoint before it is not kept
        # by the station, so the auditor's "older checkpoint" is the current
        # one from before a further event (a second signing attempt, refused).
        sh("cp station/log/checkpoint my-old.checkpoint", work, env)
        sh("strongroom sign --station station --product IC-22 --version 5.4.3 --artifact fw.bin"
           " --approval approval.json --provenance provenance.dsse.json"
           " --evidence tests-reference.dsse.json --key ic22-release --out again"
           " --pin-source file:pins/release --log-pin-source file:pins/log >/dev/null 2>&1"
           " && exit 1; rm -rf log && cp -r station/log ./log", work, env)


def apply_mappings(body, work):
    for placeholder, sub in MAPPINGS:
        body = body.replace(placeholder, os.path.join(work, sub))
    return body


def run_doc(doc, src, binary):
    text = open(os.path.join(src, doc)).read()
    work = tempfile.mkdtemp(prefix="sr-docs-")
    env = dict(os.environ)
    env.pop("SOFTHSM2_CONF", None)  # each station has its own embedded configuration
    bindir = os.path.join(work, ".bin")
    os.mkdir(bindir)
    os.symlink(os.path.abspath(binary), os.path.join(bindir, "strongroom"))
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    failures = 0
    try:
        prepare(work, src, env, doc == "docs/auditor-guide.md", doc == "ceremonies/README.md")
        for line, reason, body in blocks(text):
            where = "%s:%d" % (doc, line)
            if reason is not None:
                print("SKIP %s (%s)" % (where, reason))
                continue
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", apply_mappings(body, work)],
                               cwd=work, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                failures += 1
                print("FAIL %s (exit %d)\n--- block:\n%s--- output:\n%s" %
                      (where, r.returncode, body, r.stdout))
                break  # later blocks build on this one
            print("ok   %s" % where)
    finally:
        if os.environ.get("DOCS_TEST_KEEP") == "1":
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("docs", nargs="*", default=DOCS)
    a = ap.parse_args()
    failures = 0
    for doc in a.docs:
        n = len([b for b in blocks(open(os.path.join(a.source, doc)).read())])
        if n == 0:
            print("FAIL %s: no ```sh block (the test would check nothing)" % doc)
            failures += 1
            continue
        failures += run_doc(doc, a.source, a.binary)
    print("docs test: %s" % ("FAILED" if failures else "all blocks ran"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
