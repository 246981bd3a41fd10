import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { parseCidr } from './net.js';

// RFC 1123 labels; a lab host may be a single label (e.g. the domain `test`).
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
// Compose project names: lowercase letters, digits and dashes, starting with a letter or digit.
const STACK_NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// name[:tag][@digest] with an optional registry host; loose on purpose, the engine is the judge.
const IMAGE_REF = /^[a-z0-9]+([._\/:-][a-zA-Z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const RUNNER_TAG = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

const hostname = z.string().regex(HOSTNAME, 'must be a lowercase DNS name such as "gitlab.test"');
const port = z.number().int('must be a whole number').min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535');
const image = z.string().regex(IMAGE_REF, 'must be an image reference such as "traefik:v3.7.13"');

export const labConfigSchema = z.strictObject({
  name: z.string().regex(STACK_NAME, 'must use only a-z, 0-9 and "-", start and end with a letter or digit, at most 40 characters').default(DEFAULTS.name),
  domain: hostname.default(DEFAULTS.domain),
  hosts: z
    .strictObject({
      gitlab: hostname.optional(),
      registry: hostname.optional(),
      traefik: hostname.optional(),
      pages: hostname.optional(),
    })
    .prefault({}),
  network: z
    .strictObject({
      name: z.string().regex(DOCKER_NAME, 'must be a Docker network name (letters, digits, "_", ".", "-")').optional(),
      subnet: z
        .string()
        .refine((s) => parseCidr(s) !== undefined, 'must be an IPv4 CIDR with zero host bits, such as "10.213.47.0/24"')
        .refine((s) => (parseCidr(s)?.prefix ?? 0) <= 29, 'is too small: use a /29 or larger')
        .default(DEFAULTS.subnet),
      proxyIp: z.string().optional(),
    })
    .prefault({}),
  ports: z
    .strictObject({
      http: port.default(DEFAULTS.ports.http),
      https: port.default(DEFAULTS.ports.https),
      ssh: port.default(DEFAULTS.ports.ssh),
    })
    .prefault({}),
  gitlab: z
    .strictObject({
      edition: z.enum(['ce', 'ee'], 'must be "ce" or "ee"').default('ce'),
      profile: z.enum(['small', 'standard'], 'must be "small" or "standard"').default('small'),
      pages: z.boolean().default(false),
      extraConfig: z.union([z.string(), z.array(z.string())], 'must be a string of Ruby lines or a list of them').default(''),
      environment: z.record(z.string().regex(ENV_NAME, 'must be an environment variable name'), z.union([z.string(), z.number(), z.boolean()], 'must be a string, number or boolean')).default({}),
    })
    .prefault({}),
  runner: z
    .strictObject({
      concurrent: z.number().int('must be a whole number').min(1, 'must be at least 1').max(64, 'must be at most 64').default(DEFAULTS.runner.concurrent),
      tags: z.array(z.string().regex(RUNNER_TAG, 'must be a runner tag (letters, digits, "_", ".", ":", "-")')).default([...DEFAULTS.runner.tags]),
      runUntagged: z.boolean().default(true),
      defaultImage: image.default(DEFAULTS.runner.defaultImage),
      docker: z.enum(['socket', 'dind'], 'must be "socket" or "dind"').default('socket'),
      pullPolicy: z.enum(['always', 'if-not-present', 'never'], 'must be "always", "if-not-present" or "never"').default('if-not-present'),
    })
    .prefault({}),
  images: z
    .strictObject({
      traefik: image.optional(),
      gitlab: image.optional(),
      runner: image.optional(),
    })
    .prefault({}),
  certs: z
    .strictObject({
      caroot: z.string().min(1).optional(),
      leafDays: z.number().int('must be a whole number').min(1, 'must be at least 1').max(825, 'must be at most 825 (Apple\'s limit for TLS server certificates)').default(DEFAULTS.leafDays),
      permittedDomains: z.array(hostname).min(1, 'must list at least one domain').optional(),
    })
    .prefault({}),
});

/** The validated file content, with every default filled in. */
export type LabConfig = z.output<typeof labConfigSchema>;

/** Keys allowed at each object path, for "did you mean" suggestions. */
export function allowedKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = labConfigSchema;
  for (const key of path) {
    const shape = objectShape(schema);
    const next = shape?.[String(key)];
    if (!next) return [];
    schema = next;
  }
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let current: z.ZodType = schema;
  // Unwrap defaults/optionals/prefaults until we reach the object itself.
  for (let i = 0; i < 5; i++) {
    if (current instanceof z.ZodObject) return current.shape as Record<string, z.ZodType>;
    const inner = (current as { unwrap?: () => z.ZodType }).unwrap;
    if (typeof inner === 'function') {
      current = inner.call(current);
      continue;
    }
    const def = (current as unknown as { def?: { innerType?: z.ZodType } }).def;
    if (def?.innerType) {
      current = def.innerType;
      continue;
    }
    return undefined;
  }
  return undefined;
}
