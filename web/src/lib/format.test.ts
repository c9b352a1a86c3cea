import { describe, expect, it } from "vitest";
import { formatMs, formatRelative, formatUsd, isBelowOneCent, shortId } from "./format";

describe("formatUsd", () => {
  it("shows the exact string the API gave, with no rounding", () => {
    expect(formatUsd("0.0000135")).toBe("$0.0000135");
    expect(formatUsd("12.5")).toBe("$12.5");
    expect(formatUsd("0")).toBe("$0");
    expect(formatUsd(null)).toBe("—");
  });

  it("never dresses up something that is not a decimal", () => {
    expect(formatUsd("NaN")).toBe("NaN");
  });
});

describe("isBelowOneCent", () => {
  it("compares as text", () => {
    expect(isBelowOneCent("0.0000135")).toBe(true);
    expect(isBelowOneCent("0.009999999")).toBe(true);
    expect(isBelowOneCent("0.01")).toBe(false);
    expect(isBelowOneCent("1.001")).toBe(false);
    expect(isBelowOneCent("0")).toBe(false);
    expect(isBelowOneCent("0.000")).toBe(false);
  });
});

describe("formatMs", () => {
  it("uses ms below a second and seconds above", () => {
    expect(formatMs(43)).toBe("43 ms");
    expect(formatMs(1234)).toBe("1.23 s");
    expect(formatMs(null)).toBe("—");
  });
});

describe("formatRelative", () => {
  const now = new Date("2026-01-10T12:00:00Z");
  it("says how long ago", () => {
    expect(formatRelative(null, now)).toBe("never");
    expect(formatRelative("2026-01-10T11:59:50Z", now)).toBe("just now");
    expect(formatRelative("2026-01-10T11:57:00Z", now)).toBe("3 minutes ago");
    expect(formatRelative("2026-01-10T11:00:00Z", now)).toBe("1 hour ago");
    expect(formatRelative("2026-01-08T12:00:00Z", now)).toBe("2 days ago");
  });
});

describe("shortId", () => {
  it("keeps the prefix and the tail", () => {
    expect(shortId("exe_06h1d4kvcna145jzdw402s5fm8")).toBe("exe_…2s5fm8");
    expect(shortId("key_short")).toBe("key_short");
  });
});
