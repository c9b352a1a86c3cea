import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  apiKeyDisplayPrefix,
  createSecretBox,
  generateApiKey,
  hashPassword,
  isWellFormedApiKey,
  parseMasterKey,
  secretHint,
  verifyPassword,
} from "./crypto.ts";

describe("API keys", () => {
  it("have the lk_ format with a checksum that catches any single-character change", () => {
    const key = generateApiKey();
    expect(key).toMatch(/^lk_[0-9A-Za-z]{38}$/);
    expect(isWellFormedApiKey(key)).toBe(true);
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: key.length - 1 }),
        fc.constantFrom(..."0123456789abcXYZ"),
        (i, ch) => {
          fc.pre(key[i] !== ch);
          expect(isWellFormedApiKey(key.slice(0, i) + ch + key.slice(i + 1))).toBe(false);
        },
      ),
    );
    expect(isWellFormedApiKey(`${key}x`)).toBe(false);
    expect(isWellFormedApiKey("sk-123")).toBe(false);
  });

  it("are unique and only show a short prefix", () => {
    const keys = new Set(Array.from({ length: 200 }, generateApiKey));
    expect(keys.size).toBe(200);
    const k = generateApiKey();
    expect(apiKeyDisplayPrefix(k)).toBe(k.slice(0, 9));
  });
});

describe("secret box (AES-256-GCM)", () => {
  const key = parseMasterKey("11".repeat(32));
  it("round-trips and never contains the plaintext", () => {
    const box = createSecretBox(key);
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (s) => {
        const sealed = box.encrypt(s);
        expect(sealed.startsWith("v1.local.")).toBe(true);
        expect(box.decrypt(sealed)).toBe(s);
      }),
    );
    expect(box.encrypt("sk-secret-value")).not.toContain("sk-secret-value");
  });
  it("rejects tampering and the wrong key", () => {
    const box = createSecretBox(key);
    const sealed = box.encrypt("hello");
    const parts = sealed.split(".");
    const ct = Buffer.from(parts[4] ?? "", "base64url");
    ct[0] = (ct[0] ?? 0) ^ 1;
    parts[4] = ct.toString("base64url");
    expect(() => box.decrypt(parts.join("."))).toThrow();
    expect(() => createSecretBox(parseMasterKey("22".repeat(32))).decrypt(sealed)).toThrow();
  });
  it("accepts hex or base64 master keys of 32 bytes only", () => {
    expect(parseMasterKey(Buffer.alloc(32, 7).toString("base64")).length).toBe(32);
    expect(() => parseMasterKey("abcd")).toThrow(/32 bytes/);
  });
  it("shows a masked hint", () => {
    expect(secretHint("sk-proj-abcdefghijklmnop")).toBe("sk-…mnop");
    expect(secretHint("short")).toBe("…t");
    expect(secretHint("none")).not.toContain("none");
    expect(secretHint("short-abcd")).toBe("…abcd");
  });
});

describe("passwords", () => {
  it("hash with scrypt and verify", async () => {
    const h = await hashPassword("pa55word!");
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword("pa55word!", h)).toBe(true);
    expect(await verifyPassword("pa55word?", h)).toBe(false);
    expect(await verifyPassword("x", "garbage")).toBe(false);
  });
});
