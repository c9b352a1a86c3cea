import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { costPicoUsd, formatCost, formatDecimal, parseDecimal, parsePrice, roundToCents } from "./money.ts";

describe("money", () => {
  it("parses and formats decimals exactly", () => {
    expect(parseDecimal("0.15", 6)).toBe(150000n);
    expect(parseDecimal("12", 6)).toBe(12000000n);
    expect(formatDecimal(150000n, 6)).toBe("0.15");
    expect(formatDecimal(0n, 12)).toBe("0");
    expect(() => parseDecimal("0.1234567", 6)).toThrow(/decimal places/);
    expect(() => parseDecimal("abc", 6)).toThrow(/not a decimal/);
  });

  it("computes cost from per-million prices with no rounding", () => {
    // gpt-4o-mini: $0.15 in, $0.60 out, $0.075 cached, per million tokens
    const prices = {
      inputPerMtok: parsePrice("0.15"),
      outputPerMtok: parsePrice("0.6"),
      cachedInputPerMtok: parsePrice("0.075"),
    };
    const pico = costPicoUsd({ inputTokens: 1234, outputTokens: 567, cachedInputTokens: 200 }, prices);
    // 1034*0.15 + 200*0.075 + 567*0.6 = 155.1 + 15 + 340.2 = 510.3 micro-USD
    expect(formatCost(pico)).toBe("0.0005103");
  });

  it("rounds half-up to cents only for display", () => {
    expect(roundToCents(parseDecimal("0.005", 12))).toBe("0.01");
    expect(roundToCents(parseDecimal("0.0049999", 12))).toBe("0.00");
    expect(roundToCents(parseDecimal("1234.565", 12))).toBe("1234.57");
  });

  it("a sum of stored costs equals the cost of the summed tokens (exact, any volume)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ i: fc.nat(200_000), o: fc.nat(50_000) }), { minLength: 1, maxLength: 200 }),
        fc.nat(100_000_000),
        fc.nat(100_000_000),
        (calls, inMicro, outMicro) => {
          const prices = {
            inputPerMtok: BigInt(inMicro),
            outputPerMtok: BigInt(outMicro),
            cachedInputPerMtok: 0n,
          };
          const each = calls.map((c) =>
            parseDecimal(
              formatCost(costPicoUsd({ inputTokens: c.i, outputTokens: c.o, cachedInputTokens: 0 }, prices)),
              12,
            ),
          );
          const sum = each.reduce((a, b) => a + b, 0n);
          const total = costPicoUsd(
            {
              inputTokens: calls.reduce((a, c) => a + c.i, 0),
              outputTokens: calls.reduce((a, c) => a + c.o, 0),
              cachedInputTokens: 0,
            },
            prices,
          );
          expect(sum).toBe(total);
        },
      ),
    );
  });
});
