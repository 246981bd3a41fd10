import * as v from 'valibot';

/**
 * The workshop file of `lab seed` (a `seed:` section in lab.yml, or `--file workshop.yml`):
 * groups, projects made from built-in templates, CI/CD variables, job token allowlist
 * entries, protected tags and attendees. The README ("Seeding a workshop") documents it.
 */

/** More attendees than this is refused: each one costs GitLab a user, a group and a copy of every project. */
export const MAX_ATTENDEES = 99;

// A conservative subset of GitLab's path rules (lowercase, so it is also a clean Go module path element).
const SEGMENT = /^[a-z0-9]([a-z0-9_.-]{0,60}[a-z0-9])?$/;
const PROJECT_PATH = /^[a-z0-9]([a-z0-9_.-]{0,60}[a-z0-9])?\/[a-z0-9]([a-z0-9_.-]{0,60}[a-z0-9])?$/;
// GitLab's rule for CI/CD variable keys (app/models/concerns/ci/has_variable.rb).
const VARIABLE_KEY = /^[A-Za-z0-9_]{1,255}$/;
// GitLab usernames, kept lowercase; the attendee's group is `<username>-workshop`.
const USERNAME = /^[a-z][a-z0-9_.-]{0,28}[a-z0-9]$/;
// Tag name patterns as GitLab's protected tags take them (`v*`, `release-*`).
const TAG_PATTERN = /^[A-Za-z0-9_.*/-]{1,100}$/;

const regex = (re: RegExp, message: string) => v.pipe(v.string(), v.regex(re, message));

export const groupPath = regex(SEGMENT, 'must be a lowercase group path such as "modules" (a-z, 0-9, "_", ".", "-")');
export const projectPath = regex(PROJECT_PATH, 'must be "<group>/<project>", lowercase, such as "modules/mail"');
export const username = regex(
  USERNAME,
  'must be a lowercase username of 2 to 30 characters (a-z, 0-9, "_", ".", "-"), starting with a letter',
);

const visibility = v.optional(v.picklist(['private', 'internal', 'public'], 'must be "private", "internal" or "public"'), 'private');

const Variable = v.pipe(
  v.strictObject({
    key: regex(VARIABLE_KEY, 'must use only letters, digits and "_" (at most 255 characters)'),
    value: v.optional(v.string()),
    /** A value lab knows: `lab-ca` is the PEM of the lab CA. */
    from: v.optional(v.picklist(['lab-ca'], 'must be "lab-ca" (the PEM of the lab CA)')),
    type: v.optional(v.picklist(['env_var', 'file'], 'must be "env_var" or "file"'), 'env_var'),
    protected: v.optional(v.boolean(), false),
    masked: v.optional(v.boolean(), false),
  }),
  v.check((x) => (x.value === undefined) !== (x.from === undefined), 'needs exactly one of "value" and "from"'),
);

const Group = v.strictObject({
  path: groupPath,
  name: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  description: v.optional(v.string()),
  visibility,
});

const Project = v.strictObject({
  path: projectPath,
  template: v.pipe(v.string(), v.minLength(1, 'must name a template')),
  name: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  description: v.optional(v.string()),
  visibility,
  /** The template's parameters: each names another project of the workshop. */
  with: v.optional(v.record(v.string(), projectPath), {}),
  variables: v.optional(v.array(Variable), []),
  /** The inbound CI/CD job token allowlist: projects whose jobs may reach this one. */
  allow: v.optional(v.array(projectPath), []),
  protectedTags: v.optional(v.array(regex(TAG_PATTERN, 'must be a tag name or pattern such as "v*"')), []),
});

const Attendees = v.union(
  [v.pipe(v.number(), v.integer('must be a whole number'), v.minValue(0, 'must not be negative')), v.array(username)],
  'must be a number of attendees or a list of usernames',
);

export const workshopSchema = v.strictObject({
  groups: v.optional(v.array(Group), []),
  projects: v.optional(v.array(Project), []),
  /** Instance-wide CI/CD variables. */
  variables: v.optional(v.array(Variable), []),
  attendees: v.optional(Attendees, 0),
});

export type WorkshopFile = v.InferOutput<typeof workshopSchema>;
export type WorkshopVariable = v.InferOutput<typeof Variable>;
export type WorkshopProject = v.InferOutput<typeof Project>;
export type WorkshopGroup = v.InferOutput<typeof Group>;

/** The keys allowed at each level, for "did you mean" suggestions. */
export const WORKSHOP_KEYS: Record<string, string[]> = {
  '': ['groups', 'projects', 'variables', 'attendees'],
  groups: ['path', 'name', 'description', 'visibility'],
  projects: ['path', 'template', 'name', 'description', 'visibility', 'with', 'variables', 'allow', 'protectedTags'],
  variables: ['key', 'value', 'from', 'type', 'protected', 'masked'],
};
