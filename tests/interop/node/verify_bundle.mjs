#!/usr/bin/env node
// An independent Sigstore bundle verifier for strongroom's keyless interop
// test (tests/interop/keyless_interop.py): @sigstore/verify, offline. The
// trust material comes from a trusted_root.json file (no TUF fetch, no
// network); the identity policy is the one strongroom's KeylessIdentity
// says: the SAN is WORKFLOW@REF with REF allowed by one of the patterns
// (exact, or a prefix when it ends in "*"), and the issuer extension is exact.
//
//   node verify_bundle.mjs TRUSTED_ROOT.json CASES.json
//
// CASES.json: [{"name", "bundle" (path), "issuer", "workflow", "allowed_refs": [...]}, ...]
// Prints one line per case: "NAME accept" or "NAME reject CODE: MESSAGE".
// Exit 0 when every case was decided (whatever the verdicts), 2 on bad usage.
import fs from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

// The SAN pattern: ^WORKFLOW@(REF1|REF2...)$ with "x*" meaning the prefix x.
function sanPattern(workflow, refs) {
  const alts = refs.map((r) =>
    r.endsWith('*') ? escapeRegex(r.slice(0, -1)) + '.*' : escapeRegex(r));
  return '^' + escapeRegex(workflow) + '@(?:' + alts.join('|') + ')$';
}

function verifyCase(verifier, c) {
  try {
    const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(c.bundle, 'utf8')));
    const entity = toSignedEntity(bundle);
    verifier.verify(entity, {
      subjectAlternativeName: sanPattern(c.workflow, c.allowed_refs),
      extensions: { issuer: c.issuer },
    });
    return 'accept';
  } catch (e) {
    const code = e.code || e.name || 'ERROR';
    return 'reject ' + code + ': ' + String(e.message).replace(/\s+/g, ' ');
  }
}

const [rootFile, casesFile] = process.argv.slice(2);
if (!rootFile || !casesFile) {
  process.stderr.write('usage: verify_bundle.mjs TRUSTED_ROOT.json CASES.json\n');
  process.exit(2);
}
const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootFile, 'utf8')));
const verifier = new Verifier(toTrustMaterial(root));
for (const c of JSON.parse(fs.readFileSync(casesFile, 'utf8')))
  process.stdout.write(c.name + ' ' + verifyCase(verifier, c) + '\n');
