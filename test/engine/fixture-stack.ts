import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { docker, uniqueStack, type TestStack } from '../helpers/docker.js';

/** The fixture images scripts/fixtures.sh builds; tests need them present (nothing can be pulled). */
export const FIXTURE_IMAGES = {
  traefik: 'lab-fixture/traefik:latest',
  gitlab: 'lab-fixture/gitlab:latest',
  runner: 'lab-fixture/runner:latest',
  node: 'lab-fixture/node:latest',
  busybox: 'lab-fixture/busybox:latest',
} as const;

export async function missingFixtures(): Promise<string[]> {
  const missing: string[] = [];
  for (const image of Object.values(FIXTURE_IMAGES)) {
    const r = await docker(['image', 'inspect', image], { reject: false });
    if (r.exitCode !== 0) missing.push(image);
  }
  return missing;
}

export interface FixtureLab {
  stack: TestStack;
  dir: string;
  /** Rewrites lab.yml with extra GitLab environment (a config change for GitLab only). */
  write(extraEnv?: Record<string, string>): Promise<void>;
}

/** A lab folder whose lab.yml points at the fixture images, with a unique name, subnet and ports. */
export async function fixtureLab(tempDir: (prefix: string) => Promise<string>, readyAfterMs: number, prefix = 'e'): Promise<FixtureLab> {
  const stack = await uniqueStack(prefix);
  const dir = await tempDir(`lab-${stack.name}-`);
  const write = async (extraEnv: Record<string, string> = {}) => {
    const env = { FIXTURE_READY_AFTER_MS: String(readyAfterMs), ...extraEnv };
    await writeFile(
      join(dir, 'lab.yml'),
      [
        `name: ${stack.name}`,
        'network:',
        `  subnet: ${stack.subnet}`,
        'ports:',
        `  http: ${stack.ports.http}`,
        `  https: ${stack.ports.https}`,
        `  ssh: ${stack.ports.ssh}`,
        'images:',
        `  traefik: ${FIXTURE_IMAGES.traefik}`,
        `  gitlab: ${FIXTURE_IMAGES.gitlab}`,
        `  runner: ${FIXTURE_IMAGES.runner}`,
        'gitlab:',
        '  environment:',
        ...Object.entries(env).map(([k, v]) => `    ${k}: "${v}"`),
        '',
      ].join('\n'),
    );
  };
  await write();
  return { stack, dir, write };
}

export interface ContainerFacts {
  id: string;
  startedAt: string;
  running: boolean;
  labels: Record<string, string>;
  extraHosts: string[];
}

export async function inspectContainer(name: string): Promise<ContainerFacts | undefined> {
  const r = await docker(['container', 'inspect', name], { reject: false });
  if (r.exitCode !== 0) return undefined;
  const [info] = JSON.parse(r.stdout) as {
    Id: string;
    State: { StartedAt: string; Running: boolean };
    Config: { Labels: Record<string, string> | null };
    HostConfig: { ExtraHosts: string[] | null };
  }[];
  if (!info) return undefined;
  return { id: info.Id, startedAt: info.State.StartedAt, running: info.State.Running, labels: info.Config.Labels ?? {}, extraHosts: info.HostConfig.ExtraHosts ?? [] };
}

export async function exists(kind: 'container' | 'network' | 'volume', name: string): Promise<boolean> {
  return (await docker([kind, 'inspect', name], { reject: false })).exitCode === 0;
}

/** Removes everything carrying the stack's label, whatever state a failed test left behind. */
export async function purgeStack(name: string): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=dev.lab.stack=${name}`], { reject: false })).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids], { reject: false });
  const nets = (await docker(['network', 'ls', '-q', '--filter', `label=dev.lab.stack=${name}`], { reject: false })).stdout.split('\n').filter(Boolean);
  if (nets.length > 0) await docker(['network', 'rm', ...nets], { reject: false });
  const vols = (await docker(['volume', 'ls', '-q', '--filter', `label=dev.lab.stack=${name}`], { reject: false })).stdout.split('\n').filter(Boolean);
  if (vols.length > 0) await docker(['volume', 'rm', '-f', ...vols], { reject: false });
}
