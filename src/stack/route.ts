import { type LabModel, proxiedHosts } from '../config/model.js';
import { type LabHttpsClient, type LabRoute, labHttpsClient } from '../net/https.js';
import { LabError } from '../util/errors.js';
import { readOptional } from '../util/fs.js';

/**
 * The route to the lab through the proxy's published HTTPS port, with the lab CA pinned.
 * `publishedHost` is where the engine publishes ports (its endpoint's host): reaching GitLab
 * needs to know where the engine is, not a connection to it.
 */
export async function labRoute(model: LabModel, publishedHost: string): Promise<LabRoute> {
  const ca = (await readOptional(model.paths.tlsCa)) ?? (await readOptional(model.paths.caCert));
  if (ca === undefined) {
    throw new LabError(`the lab CA certificate is missing (${model.paths.tlsCa})`, {
      hint: 'Run `lab certs`, or `lab up`, which creates it.',
    });
  }
  return { publishedHost, port: model.ports.https, hosts: proxiedHosts(model.hosts), ca };
}

export async function labClient(model: LabModel, publishedHost: string): Promise<LabHttpsClient> {
  return labHttpsClient(await labRoute(model, publishedHost));
}
