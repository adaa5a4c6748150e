import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Cross-origin isolation: shared memory (SharedArrayBuffer) for the trainer's product helper thread
// (src/model/product-threads). Everything the lab loads is same-origin, so require-corp blocks nothing.
export const CROSS_ORIGIN_ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { host: '127.0.0.1', port: 5173, headers: CROSS_ORIGIN_ISOLATED },
  preview: { host: '127.0.0.1', port: 4173, headers: CROSS_ORIGIN_ISOLATED },
  optimizeDeps: { exclude: ['@jitl/quickjs-wasmfile-release-sync'] },
});
