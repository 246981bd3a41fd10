import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { desiredSeed } from '../../src/seed/desired.js';
import { parseWorkshop } from '../../src/seed/parse.js';
import { builtinWorkshopText } from '../../src/seed/templates.js';
import { docker, requireDocker } from '../helpers/docker.js';
import { tempDir } from '../helpers/tmp.js';

// The rendered Go templates compile, pass their tests and serve their page, with the Go of
// the job image (`golang:1.24-bookworm`, here Debian's Go from lab-fixture/golang) and no
// network: go.work makes sendbox use the mail module next to it, as on a teacher's laptop.
const GOLANG = 'golang:1.24-bookworm';
const ready = (await requireDocker()) && (await docker(['image', 'inspect', GOLANG], { reject: false })).exitCode === 0;
if (!ready && process.env.LAB_REQUIRE_DOCKER === '1')
  throw new Error(`LAB_REQUIRE_DOCKER=1 but ${GOLANG} is missing (scripts/fixtures.sh builds it)`);

describe.runIf(ready)('the Go templates, built with the job image', () => {
  it('mail and sendbox pass their tests and build; sendbox serves the greeting with its hostname', async () => {
    const w = parseWorkshop(await builtinWorkshopText(), 'built-in workshop');
    const facts = { gitlabHost: 'gitlab.test', registry: 'registry.test', caPem: '' };
    const desired = await desiredSeed(w, facts, { attendees: [], lesson: undefined, attendeesWhere: ['attendees'] });
    const root = await tempDir('lab-seed-go-');
    for (const p of desired.copies[0]?.projects ?? []) {
      for (const [path, text] of Object.entries(p.files)) {
        const file = join(root, p.path.split('/')[1] ?? '', path);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, text);
      }
    }
    const script = [
      'set -e',
      // No network, no proxy: go.work resolves the module; `go test` runs vet's checks too.
      'export GOPROXY=off GOCACHE=/tmp/cache',
      'cd /w/mail && go test ./...',
      'cd /w/sendbox && go test ./...',
      'CGO_ENABLED=0 go build -o /tmp/sendbox .',
      '(PORT=8081 /tmp/sendbox >/tmp/log 2>&1 &)',
      'for i in 1 2 3 4 5 6 7 8 9 10; do curl -fsS http://127.0.0.1:8081/ && exit 0; sleep 0.3; done; cat /tmp/log; exit 1',
    ].join('\n');
    const r = await docker(['run', '--rm', '--network', 'none', '--hostname', 'box-7', '-v', `${root}:/w`, GOLANG, 'sh', '-c', script], {
      reject: false,
    });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('Hello from the mail module, sendbox!');
    expect(r.stdout).toContain('served by box-7');
    expect(r.stdout).toMatch(/background:hsl\(\d+, 65%, 40%\)/);
  }, 900_000);
});
