#!/usr/bin/env node
// An independent DSSE implementation for strongroom's interoperability test:
// PAE from @sigstore/core (dsse.preAuthEncoding), signatures from node:crypto.
//   node dsse.js sign   PRIVATE_KEY.pem PAYLOAD_TYPE PAYLOAD_FILE  -> envelope JSON on stdout
//   node dsse.js verify PUBLIC_KEY.pem  ENVELOPE_FILE              -> exit 0 iff a signature verifies
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { dsse } = require('@sigstore/core');

function digestFor(key) {
  if (key.asymmetricKeyType === 'ed25519') return null;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails.namedCurve === 'secp384r1') return 'sha384';
  return 'sha256';
}

function sign(keyFile, payloadType, payloadFile) {
  const key = crypto.createPrivateKey(fs.readFileSync(keyFile));
  const payload = fs.readFileSync(payloadFile);
  const pae = dsse.preAuthEncoding(payloadType, payload);
  const sig = crypto.sign(digestFor(key), pae, key);
  const env = {
    payloadType,
    payload: payload.toString('base64'),
    signatures: [{ keyid: '', sig: sig.toString('base64') }],
  };
  process.stdout.write(JSON.stringify(env) + '\n');
}

function verify(pubFile, envFile) {
  const key = crypto.createPublicKey(fs.readFileSync(pubFile));
  const env = JSON.parse(fs.readFileSync(envFile, 'utf8'));
  const payload = Buffer.from(env.payload, 'base64');
  const pae = dsse.preAuthEncoding(env.payloadType, payload);
  const ok = env.signatures.some((s) => crypto.verify(digestFor(key), pae, key, Buffer.from(s.sig, 'base64')));
  process.stdout.write(ok ? 'verified\n' : 'NOT verified\n');
  process.exit(ok ? 0 : 1);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'sign' && args.length === 3) sign(...args);
else if (cmd === 'verify' && args.length === 2) verify(...args);
else {
  process.stderr.write('usage: dsse.js sign KEY.pem TYPE PAYLOAD | verify PUB.pem ENVELOPE\n');
  process.exit(2);
}
