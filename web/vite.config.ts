import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

// precompress writes each built file's gzip and brotli forms beside it
// (when smaller), at the best ratio: wharfd embeds and serves them as
// they are, so nothing is compressed when the daemon starts or serves.
function precompress(): Plugin {
  let outDir = '';
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return {
    name: 'wharf-precompress',
    apply: 'build',
    configResolved(c) {
      outDir = c.build.outDir;
    },
    closeBundle() {
      for (const f of walk(outDir).filter((f) => /\.(html|js|css|svg|json)$/.test(f))) {
        const body = readFileSync(f);
        const gz = gzipSync(body, { level: 9 });
        const br = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
        if (gz.length < body.length) writeFileSync(f + '.gz', gz);
        if (br.length < body.length) writeFileSync(f + '.br', br);
      }
    },
  };
}

// bootComments drops the comment lines of index.html's inline boot
// script from the built page (they are for its readers, in web/), so
// the first response carries code only. wharfd hashes the script as
// built for its Content-Security-Policy.
function bootComments(): Plugin {
  return {
    name: 'wharf-boot-comments',
    apply: 'build',
    transformIndexHtml: (html) => html.replace(/<script>[\s\S]*?<\/script>/g, (script) => script.replace(/^\s*\/\/.*\n/gm, '')),
  };
}

// The build goes where wharfd embeds it (internal/dashboard/assets.go).
export default defineConfig({
  plugins: [svelte(), bootComments(), precompress()],
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
