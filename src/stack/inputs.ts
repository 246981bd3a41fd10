import type { LabModel } from '../config/model.js';
import { readRunnerFile } from '../gitlab/runner-file.js';
import { secretFiles } from '../gitlab/secrets.js';
import { readTextOptional } from '../util/fs.js';
import type { RenderInputs } from './render.js';

/**
 * The few inputs besides the model that rendering needs, read from the lab folder:
 * the runner token (after the bootstrap) and the CA certificate (after `lab certs`).
 * Rendering itself stays pure; this is the one place that reads them.
 */
export async function loadRenderInputs(model: LabModel): Promise<RenderInputs> {
  const [runner, caCert] = await Promise.all([readRunnerFile(secretFiles(model.paths)), readTextOptional(model.paths.tlsCa)]);
  return { runnerToken: runner?.token, caCert };
}
