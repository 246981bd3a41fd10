import * as v from 'valibot';
import { parseCidr, parseIpv4 } from '../util/cidr.js';
import { DEFAULTS } from './defaults.js';

// RFC 1123 labels; a lab host may be a single label (e.g. the domain `test`).
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
// Compose project names: lowercase letters, digits and dashes, starting with a letter or digit.
const STACK_NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// name[:tag][@digest] with an optional registry host; loose on purpose, the engine is the judge.
const IMAGE_REF = /^[a-z0-9]+([._/:-][a-zA-Z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const RUNNER_TAG = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
// Docker's recommended label keys: lowercase alphanumerics, dots and dashes, in reverse-DNS
// notation (https://docs.docker.com/engine/manage-resources/labels/#key-format-recommendations).
const LABEL_KEY = /^[a-z0-9]([a-z0-9.-]{0,126}[a-z0-9])?$/;
/** Label namespaces lab and compose use for themselves. */
export const RESERVED_LABEL_PREFIXES = ['dev.lab.', 'com.docker.compose.'] as const;

/**
 * A top-level section such as `hosts:`. Missing means all defaults; so does a section
 * whose keys are all commented out, which YAML reads as null (lab init writes such sections).
 * valibot runs the object schema on the `{}` default, so the inner defaults apply.
 */
function section<const TEntries extends v.ObjectEntries>(entries: TEntries) {
  // Every key of a section is optional, so {} is a valid input; the cast only names that type.
  const empty: v.InferInput<v.StrictObjectSchema<TEntries, undefined>> = {} as never;
  return v.nullish(v.strictObject(entries), empty);
}

const regex = (re: RegExp, message: string) => v.pipe(v.string(), v.regex(re, message));
const wholeNumber = (min: number, max: number, minMessage: string, maxMessage: string) =>
  v.pipe(v.number(), v.integer('must be a whole number'), v.minValue(min, minMessage), v.maxValue(max, maxMessage));

const hostname = regex(HOSTNAME, 'must be a lowercase DNS name such as "gitlab.test"');
const port = wholeNumber(1, 65535, 'must be between 1 and 65535', 'must be between 1 and 65535');
const image = regex(IMAGE_REF, 'must be an image reference such as "traefik:v3.7.13"');

export const labConfigSchema = v.strictObject({
  name: v.optional(
    regex(STACK_NAME, 'must use only a-z, 0-9 and "-", start and end with a letter or digit, at most 40 characters'),
    DEFAULTS.name,
  ),
  domain: v.optional(hostname, DEFAULTS.domain),
  hosts: section({
    gitlab: v.optional(hostname),
    registry: v.optional(hostname),
    traefik: v.optional(hostname),
    pages: v.optional(hostname),
  }),
  network: section({
    name: v.optional(regex(DOCKER_NAME, 'must be a Docker network name (letters, digits, "_", ".", "-")')),
    subnet: v.optional(
      v.pipe(
        v.string(),
        v.check((s) => parseCidr(s) !== undefined, 'must be an IPv4 CIDR with zero host bits, such as "10.213.47.0/24"'),
        v.check((s) => (parseCidr(s)?.prefix ?? 0) <= 29, 'is too small: use a /29 or larger'),
      ),
      DEFAULTS.subnet,
    ),
    proxyIp: v.optional(v.string()),
  }),
  ports: section({
    http: v.optional(port, DEFAULTS.ports.http),
    https: v.optional(port, DEFAULTS.ports.https),
    ssh: v.optional(port, DEFAULTS.ports.ssh),
  }),
  gitlab: section({
    edition: v.optional(v.picklist(['ce', 'ee'], 'must be "ce" or "ee"'), 'ce'),
    profile: v.optional(v.picklist(['small', 'standard'], 'must be "small" or "standard"'), 'small'),
    pages: v.optional(v.boolean(), false),
    extraConfig: v.optional(v.union([v.string(), v.array(v.string())], 'must be a string of Ruby lines or a list of them'), ''),
    environment: v.optional(
      v.record(
        regex(ENV_NAME, 'is not an environment variable name (letters, digits and "_", not starting with a digit)'),
        v.union([v.string(), v.number(), v.boolean()], 'must be a string, number or boolean'),
      ),
      {},
    ),
  }),
  runner: section({
    concurrent: v.optional(wholeNumber(1, 64, 'must be at least 1', 'must be at most 64'), DEFAULTS.runner.concurrent),
    tags: v.optional(v.array(regex(RUNNER_TAG, 'must be a runner tag (letters, digits, "_", ".", ":", "-")')), () => [
      ...DEFAULTS.runner.tags,
    ]),
    runUntagged: v.optional(v.boolean(), true),
    defaultImage: v.optional(image, DEFAULTS.runner.defaultImage),
    docker: v.optional(v.picklist(['socket', 'dind', 'remote'], 'must be "socket", "dind" or "remote"'), 'socket'),
    dockerSocket: v.optional(v.pipe(v.string(), v.startsWith('/', 'must be an absolute path on the engine host'))),
    remote: v.optional(
      v.strictObject({
        host: v.pipe(
          v.string(),
          v.regex(/^tcp:\/\/[^/:\s]+(:\d{1,5})?$/, 'must be a Docker TLS address such as "tcp://builder.test:2376"'),
        ),
        certPath: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
        // An IPv4 address, or Docker's `host-gateway` (the engine host, for a builder that publishes its port there).
        address: v.optional(
          v.pipe(
            v.string(),
            v.check((s) => s === 'host-gateway' || parseIpv4(s) !== undefined, 'must be an IPv4 address or "host-gateway"'),
          ),
        ),
      }),
    ),
    pullPolicy: v.optional(
      v.picklist(['always', 'if-not-present', 'never'], 'must be "always", "if-not-present" or "never"'),
      'if-not-present',
    ),
  }),
  images: section({
    traefik: v.optional(image),
    gitlab: v.optional(image),
    runner: v.optional(image),
  }),
  labels: v.optional(
    v.record(
      v.pipe(
        regex(LABEL_KEY, 'is not a label key (lowercase letters, digits, "." and "-", such as "com.example.team")'),
        v.check(
          (k) => !RESERVED_LABEL_PREFIXES.some((p) => k.startsWith(p)),
          `is reserved (${RESERVED_LABEL_PREFIXES.join(', ')} belong to lab and compose)`,
        ),
      ),
      v.string('must be a string'),
    ),
    {},
  ),
  certs: section({
    caroot: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
    leafDays: v.optional(
      wholeNumber(1, 825, 'must be at least 1', "must be at most 825 (Apple's limit for TLS server certificates)"),
      DEFAULTS.leafDays,
    ),
    permittedDomains: v.optional(v.pipe(v.array(hostname), v.minLength(1, 'must list at least one domain'))),
  }),
  // The workshop `lab seed` creates. Its fields are checked by `lab seed` itself (src/seed/format.ts),
  // with the same file, line and field in every message; here it only has to be a mapping.
  // `seed:` with every key commented out (as lab init writes it) is null: the same as no section.
  seed: v.pipe(
    v.nullish(v.record(v.string(), v.unknown())),
    v.transform((x) => x ?? undefined),
  ),
});

/** The validated file content, with every default filled in. */
export type LabConfig = v.InferOutput<typeof labConfigSchema>;

/** Keys allowed at each object path, for "did you mean" suggestions. */
export function allowedKeys(path: readonly PropertyKey[]): string[] {
  let schema: v.GenericSchema = labConfigSchema;
  for (const key of path) {
    const next = objectEntries(schema)?.[String(key)];
    if (!next) return [];
    schema = next;
  }
  return Object.keys(objectEntries(schema) ?? {});
}

/** The entries of an object schema, looking through the optional/nullish wrappers around it. */
function objectEntries(schema: v.GenericSchema): Record<string, v.GenericSchema> | undefined {
  if ('entries' in schema) return schema.entries as Record<string, v.GenericSchema>;
  if ('wrapped' in schema) return objectEntries(schema.wrapped as v.GenericSchema);
  return undefined;
}
