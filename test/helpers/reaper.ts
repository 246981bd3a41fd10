import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { RUN_LABEL } from './run-label.js';

// Removes what earlier, dead test runs left in the engine. A run is alive while the
// process whose pid starts its run id exists and is a node process; anything labelled
// by a run that is not alive is removed: containers (with their anonymous volumes) first,
// then networks, volumes and images.

type Kind = 'container' | 'network' | 'volume' | 'image';

function alive(run: string): boolean {
  const pid = Number(run.split('.')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}

async function labelled(kind: Kind): Promise<{ id: string; run: string }[]> {
  const list: Record<Kind, string[]> = {
    container: ['ps', '-a'],
    network: ['network', 'ls'],
    volume: ['volume', 'ls'],
    image: ['image', 'ls'],
  };
  const idField = kind === 'volume' ? '{{.Name}}' : '{{.ID}}';
  const r = await execa('docker', [...list[kind], '--filter', `label=${RUN_LABEL}`, '--format', `${idField} {{.Label "${RUN_LABEL}"}}`], {
    reject: false,
  });
  if (r.exitCode !== 0) return [];
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', run = ''] = line.split(' ');
      return { id, run };
    });
}

const REMOVE: Record<Kind, string[]> = {
  container: ['rm', '-f', '-v'],
  network: ['network', 'rm'],
  volume: ['volume', 'rm', '-f'],
  image: ['image', 'rm', '-f'],
};

/** Reaps every resource of a dead run, or of `only` when given (the run that is ending). */
export async function reap(only?: string): Promise<number> {
  let removed = 0;
  for (const kind of ['container', 'network', 'volume', 'image'] as const) {
    const ids = (await labelled(kind)).filter((r) => (only === undefined ? !alive(r.run) : r.run === only)).map((r) => r.id);
    if (ids.length === 0) continue;
    await execa('docker', [...REMOVE[kind], ...ids], { reject: false });
    removed += ids.length;
  }
  return removed;
}
