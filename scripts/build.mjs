// Builds dist/ for the `lab` bin. TypeScript is type-checked by `tsc` (npm run typecheck);
// this bundles with esbuild because a CLI's start-up is dominated by loading modules:
// one file per command (code-split) instead of ~150 small ones takes a third off every
// invocation (see bench/version.ts and bench/certs.ts).

import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
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
});
