import { readFile, stat } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOutput } from '../../src/cli/output.js';
import { loadLab } from '../../src/config/load.js';
import type { BootstrapContext } from '../../src/gitlab/bootstrap.js';
import { inspectContainer } from '../helpers/docker.js';
import { type FixtureLab, fixtureLab, fixtureSuite } from '../helpers/fixture-lab.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The runner half of `lab up`, through the bootstrap seam: a stand-in bootstrap
 * uses the context the engine hands over (exec in the GitLab container, HTTPS through
 * the proxy) and returns a token; the engine must render it into config.toml and start
 * the runner. The bootstrap is the collaborator replaced here, not the code under test.
 */
const TOKEN = 'glrt-seamtest-0123456789abcdef';
const seen: { exec?: { exitCode: number; stdout: string }; readiness?: number } = {};

vi.mock('../../src/gitlab/bootstrap.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/gitlab/bootstrap.js')>();
  return {
    ...original,
    bootstrap: async (ctx: BootstrapContext) => {
      seen.exec = await ctx.exec(ctx.gitlab.id, ['/usr/local/bin/node', '-e', 'process.stdout.write(String(6 * 7))']);
      const client = await ctx.https();
      seen.readiness = (await client.request({ host: ctx.model.hosts.gitlab, path: '/-/readiness' })).status;
      ctx.report('token created');
      return { runnerToken: TOKEN };
    },
  };
});

const run = await fixtureSuite();

describe.runIf(run)('the runner after the GitLab bootstrap', () => {
  let lab: FixtureLab;
  const captured = new PassThrough();
  let text = '';
  captured.on('data', (c: Buffer) => (text += c.toString()));

  const up = async () => {
    const { upStack } = await import('../../src/engine/up.js');
    const { model } = await loadLab({ dir: lab.dir });
    const out = createOutput({
      stdout: captured as unknown as NodeJS.WriteStream,
      stderr: captured as unknown as NodeJS.WriteStream,
      color: false,
      env: {},
    });
    await upStack(model, { out, env: process.env }, { dryRun: false, pull: 'never', timeoutMs: 60_000, skipRunner: false });
    return model;
  };

  beforeAll(async () => {
    lab = await fixtureLab(tempDir, { prefix: 'r', readyAfterMs: 300 });
  });
  afterAll(async () => {
    await lab.purge();
  });

  it('gives the bootstrap a working exec and HTTPS client, then starts the runner with the token', async () => {
    const model = await up();
    expect(seen.exec).toMatchObject({ exitCode: 0, stdout: '42' });
    expect(seen.readiness).toBe(200);
    const runner = await inspectContainer(`${lab.stack.name}-runner-1`);
    expect(runner?.running).toBe(true);
    expect(runner?.labels['dev.lab.service']).toBe('runner');
    const config = await readFile(model.paths.runnerConfig, 'utf8');
    expect(config).toContain(`token = "${TOKEN}"`);
    expect((await stat(model.paths.runnerConfig)).mode & 0o777).toBe(0o600);
    expect(text).not.toContain(TOKEN);
  });

  it('keeps the runner on the next lab up', async () => {
    const before = await inspectContainer(`${lab.stack.name}-runner-1`);
    await up();
    const after = await inspectContainer(`${lab.stack.name}-runner-1`);
    expect(after?.id).toBe(before?.id);
    expect(after?.startedAt).toBe(before?.startedAt);
  });
});
