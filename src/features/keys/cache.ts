/**
 * A short-lived cache of verified API keys, keyed by key hash, so the hot path does no query per request.
 * Revocation invalidates the entry at once on this replica; other replicas see it within the TTL
 * (LECTERN_KEY_CACHE_TTL_MS), which is documented as the bound on revocation lag.
 */
export interface CachedKey {
  keyId: string;
  orgId: string;
  orgTier: "free" | "pro" | "enterprise";
  userId: string | null;
  scopes: string[];
  expiresAt: Date | null;
  lastUsedWrittenAt: number;
}

export class KeyCache {
  private readonly entries = new Map<string, { value: CachedKey; until: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(ttlMs: number, maxEntries = 10_000) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }

  get(hash: string, now: number): CachedKey | undefined {
    const hit = this.entries.get(hash);
    if (!hit) return undefined;
    if (hit.until <= now) {
      this.entries.delete(hash);
      return undefined;
    }
    return hit.value;
  }

  set(hash: string, value: CachedKey, now: number): void {
    if (this.ttlMs === 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(hash, { value, until: now + this.ttlMs });
  }

  invalidateKeyId(keyId: string): void {
    for (const [hash, entry] of this.entries) if (entry.value.keyId === keyId) this.entries.delete(hash);
  }

  invalidateOrg(orgId: string): void {
    for (const [hash, entry] of this.entries) if (entry.value.orgId === orgId) this.entries.delete(hash);
  }
}
