import { defineConfig } from 'vitest/config';

// Files named *.serial.test.ts change state of the whole machine (the system trust store,
// /etc/hosts, /etc/docker/certs.d). They run one at a time, after everything else, so
// that no other test ever sees the machine mid-change.
const SERIAL = 'test/**/*.serial.test.ts';

export default defineConfig({
  test: {
    // Integration tests talk to a real engine and build real certificates.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'parallel', include: ['test/**/*.test.ts'], exclude: [SERIAL], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'serial', include: [SERIAL], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
