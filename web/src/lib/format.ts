/**
 * Display helpers. Money stays a string end to end: the API's cost_usd is an exact decimal and the
 * console never turns it into a float.
 */

const EXACT_DECIMAL = /^-?\d+(\.\d+)?$/;

/** "$0.0000135" — the exact amount as the API gave it. Anything unexpected is shown as is, never guessed. */
export function formatUsd(cost: string | null | undefined): string {
  if (cost === null || cost === undefined || cost === "") return "—";
  return EXACT_DECIMAL.test(cost) ? `$${cost}` : cost;
}

/** True when an exact decimal string is below one cent, compared as text so no float is involved. */
export function isBelowOneCent(cost: string): boolean {
  if (!EXACT_DECIMAL.test(cost) || cost.startsWith("-")) return false;
  const [whole = "", frac = ""] = cost.split(".");
  if (/[1-9]/.test(whole)) return false;
  return !/[1-9]/.test(frac.slice(0, 2)) && /[1-9]/.test(frac);
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatNumber(n: number): string {
  return n.toLocaleString("en-US");
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** "3 minutes ago"; falls back to the date for anything older than a month. */
export function formatRelative(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "never";
  const d = new Date(iso);
  const s = Math.round((now.getTime() - d.getTime()) / 1000);
  if (Number.isNaN(s)) return iso;
  if (s < 0) return formatDateTime(iso);
  if (s < 45) return "just now";
  const units: Array<[number, string]> = [
    [60, "minute"],
    [3600, "hour"],
    [86_400, "day"],
  ];
  for (let i = units.length - 1; i >= 0; i--) {
    const [size, name] = units[i] as [number, string];
    if (s >= size) {
      const n = Math.round(s / size);
      if (name === "day" && n > 30) return formatDateTime(iso);
      return `${n} ${name}${n === 1 ? "" : "s"} ago`;
    }
  }
  return "just now";
}

export function shortId(id: string | null | undefined): string {
  if (!id) return "—";
  const [prefix, rest = ""] = id.split("_", 2);
  return rest.length > 10 ? `${prefix}_…${rest.slice(-6)}` : id;
}
