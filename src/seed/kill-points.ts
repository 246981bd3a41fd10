/**
 * The points of `lab seed` between a side effect and the record of it, where a crash hurts
 * most. `LAB_TEST_KILL_AT=<point>` makes lab SIGKILL itself the first time it passes one,
 * as a power cut or `kill -9` would (the bootstrap's hook works the same way).
 */
export const SEED_KILL_POINTS = [
  // The record says "pending" for everything to create, attendees.csv holds the passwords; GitLab has nothing new.
  'seed:intent',
  // GitLab created a user; the record still says "pending".
  'seed:user-created',
  // GitLab created a group; the record still says "pending".
  'seed:group-created',
  // GitLab created a project, empty; the record still says "pending".
  'seed:project-created',
  // A project's variables, protected tags and allowlist entries are in place, not yet recorded.
  'seed:settings',
  // A project's content is pushed (its pipeline started); the record does not list its files yet.
  'seed:pushed',
  // `--remove` deleted its first object; the record still lists it.
  'seed:removing',
] as const;

export type SeedKillPoint = (typeof SEED_KILL_POINTS)[number];

/** TEST HOOK (crash-safety tests only): nothing else reads LAB_TEST_KILL_AT. */
export function killPoint(point: SeedKillPoint): void {
  if (process.env.LAB_TEST_KILL_AT === point) process.kill(process.pid, 'SIGKILL');
}
