import { randomBytes } from "node:crypto";

/**
 * Prefixed, time-sortable ids (`org_01j…`): 48 bits of milliseconds then 80 random bits,
 * Crockford base32, so ids sort by creation time and read well in logs.
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export const idPrefixes = {
  org: "org",
  user: "usr",
  session: "ses",
  key: "key",
  provider: "prv",
  model: "mdl",
  price: "prc",
  prompt: "pmt",
  version: "pv",
  execution: "exe",
  usage: "use",
  audit: "aud",
  request: "req",
  job: "job",
  dataset: "ds",
  datasetItem: "dsi",
  evaluationRun: "evr",
  evaluationResult: "evres",
  workflow: "wf",
  workflowRun: "wfr",
  stepRun: "wfs",
} as const;

export type IdKind = keyof typeof idPrefixes;

function encode(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function newId(kind: IdKind, now = Date.now()): string {
  const bytes = new Uint8Array(16);
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes.set(randomBytes(10), 6);
  return `${idPrefixes[kind]}_${encode(bytes)}`;
}
