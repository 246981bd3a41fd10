import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createOutput } from '../../src/cli/output.js';
import { listrReporter } from '../../src/cli/progress/listr.js';
import { plainReporter } from '../../src/cli/progress/plain.js';
import { runTasks } from '../../src/progress/tasks.js';
import { sleep } from '../../src/util/time.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const out = createOutput({
    stdout: stream as unknown as NodeJS.WriteStream,
    stderr: stream as unknown as NodeJS.WriteStream,
    color: false,
    env: {},
  });
  return { out, text: () => text };
}

describe('plain progress (pipes, CI)', () => {
  it('prints one timestamped line per start, end and skip, with the full title path and the note', async () => {
    const { out, text } = capture();
    await runTasks(
      [
        { title: 'Containers', children: [{ title: 'gitlab: create', run: async () => 'created' }] },
        { title: 'Runner', skip: 'skipped (--skip-runner)' },
      ],
      plainReporter(out),
    );
    const lines = text().trim().split('\n');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d start Containers › gitlab: create$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d done {2}Containers › gitlab: create: created \(\d+\.\ds\)$/);
    expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d skip {2}Runner: skipped \(--skip-runner\)$/);
  });

  it('keeps every logged step but throttles live detail, and names only the task that failed', async () => {
    const { out, text } = capture();
    await expect(
      runTasks(
        [
          {
            title: 'pair',
            concurrent: true,
            children: [
              {
                title: 'chatty',
                run: async (t) => {
                  for (let i = 0; i < 20; i++) t.output(`tick ${i}`);
                  t.log('step one');
                  t.log('step two');
                  await sleep(5000, t.signal);
                  throw Object.assign(new Error('aborted'), { name: 'AbortError' });
                },
              },
              {
                title: 'broken',
                run: async () => {
                  await sleep(20);
                  throw new Error('boom');
                },
              },
            ],
          },
        ],
        plainReporter(out),
      ),
    ).rejects.toThrow('boom');
    const all = text();
    expect(all.match(/tick/g)).toHaveLength(1);
    expect(all).toContain('pair › chatty: step one');
    expect(all).toContain('pair › chatty: step two');
    expect(all).toMatch(/fail {2}pair › broken/);
    expect(all).not.toMatch(/fail {2}pair › chatty/);
  });
});

describe('listr2 progress (terminals)', () => {
  it('mirrors the task tree to the end, a success and a failure alike, without waiting on tasks that never ran', async () => {
    const { out } = capture();
    await runTasks(
      [
        {
          title: 'first',
          run: async (t) => {
            t.output('working');
            return 'done';
          },
        },
        {
          title: 'group',
          concurrent: true,
          children: [
            { title: 'a', run: async () => undefined },
            { title: 'b', skip: 'not needed' },
          ],
        },
      ],
      listrReporter(out),
    );
    const failing = runTasks(
      [
        { title: 'breaks', run: async () => Promise.reject(new Error('broken')) },
        { title: 'never', run: async () => 'ran' },
      ],
      listrReporter(out),
    );
    await expect(failing).rejects.toThrow('broken');
  });
});
