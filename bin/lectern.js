#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping); see docs/adr/0002-run-typescript-directly.md.
const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(
    `lectern needs Node.js 24 or later (this is ${process.version}). Run it through npm (npm start, npx lectern), ` +
      "which uses the project's pinned node@24.\n",
  );
  process.exit(1);
}
await import("../src/cli.ts");
