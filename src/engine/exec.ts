import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import type { ExecOptions, ExecResult } from '../util/exec-types.js';

export type { ExecOptions, ExecResult } from '../util/exec-types.js';

/** Runs a command inside a running container and collects its output (demultiplexed). */
export async function execIn(docker: Dockerode, containerId: string, cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const withStdin = options.stdin !== undefined;
  const exec = await docker
    .getContainer(containerId)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: withStdin, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: withStdin });
  const out = new PassThrough();
  const err = new PassThrough();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  out.on('data', (c: Buffer) => stdout.push(c));
  err.on('data', (c: Buffer) => stderr.push(c));
  docker.modem.demuxStream(stream, out, err);
  if (options.stdin !== undefined) {
    // Half-close so the command sees EOF on stdin while we keep reading its output.
    stream.end(options.stdin);
  }
  await new Promise<void>((resolve, reject) => {
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stream.destroy();
            reject(new Error(`\`${cmd[0] ?? ''}\` did not finish within ${options.timeoutMs} ms`));
          }, options.timeoutMs);
    const settle = (error?: Error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    stream.on('end', () => settle());
    stream.on('close', () => settle());
    stream.on('error', settle);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}
