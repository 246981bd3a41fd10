import { describe, expect, it } from 'vitest';
import { excerpt, tail } from '../../src/workflows/seed-pipelines.js';

describe('the failure excerpt of a job log', () => {
  it('keeps the last lines, without timestamps, colours and section markers', () => {
    const esc = String.fromCharCode(27);
    const trace = [
      `2026-12-01T17:53:45.929090Z 00O section_start:1764611625:step_script\r${esc}[0K${esc}[32;1m$ go mod tidy${esc}[0;m`,
      '2026-12-01T17:53:49.842345Z 01E go: downloading gitlab.test/modules/mail v0.0.0-20261201175233-808028ed9428',
      '2026-12-01T17:53:50.174583Z 01E \tremote: Authentication by CI/CD job token not allowed from sendbox to mail.',
      '',
      `2026-12-01T17:53:51.000000Z 00O+section_end:1764611631:step_script\r${esc}[0K`,
      `2026-12-01T17:53:51.100000Z 00O ${esc}[31;1mERROR: Job failed: exit code 1${esc}[0;m`,
    ].join('\n');
    expect(tail(trace, 3)).toEqual([
      'go: downloading gitlab.test/modules/mail v0.0.0-20261201175233-808028ed9428',
      '\tremote: Authentication by CI/CD job token not allowed from sendbox to mail.',
      'ERROR: Job failed: exit code 1',
    ]);
    expect(tail(trace, 10)[0]).toBe('$ go mod tidy');
  });

  it('shows the end of the script and the verdict, not the runner cleaning up', () => {
    const trace = [
      '$ docker login',
      'Error response from daemon: no such host',
      '',
      'Cleaning up project directory and file based variables',
      'removed 3 files',
      'ERROR: Job failed: exit code 1',
    ].join('\n');
    expect(excerpt(trace)).toEqual(['$ docker login', 'Error response from daemon: no such host', 'ERROR: Job failed: exit code 1']);
  });
});
