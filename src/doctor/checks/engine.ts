import type { DoctorCheck } from '../types.js';

export const ENGINE_CHECK = 'engine';

/** The engine answers, and which one it is (Docker Engine, Docker Desktop, Podman). */
export const engineCheck: DoctorCheck = {
  id: ENGINE_CHECK,
  title: 'container engine',
  async run(ctx) {
    const facts = await ctx.engine();
    const { endpoint } = facts.engine;
    const where = endpoint.context ? `${endpoint.address} (context "${endpoint.context}")` : endpoint.address;
    const kind = facts.rootless ? `${facts.kind} (rootless)` : facts.kind;
    return { status: 'ok', detail: `${kind} ${facts.version}, API ${facts.apiVersion}, ${facts.operatingSystem}, at ${where}` };
  },
};
