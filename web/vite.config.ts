import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The build goes to dist/, which the Go package web embeds. The dev server
// proxies the API to a running `skyfly dev` so `npm run dev` works too.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts or styles anywhere: the gateway's CSP forbids them.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: { '/api': process.env.SKYFLY_GATEWAY ?? 'http://127.0.0.1:8080' },
  },
});
