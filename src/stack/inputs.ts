import type { LabModel } from '../config/model.js';
import { readRunnerRecord } from '../gitlab/bootstrap/runner-record.js';
import type { RenderInputs } from '../services/definition.js';
import { readTextOptional } from '../util/fs.js';

/**
 * The few inputs besides the model that rendering needs, read from the lab folder:
 * the runner token (after the bootstrap) and the CA certificate (after `lab certs`).
 * Rendering itself stays pure; this is the one place that reads them.
 */
export async function loadRenderInputs(model: LabModel): Promise<RenderInputs> {
  const [runner, caCert] = await Promise.all([readRunnerRecord(model.paths.runnerRecord), readTextOptional(model.paths.tlsCa)]);
  return { runnerToken: runner?.token, caCert };
}
