import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../src/engine/connect.js';
import { type PullProgress, pullImage } from '../../src/engine/pull.js';
import { docker, freePort } from '../helpers/docker.js';
import { FIXTURE_IMAGES, fixtureSuite } from '../helpers/fixture-lab.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Pulls from a real registry: Debian's docker-registry (installed with the fixtures) on
 * 127.0.0.1, which the engine treats as an insecure registry by default. The image has a
 * layer of random bytes of its own, so the engine must really download it.
 */
const REGISTRY = '/usr/bin/docker-registry';
const enabled = (await fixtureSuite()) && existsSync(REGISTRY);

describe.runIf(enabled)('pulling images', () => {
  let registry: ChildProcess;
  let store: string;
  let image: string;
  const helper = `lab-pull-src-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    const dir = await tempDir('lab-registry-');
    store = join(dir, 'store');
    const port = await freePort();
    await writeFile(
      join(dir, 'config.yml'),
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${store}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    registry = spawn(REGISTRY, ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    image = `127.0.0.1:${port}/lab-test/random:1`;
    await docker(['run', '--name', helper, FIXTURE_IMAGES.busybox, 'sh', '-c', 'head -c 2000000 /dev/urandom > /random']);
    await docker(['commit', helper, image]);
    await docker(['push', image]);
    await docker(['rmi', image]);
  }, 120_000);

  afterAll(async () => {
    await docker(['rm', '-f', helper], { reject: false });
    await docker(['rmi', '-f', image], { reject: false });
    registry?.kill();
  });

  it('downloads a missing image with byte progress', async () => {
    const { docker: client } = await connectEngine();
    const events: PullProgress[] = [];
    await pullImage(client, image, (p) => events.push(p));
    const last = events.at(-1);
    expect(last?.total).toBeGreaterThan(1_000_000);
    expect(last?.current).toBe(last?.total);
    expect(events.some((e) => e.current > 0 && e.current < e.total)).toBe(true);
    expect((await docker(['image', 'inspect', image], { reject: false })).exitCode).toBe(0);
  });

  it('fails on an error event inside the pull stream (apocas/dockerode#639)', async () => {
    await docker(['rmi', image]);
    // Corrupt the layer only this image has: the engine reports it mid-stream, after HTTP 200.
    const manifest = (await (
      await fetch(`http://${image.replace('/lab-test/random:1', '')}/v2/lab-test/random/manifests/1`, {
        headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      })
    ).json()) as { layers: { digest: string }[] };
    const digest = manifest.layers.at(-1)?.digest.replace('sha256:', '') ?? '';
    const blob = join(store, 'docker', 'registry', 'v2', 'blobs', 'sha256', digest.slice(0, 2), digest, 'data');
    const size = (await stat(blob)).size;
    expect((await readFile(blob)).length).toBe(size);
    await writeFile(blob, randomBytes(size));
    const { docker: client } = await connectEngine();
    const err = await pullImage(client, image, () => undefined).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`^pulling ${image.replace(/[.]/g, '\\.')} failed: .*${digest}`));
    expect((await docker(['image', 'inspect', image], { reject: false })).exitCode).not.toBe(0);
  });
});
