import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';

export interface ExecOptions {
  /** Extra environment for the command only (e.g. a token for gitlab-rails); never logged. */
  env?: Record<string, string>;
  /** Written to the command's stdin, then closed. */
  stdin?: string;
  user?: string;
  workingDir?: string;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command inside a running container and collects its output (demultiplexed). */
export async function execIn(docker: Dockerode, containerId: string, cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: options.stdin !== undefined,
    Tty: false,
    ...(options.env ? { Env: Object.entries(options.env).map(([k, v]) => `${k}=${v}`) } : {}),
    ...(options.user ? { User: options.user } : {}),
    ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
  const out = new PassThrough();
  const err = new PassThrough();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  out.on('data', (c: Buffer) => stdout.push(c));
  err.on('data', (c: Buffer) => stderr.push(c));
  docker.modem.demuxStream(stream, out, err);
  if (options.stdin !== undefined) {
    stream.write(options.stdin);
    // Half-close so the command sees EOF on stdin while we keep reading its output.
    (stream as unknown as { end: () => void }).end();
  }
  await new Promise<void>((resolve, reject) => {
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            (stream as unknown as { destroy: () => void }).destroy();
            reject(new Error(`\`${cmd[0] ?? ''}\` did not finish within ${options.timeoutMs} ms`));
          }, options.timeoutMs);
    stream.on('end', () => {
      if (timer) clearTimeout(timer);
      resolve();
    });
    stream.on('close', () => {
      if (timer) clearTimeout(timer);
      resolve();
    });
    stream.on('error', (e: Error) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}
