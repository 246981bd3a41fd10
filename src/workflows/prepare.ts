import { ensureBuilderCerts } from '../certs/builder.js';
import { ensureCerts } from '../certs/index.js';
import type { LabModel } from '../config/model.js';
import type { Engine } from '../engine/connect.js';
import { volumeExists } from '../engine/observe.js';
import { prepareSecrets } from '../gitlab/bootstrap/prepare.js';
import { info, type ProgressReporter, warn } from '../progress/events.js';
import { loadRenderInputs } from '../stack/inputs.js';
import { renderStack, writeStack } from '../stack/render.js';

/** Certificates, secrets and rendered files: everything the containers mount, before the plan hashes it. */
export async function prepareFiles(model: LabModel, engine: Engine, progress: ProgressReporter): Promise<void> {
  const certs = await ensureCerts(model);
  info(progress, `certificates: CA ${certs.ca.action}, leaf ${certs.leaf.action}${certs.leaf.reason ? ` (${certs.leaf.reason})` : ''}`);
  for (const note of certs.warnings) warn(progress, `note: ${note}`);
  if (model.runner.docker === 'remote' && model.runner.remote && model.runner.remote.certPath === undefined) {
    // Jobs present this certificate to the remote build engine, which trusts the lab CA.
    const { client } = await ensureBuilderCerts(model, { client: true });
    if (client && client.action !== 'reused') info(progress, `builder client certificate: ${client.action} in ${client.dir}`);
  }
  const gitlabDataExists = await volumeExists(engine.docker, model.volumes.gitlabData);
  for (const note of await prepareSecrets({ model, gitlabDataExists })) warn(progress, `note: ${note}`);
  const written = await writeStack(model, renderStack(model, await loadRenderInputs(model)));
  const changed = written.filter((w) => w.result !== 'unchanged');
  const list = changed.map((w) => `${w.result} ${w.path.replace(`${model.paths.dir}/`, '')}`).join(', ');
  info(progress, `files: ${changed.length === 0 ? 'unchanged' : list}`);
}

/** The files as `lab up` would write them, by absolute path: `--dry-run` plans against these. */
export async function pendingFiles(model: LabModel): Promise<Map<string, string>> {
  return new Map(renderStack(model, await loadRenderInputs(model)).map((f) => [f.path, f.content]));
}
