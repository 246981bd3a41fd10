import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LabRun, runLab } from '../helpers/cli.js';
import { type FixtureLab, gitlabApi } from '../helpers/fixture-lab.js';

/** lab's admin token file, as the bootstrap writes it, for a token made behind lab's back. */
export async function writeAdminToken(lab: FixtureLab, token: string): Promise<void> {
  const dir = join(lab.dir, '.lab', 'secrets');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'admin-token.json');
  const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  await writeFile(
    file,
    `${JSON.stringify({ token, name: 'lab-admin', scopes: ['api'], expiresAt, state: 'active', createdAt: new Date().toISOString() })}\n`,
  );
  await chmod(file, 0o600);
}

export async function adminToken(lab: FixtureLab): Promise<string> {
  return (JSON.parse(await readFile(join(lab.dir, '.lab', 'secrets', 'admin-token.json'), 'utf8')) as { token: string }).token;
}

export interface SeedJson {
  source: string;
  items: { outcome: string; kind: string; name: string; note?: string }[];
  attendees: { username: string; group: string; url: string }[];
  pipelines?: { project: string; status: string; url: string; image?: string; failure?: { job: string; lines: string[] } }[];
  apiCalls: number;
}

/** `lab seed … --json`, parsed; the run itself for its exit code and stderr. */
export async function seedJson(
  lab: FixtureLab,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ run: LabRun; json: SeedJson }> {
  // `--wait` on a busy machine outlasts runLab's default of 5 minutes.
  const run = await runLab(['--dir', lab.dir, 'seed', ...args, '--json'], { env, timeoutMs: 4 * 3_600_000 });
  let json: SeedJson = { source: '', items: [], attendees: [], apiCalls: 0 };
  try {
    json = JSON.parse(run.stdout) as SeedJson;
  } catch {
    // left empty: the caller's exit code check shows the output
  }
  return { run, json };
}

export const created = (json: SeedJson) => json.items.filter((i) => i.outcome === 'created').map((i) => `${i.kind} ${i.name}`);

/** Every page of a list, as the admin sees it. */
export async function list<T>(lab: FixtureLab, token: string, path: string): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page < 50; page++) {
    const r = await gitlabApi(lab, 'GET', `${path}${path.includes('?') ? '&' : '?'}per_page=100&page=${page}`, { token });
    if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
    const items = r.body as T[];
    out.push(...items);
    if (items.length < 100) break;
  }
  return out;
}

/** What GitLab holds, by name: the thing a re-run must not duplicate. */
export async function inventory(lab: FixtureLab, token: string) {
  const groups = (await list<{ full_path: string }>(lab, token, '/groups?all_available=true')).map((g) => g.full_path).sort();
  const projects = (await list<{ path_with_namespace: string }>(lab, token, '/projects')).map((p) => p.path_with_namespace).sort();
  const users = (await list<{ username: string }>(lab, token, '/users')).map((u) => u.username).sort();
  const variables = (await list<{ key: string }>(lab, token, '/admin/ci/variables')).map((v) => v.key).sort();
  return { groups, projects, users, variables };
}

export const encode = (path: string) => encodeURIComponent(path);

/** The first request of `git clone` over HTTPS (smart HTTP), with Basic credentials: its status. */
export async function gitInfoRefs(lab: FixtureLab, project: string, user: string, password: string): Promise<number> {
  const { request } = await import('node:https');
  const ca = await readFile(join(lab.dir, 'certs', 'ca', 'rootCA.pem'));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: lab.hosts.gitlab,
        port: lab.ports.https,
        path: `/${project}.git/info/refs?service=git-upload-pack`,
        ca,
        agent: false,
        timeout: 10_000,
        headers: { host: lab.hosts.gitlab, authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
