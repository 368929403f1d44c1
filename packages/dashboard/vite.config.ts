import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/, served by the launcher: all paths are absolute from the site root.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  logLevel: 'warn',
});
