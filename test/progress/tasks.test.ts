import { describe, expect, it } from 'vitest';
import type { ProgressEvent, ProgressReporter } from '../../src/progress/events.js';
import { runTasks, type TaskDef } from '../../src/progress/tasks.js';
import { abortError, sleep } from '../../src/util/time.js';

/** Records every event, as a renderer would receive them. */
function recorder(): ProgressReporter & { events: ProgressEvent[]; of(type: ProgressEvent['type']): ProgressEvent[] } {
  const events: ProgressEvent[] = [];
  return {
    events,
    emit: (e) => events.push(e),
    settled: async () => undefined,
    of: (type) => events.filter((e) => e.type === type),
  };
}

describe('runTasks', () => {
  it('announces the whole tree first, then runs it in order and reports each step', async () => {
    const progress = recorder();
    const order: string[] = [];
    const leaf = (name: string): TaskDef => ({
      title: name,
      run: async (t) => {
        order.push(name);
        t.output(`${name} working`);
        t.log(`${name} kept`);
        return `${name} done`;
      },
    });
    await runTasks([leaf('a'), { title: 'group', children: [leaf('b'), leaf('c')] }, { title: 'skipped', skip: 'not today' }], progress);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(progress.events[0]).toMatchObject({
      type: 'plan',
      tasks: [{ id: '1' }, { id: '2', children: [{ id: '2.1' }, { id: '2.2' }] }, { id: '3', skip: 'not today' }],
    });
    expect(progress.of('done').map((e) => (e.type === 'done' ? [e.id, e.note] : []))).toEqual([
      ['1', 'a done'],
      ['2.1', 'b done'],
      ['2.2', 'c done'],
    ]);
    expect(progress.of('output')).toContainEqual({ type: 'output', id: '2.1', text: 'b working', keep: false });
    expect(progress.of('output')).toContainEqual({ type: 'output', id: '2.1', text: 'b kept', keep: true });
    expect(progress.of('skip')).toEqual([{ type: 'skip', id: '3', reason: 'not today' }]);
    expect(progress.events.at(-1)).toEqual({ type: 'end', ok: true });
  });

  it('runs concurrent children side by side', async () => {
    const progress = recorder();
    let running = 0;
    let most = 0;
    const slow: TaskDef = {
      title: 'slow',
      run: async () => {
        running++;
        most = Math.max(most, running);
        await sleep(50);
        running--;
        return undefined;
      },
    };
    await runTasks([{ title: 'both', concurrent: true, children: [slow, { ...slow }, { ...slow }] }], progress);
    expect(most).toBe(3);
  });

  it('stops every other task at the first failure, waits for them, and rethrows that failure, not an abort', async () => {
    const progress = recorder();
    let stoppedEarly = false;
    let finishedAfterFailure = false;
    const waiter: TaskDef = {
      title: 'waits',
      run: async (t) => {
        await sleep(5000, t.signal);
        if (t.signal.aborted) {
          stoppedEarly = true;
          await sleep(30);
          finishedAfterFailure = true;
          throw abortError();
        }
        return undefined;
      },
    };
    const failing: TaskDef = {
      title: 'fails',
      run: async () => {
        await sleep(20);
        throw new Error('the real cause');
      },
    };
    const after: TaskDef = { title: 'never', run: async () => 'ran' };
    await expect(runTasks([{ title: 'pair', concurrent: true, children: [waiter, failing] }, after], progress)).rejects.toThrow(
      'the real cause',
    );
    expect(stoppedEarly).toBe(true);
    // runTasks returned only after the aborted task had finished.
    expect(finishedAfterFailure).toBe(true);
    expect(progress.of('fail')).toEqual([
      expect.objectContaining({ id: '1.2', aborted: false }),
      expect.objectContaining({ id: '1.1', aborted: true }),
    ]);
    expect(progress.of('start').map((e) => (e.type === 'start' ? e.id : ''))).not.toContain('2');
    expect(progress.events.at(-1)).toEqual({ type: 'end', ok: false });
  });
});
