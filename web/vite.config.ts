// Build: static files in dist/ served by nginx (deploy/nginx). Dev: `npm run dev` proxies the
// APIs to the locally running services, so the same relative /api/<service>/ paths work.
import { defineConfig } from "vite";

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const api = (service: string, p: number) => ({
  target: `http://127.0.0.1:${p}`,
  changeOrigin: false,
  rewrite: (path: string) => path.replace(new RegExp(`^/api/${service}`), ""),
});

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks: { maplibre: ["maplibre-gl"] },
      },
    },
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    fs: { allow: [".", "../services/registry/src/registry/data"] },
    proxy: {
      "/api/registry": api("registry", port("REGISTRY_HTTP_PORT", 8001)),
      "/api/transactions": api("transactions", port("TRANSACTIONS_HTTP_PORT", 8002)),
      "/api/audit": api("audit", port("AUDIT_HTTP_PORT", 8003)),
    },
  },
});
