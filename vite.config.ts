import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is a static page: Electron loads it from file://, the browser host serves it.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
  },
});
