import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The web console. `root` is this folder whatever the working directory, so the server's
 * ensureWebBuilt() and `npx vite --config web/vite.config.ts` agree on where things are.
 * In development the API stays on the Lectern server; Vite proxies to it (web/README.md).
 */
const root = fileURLToPath(new URL(".", import.meta.url));
const api = process.env.LECTERN_API_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Hashed file names under assets/: the server caches them for a year and never caches index.html.
    assetsDir: "assets",
    // The CSP forbids inline scripts and styles, so nothing may be inlined as a data: script or <style>.
    assetsInlineLimit: 0,
    sourcemap: false,
    // ECharts (about 540 kB) is its own lazy chunk, loaded only by pages with a chart.
    chunkSizeWarningLimit: 600,
  },
  server: {
    port: 5173,
    strictPort: false,
    proxy: {
      "/api": { target: api, changeOrigin: false },
      "/v1": { target: api, changeOrigin: false },
    },
  },
});
