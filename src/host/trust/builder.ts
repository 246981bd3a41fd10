import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type LabModel, proxiedHosts, registryAddress } from '../../config/model.js';
import { connectEngine } from '../../engine/connect.js';
import { fromHost } from '../../engine/endpoint.js';
import { errorMessage, firstLine } from '../../util/errors.js';
import { tarOf } from '../../util/tar.js';
import { DOCKER_CERTS_D } from './docker.js';

/**
 * The remote build engine (`runner.docker: remote`) pushes to the lab registry itself, so
 * its daemon must trust the lab CA in its own /etc/docker/certs.d. When lab reaches that
 * engine (with the jobs' client certificate), it puts the CA there through a container
 * that is created and never started: the Engine API copies into a stopped container's
 * mounts too (`PUT /containers/{id}/archive`), so no image needs a shell.
 * https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Container/operation/PutContainerArchive
 */
export interface BuilderTrust {
  status: 'installed' | 'manual';
  location: string;
  detail: string;
  /** What to run on the builder when lab could not do it. */
  commands: string[];
}

const MOUNT = '/lab-certs.d';

export async function trustOnBuilder(model: LabModel, caPem: string, certDir: string, env: NodeJS.ProcessEnv): Promise<BuilderTrust> {
  const remote = model.runner.remote;
  const registry = registryAddress(model);
  const location = `${remote?.hostname ?? 'builder'}:${join(DOCKER_CERTS_D, registry, 'ca.crt')}`;
  const manual = (why: string): BuilderTrust => ({
    status: 'manual',
    location,
    detail: why,
    commands: [
      `sudo mkdir -p ${join(DOCKER_CERTS_D, registry)}`,
      `sudo tee ${join(DOCKER_CERTS_D, registry, 'ca.crt')} < ca.pem   # the lab CA, ${model.paths.tlsCa} here`,
      ...proxiedHosts(model.hosts).map((h) => `echo "<address of the lab's published ports> ${h}" | sudo tee -a /etc/hosts`),
    ],
  });
  if (!remote) return manual('runner.remote.host is not set');
  const files = { ca: join(certDir, 'ca.pem'), cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') };
  if (!Object.values(files).every((f) => existsSync(f))) return manual(`no client certificate in ${certDir} yet (\`lab up\` mints it)`);
  try {
    const engine = await connectEngine(env, {
      endpoint: fromHost(remote.host, undefined, { verify: true, ...files }, 'runner.remote.host'),
      timeoutMs: 3000,
    });
    const images = await engine.docker.listImages();
    const image = images.find((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>'))?.RepoTags?.[0];
    if (!image) return manual(`the engine at ${remote.host} has no image to create a container from`);
    const container = await engine.docker.createContainer({
      Image: image,
      Cmd: ['true'],
      Labels: { 'dev.lab.stack': model.name, 'dev.lab.purpose': 'trust' },
      HostConfig: { Binds: [`${DOCKER_CERTS_D}:${MOUNT}`] },
    });
    try {
      await container.putArchive(tarOf([{ path: `${registry}/ca.crt`, content: caPem, mode: 0o644 }]), { path: MOUNT });
    } finally {
      await container.remove({ force: true });
    }
    return { status: 'installed', location, detail: `the builder's daemon reads it on its next pull or push`, commands: [] };
  } catch (err) {
    return manual(`cannot reach the engine at ${remote.host}: ${firstLine(errorMessage(err))}`);
  }
}
