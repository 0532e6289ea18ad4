import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run build` must be byte-for-byte reproducible: web/dist is committed and
// CI rebuilds it and diffs. Content hashes only, no timestamps, no source maps.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
      '/tag.js': 'http://127.0.0.1:8080',
      '/collect': 'http://127.0.0.1:8080',
    },
  },
});
