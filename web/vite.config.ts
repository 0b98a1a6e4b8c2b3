import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The build goes where wharfd embeds it (internal/dashboard/assets.go).
export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: '../internal/dashboard/assets/dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
});
