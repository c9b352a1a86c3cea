import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCost, parseCost } from "../../lib/money.ts";
import { perItemCost } from "./service.ts";

describe("perItemCost", () => {
  it("divides exactly, rounding half-up at 1e-12 USD", () => {
    expect(perItemCost(parseCost("0.000013"), 2)).toBe("0.0000065");
    expect(perItemCost(10n, 3)).toBe(formatCost(3n));
    expect(perItemCost(11n, 2)).toBe(formatCost(6n));
    expect(perItemCost(5n, 3)).toBe(formatCost(2n));
    expect(perItemCost(0n, 4)).toBe("0");
    expect(perItemCost(7n, 0)).toBeNull();
  });
  it("property: per item × n is within half a pico-dollar per item of the total", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.integer({ min: 1, max: 100_000 }),
        (total, n) => {
          const each = parseCost(perItemCost(total, n) as string);
          const diff = each * BigInt(n) - total;
          return 2n * (diff < 0n ? -diff : diff) <= BigInt(n);
        },
      ),
    );
  });
});
