/**
 * Money is never a float. Prices are USD per million tokens with up to 6 decimals, held as
 * integer micro-USD per million tokens. A cost is tokens × that, which is exactly an integer
 * number of pico-USD (1e-12 USD). Costs are stored as NUMERIC(24,12), so every sum in SQL is exact;
 * rounding to cents happens once, where a person sees the amount.
 */
export const PRICE_SCALE = 6;
export const COST_SCALE = 12;

const DECIMAL_RE = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Parse a decimal string into an integer at the given scale; throws on more digits than the scale. */
export function parseDecimal(value: string, scale: number): bigint {
  const m = DECIMAL_RE.exec(value.trim());
  if (!m) throw new RangeError(`not a decimal number: ${JSON.stringify(value)}`);
  const [, sign, whole = "0", frac = ""] = m;
  const trimmed = frac.replace(/0+$/, "");
  if (trimmed.length > scale) throw new RangeError(`${value} has more than ${scale} decimal places`);
  const digits = BigInt(whole + trimmed.padEnd(scale, "0"));
  return sign ? -digits : digits;
}

/** Format an integer at the given scale as a plain decimal string, trailing zeros trimmed ("0.00015"). */
export function formatDecimal(units: bigint, scale: number, minFraction = 0): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const s = abs.toString().padStart(scale + 1, "0");
  const whole = s.slice(0, s.length - scale);
  let frac = s.slice(s.length - scale).replace(/0+$/, "");
  if (frac.length < minFraction) frac = frac.padEnd(minFraction, "0");
  return `${negative ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

export interface TokenPrices {
  /** micro-USD per million tokens */
  inputPerMtok: bigint;
  outputPerMtok: bigint;
  cachedInputPerMtok: bigint;
}

export interface TokenCounts {
  /** all input tokens, cached ones included */
  inputTokens: number;
  outputTokens: number;
  /** the part of inputTokens served from the provider's prompt cache */
  cachedInputTokens: number;
}

/** Exact cost in pico-USD. Cached input tokens are billed at the cached price, the rest at the input price. */
export function costPicoUsd(tokens: TokenCounts, prices: TokenPrices): bigint {
  const cached = BigInt(Math.min(tokens.cachedInputTokens, tokens.inputTokens));
  const uncached = BigInt(tokens.inputTokens) - cached;
  return (
    uncached * prices.inputPerMtok +
    cached * prices.cachedInputPerMtok +
    BigInt(tokens.outputTokens) * prices.outputPerMtok
  );
}

export const formatCost = (pico: bigint): string => formatDecimal(pico, COST_SCALE);
export const parseCost = (value: string): bigint => parseDecimal(value, COST_SCALE);
export const parsePrice = (value: string): bigint => parseDecimal(value, PRICE_SCALE);
export const formatPrice = (micro: bigint): string => formatDecimal(micro, PRICE_SCALE);

/** Round half-up to whole cents, for display and invoices only. */
export function roundToCents(pico: bigint): string {
  const perCent = 10n ** BigInt(COST_SCALE - 2);
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const cents = (abs + perCent / 2n) / perCent;
  return formatDecimal(negative ? -cents : cents, 2, 2);
}
