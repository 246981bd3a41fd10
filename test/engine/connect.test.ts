import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLab } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** A TCP port that accepts connections and never says a word: a hung engine. */
let silent: Server;
const sockets: Socket[] = [];
let silentPort = 0;

beforeAll(async () => {
  silent = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const addr = silent.address();
  silentPort = typeof addr === 'object' && addr ? addr.port : 0;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

async function labDir(): Promise<string> {
  const dir = await tempDir('lab-connect-');
  await writeFile(join(dir, 'lab.yml'), 'name: unreachable\n');
  return dir;
}

describe('an unreachable engine', () => {
  it('fails with one line and a hint when the socket does not exist (exit 1)', async () => {
    const dir = await labDir();
    const started = Date.now();
    const r = await runLab(['status'], { cwd: dir, env: { DOCKER_HOST: `unix://${join(dir, 'no-such.sock')}` } });
    const took = Date.now() - started;
    expect(r.exitCode).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`lab: error: no Docker engine at unix://${join(dir, 'no-such.sock')}: the socket does not exist`);
    expect(lines[1]).toMatch(/^hint: Start Docker/);
    // The check itself is bounded at 2 s; the rest is node start-up on a busy machine. A hang would take minutes.
    expect(took).toBeLessThan(2000 + 8000);
  });

  it('gives up after 2 s when the engine accepts but never answers', async () => {
    const dir = await labDir();
    const started = Date.now();
    const r = await runLab(['up', '--dry-run'], { cwd: dir, env: { DOCKER_HOST: `tcp://127.0.0.1:${silentPort}` } });
    const took = Date.now() - started;
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`lab: error: the Docker engine at tcp://127.0.0.1:${silentPort} did not answer within 2 s`);
    expect(r.stderr).toMatch(/\nhint: /);
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(2000 + 8000);
  });

  it('resolves the current Docker context from DOCKER_CONFIG and names it in the error', async () => {
    const dir = await labDir();
    const cfg = await tempDir('lab-dockercfg-');
    const { contextId } = await import('../../src/engine/endpoint.js');
    const { mkdir } = await import('node:fs/promises');
    const meta = join(cfg, 'contexts', 'meta', contextId('broken'));
    await mkdir(meta, { recursive: true });
    await writeFile(
      join(meta, 'meta.json'),
      JSON.stringify({ Name: 'broken', Endpoints: { docker: { Host: `unix://${join(cfg, 'gone.sock')}` } } }),
    );
    await writeFile(join(cfg, 'config.json'), JSON.stringify({ currentContext: 'broken' }));
    const r = await runLab(['status'], { cwd: dir, env: { DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined, DOCKER_CONFIG: cfg } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`no Docker engine at unix://${join(cfg, 'gone.sock')} (context "broken")`);
  });
});
