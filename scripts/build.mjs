// Builds dist/ for the `lab` bin. TypeScript is type-checked by `tsc` (npm run typecheck);
// this bundles with esbuild because a CLI's start-up is dominated by loading modules:
// one file per command (code-split) instead of ~150 small ones takes a third off every
// invocation (see bench/version.ts and bench/certs.ts).

import { readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * `lab seed`'s templates are real files under src/seed/templates/ (for teachers to read and
 * copy). In dist/ they travel inside the bundle: this plugin replaces the module that reads
 * them from disk (src/seed/template-files.ts) with one that holds them as strings.
 */
const embedSeedTemplates = {
  name: 'embed-seed-templates',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]seed[\\/]template-files\.ts$/ }, async () => {
      const dir = join(root, 'src', 'seed', 'templates');
      const files = {};
      const walk = async (at) => {
        for (const entry of await readdir(at, { withFileTypes: true })) {
          const path = join(at, entry.name);
          if (entry.isDirectory()) await walk(path);
          else files[relative(dir, path).split(sep).join('/')] = await readFile(path, 'utf8');
        }
      };
      await walk(dir);
      return {
        contents: `export async function templateFiles() { return ${JSON.stringify(files)}; }`,
        loader: 'js',
        watchFiles: Object.keys(files).map((f) => join(dir, f)),
      };
    });
  },
};
await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/cli',
  chunkNames: '../chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // dockerode pulls in ssh2, whose optional native addons cannot be bundled.
  external: ['dockerode'],
  // Bundled CommonJS dependencies (yaml, commander, node-forge) call require() for
  // Node's built-ins; an ES module has no require of its own.
  banner: { js: "import { createRequire as __labRequire } from 'node:module'; const require = __labRequire(import.meta.url);" },
  logLevel: 'warning',
  plugins: [embedSeedTemplates],
});
