import type { LabModel } from '../config/model.js';
import { type EngineEndpoint, resolveEndpoint } from '../engine/endpoint.js';
import { shellQuote } from '../host/privilege.js';
import { type EngineFacts, readEngineFacts } from './engine-facts.js';
import type { DoctorContext } from './types.js';

function memo<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}

/**
 * The shared state of one doctor run. The engine is read with its own deadline
 * (independent of whichever check asks first), so a check that times out cannot
 * leave the others waiting on a half-finished connection.
 */
export function doctorContext(model: LabModel, env: NodeJS.ProcessEnv, dir: string): DoctorContext {
  const endpoint = memo<EngineEndpoint>(() => resolveEndpoint(env));
  const engine = memo<EngineFacts>(async () => readEngineFacts(env, await endpoint(), AbortSignal.timeout(4000)));
  return {
    model,
    env,
    lab: (args) => `lab${dir === '.' ? '' : ` --dir ${shellQuote(dir)}`} ${args}`,
    endpoint,
    engine,
  };
}
