import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

// ---------------------------------------------------------------------------------------------
// Passwords: scrypt (N=2^15, r=8, p=1), encoded as scrypt$N$r$p$salt$hash so parameters can change later.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = encoded.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const actual = await scryptAsync(password, Buffer.from(salt, "base64url"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export const sha256Hex = (value: string): string => createHash("sha256").update(value).digest("hex");

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString("base64url");

// ---------------------------------------------------------------------------------------------
// API keys: `lk_` + 32 base62 chars (~190 random bits) + 6 base62 chars of CRC-32 over the random part.
// The checksum lets a secret scanner recognise a key offline and lets us reject typos without a lookup.
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const API_KEY_PREFIX = "lk_";
const KEY_BODY_LEN = 32;
const KEY_CHECK_LEN = 6;

function base62(bytes: Buffer, length: number): string {
  let n = BigInt(`0x${bytes.toString("hex")}`);
  let out = "";
  while (out.length < length) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, "utf8")) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(body: string): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(body));
  return base62(b, KEY_CHECK_LEN);
}

export function generateApiKey(): string {
  const body = base62(randomBytes(24), KEY_BODY_LEN);
  return `${API_KEY_PREFIX}${body}${checksum(body)}`;
}

/** Offline check of shape and checksum; no database access. */
export function isWellFormedApiKey(key: string): boolean {
  if (
    !key.startsWith(API_KEY_PREFIX) ||
    key.length !== API_KEY_PREFIX.length + KEY_BODY_LEN + KEY_CHECK_LEN
  ) {
    return false;
  }
  const rest = key.slice(API_KEY_PREFIX.length);
  if (!/^[0-9A-Za-z]+$/.test(rest)) return false;
  return checksum(rest.slice(0, KEY_BODY_LEN)) === rest.slice(KEY_BODY_LEN);
}

/** The part of a key shown in lists: enough to recognise it, far too little to use it. */
export const apiKeyDisplayPrefix = (key: string): string => key.slice(0, API_KEY_PREFIX.length + 6);

// ---------------------------------------------------------------------------------------------
// Secrets at rest: AES-256-GCM under the master key. Format: v1.<keyId>.<iv>.<tag>.<ciphertext> (base64url).
// keyId names the wrapping key so that a later rotation (or Vault Transit) can tell old from new.
export interface SecretBox {
  readonly keyId: string;
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
}

export function parseMasterKey(value: string): Buffer {
  const trimmed = value.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : Buffer.from(trimmed, "base64");
  if (buf.length !== 32)
    throw new Error("LECTERN_MASTER_KEY must be 32 bytes, as 64 hex characters or base64");
  return buf;
}

export function createSecretBox(masterKey: Buffer, keyId = "local"): SecretBox {
  if (masterKey.length !== 32) throw new Error("master key must be 32 bytes");
  return {
    keyId,
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", masterKey, iv);
      cipher.setAAD(Buffer.from(keyId));
      const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        "v1",
        keyId,
        iv.toString("base64url"),
        tag.toString("base64url"),
        ct.toString("base64url"),
      ].join(".");
    },
    decrypt(ciphertext) {
      const [v, kid, iv, tag, ct] = ciphertext.split(".");
      if (v !== "v1" || kid === undefined || !iv || !tag || ct === undefined)
        throw new Error("unrecognised ciphertext");
      if (kid !== keyId) throw new Error(`ciphertext was sealed with key ${kid}, not ${keyId}`);
      const decipher = createDecipheriv("aes-256-gcm", masterKey, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(kid));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    },
  };
}

/**
 * "sk-…abcd": enough for a person to tell two credentials apart, never most of the secret. Short secrets
 * (local servers often take "none" or a few characters) show at most one character.
 */
export function secretHint(secret: string): string {
  if (secret.length < 8) return `…${secret.slice(-1)}`;
  if (secret.length < 12) return `…${secret.slice(-4)}`;
  return `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}
