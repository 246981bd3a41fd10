import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connectEngine } from '../../engine/connect.js';
import { fromHost } from '../../engine/endpoint.js';
import { socketDaemonFindings } from '../../host/daemon-prerequisites.js';
import { loadLabCa } from '../../host/trust/lab-ca.js';
import { builderCertDir } from '../../services/runner/build-strategy.js';
import { errorMessage, firstLine } from '../../util/errors.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

/**
 * Whether jobs can build and push images with the lab's strategy (`runner.docker`):
 * socket, the engine host's daemon resolves and trusts the lab registry; dind, nothing on
 * the host to check; remote, the build engine answers over TLS with the client
 * certificate jobs use, and refuses a client without one.
 */
export const buildCheck: DoctorCheck = {
  id: 'runner.build',
  title: 'image builds in jobs',
  timeoutMs: 8000,
  async run(ctx) {
    switch (ctx.model.runner.docker) {
      case 'socket':
        return socket(ctx);
      case 'dind':
        return {
          status: 'ok',
          detail:
            'dind: each job gets a docker:dind service (only dind images may run privileged) with DOCKER_HOST=tcp://docker:2376 and TLS',
        };
      case 'remote':
        return remote(ctx);
    }
  },
};

async function socket(ctx: DoctorContext): Promise<CheckOutcome> {
  const ca = await loadLabCa(ctx.model);
  const findings = await socketDaemonFindings({ model: ctx.model, endpoint: await ctx.endpoint(), caDer: ca.der, lab: ctx.lab });
  const open = findings.filter((f) => f.status !== 'ok');
  const prefix = "socket: jobs build and push through the engine host's daemon";
  if (open.length === 0) return { status: 'ok', detail: `${prefix}; it resolves the lab hosts and trusts the lab CA` };
  return {
    status: 'warn',
    detail: `${prefix}; ${open.map((f) => f.detail).join('; ')}`,
    fix: open
      .map((f) => f.fix)
      .filter(Boolean)
      .join(', then '),
  };
}

async function remote(ctx: DoctorContext): Promise<CheckOutcome> {
  const builder = ctx.model.runner.remote;
  const dir = builderCertDir(ctx.model);
  if (!builder || !dir)
    return {
      status: 'fail',
      detail: 'runner.docker is "remote" but runner.remote.host is not set',
      fix: 'Set runner.remote.host in lab.yml.',
    };
  const missing = ['ca.pem', 'cert.pem', 'key.pem'].filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    return {
      status: 'fail',
      detail: `the client certificate for ${builder.host} is incomplete in ${dir} (missing ${missing.join(', ')})`,
      fix: `Run \`${ctx.lab('up')}\`, which mints it, or fix runner.remote.certPath.`,
    };
  }
  const tls = { verify: true, ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  try {
    await connectEngine(ctx.env, { endpoint: fromHost(builder.host, undefined, tls, 'runner.remote.host'), timeoutMs: 3000 });
  } catch (err) {
    return {
      status: 'fail',
      detail: `remote: the build engine ${builder.host} does not answer with the jobs' client certificate: ${firstLine(errorMessage(err))}`,
      fix: `Start its dockerd with the flags \`${ctx.lab(`certs --builder ${builder.hostname}`)}\` prints, and make ${builder.hostname} resolve here and in jobs (runner.remote.address).`,
    };
  }
  const anonymous = await connectEngine(ctx.env, {
    endpoint: fromHost(builder.host, undefined, { ...tls, cert: undefined, key: undefined }, 'runner.remote.host'),
    timeoutMs: 3000,
  }).then(
    () => true,
    () => false,
  );
  if (anonymous) {
    return {
      status: 'fail',
      detail: `remote: ${builder.host} answers clients without a certificate: anyone who reaches it controls it`,
      fix: 'Run its dockerd with --tlsverify and the lab CA as --tlscacert.',
    };
  }
  return { status: 'ok', detail: `remote: ${builder.host} answers jobs' client certificate and refuses clients without one` };
}
