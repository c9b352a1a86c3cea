import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, configVariables, loadConfig } from "./config.ts";

describe("config", () => {
  it("defaults to embedded mode on 127.0.0.1:8080 with the mock provider", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 8080,
      HOST: "127.0.0.1",
      mode: "embedded",
      mockProvider: true,
      LECTERN_DATA_DIR: "./.lectern",
    });
  });

  it("switches to distributed mode with DATABASE_URL and then requires the master key", () => {
    expect(() => loadConfig({ DATABASE_URL: "postgres://x@localhost/db" })).toThrow(/LECTERN_MASTER_KEY/);
    const c = loadConfig({ DATABASE_URL: "postgres://x@localhost/db", LECTERN_MASTER_KEY: "a".repeat(64) });
    expect(c.mode).toBe("distributed");
    expect(c.mockProvider).toBe(false);
  });

  it("lists every bad variable at once", () => {
    try {
      loadConfig({ PORT: "eighty", LOG_LEVEL: "loud", LECTERN_MOCK_PROVIDER: "maybe" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join("\n");
      expect(problems).toMatch(/PORT/);
      expect(problems).toMatch(/LOG_LEVEL/);
      expect(problems).toMatch(/LECTERN_MOCK_PROVIDER/);
    }
  });

  it("treats empty strings as unset", () => {
    expect(loadConfig({ PORT: "", DATABASE_URL: "" }).mode).toBe("embedded");
  });

  it("documents every variable in README.md's configuration table", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    // Table rows may be padded for alignment: compare the first cell, trimmed.
    const documented = new Set(
      readme
        .split("\n")
        .filter((line) => line.startsWith("|"))
        .map((line) => line.split("|")[1]?.trim()),
    );
    for (const name of configVariables)
      expect(documented, `${name} is not in README.md`).toContain(`\`${name}\``);
  });
});
