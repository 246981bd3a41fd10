import type { GitLabClient } from '../gitlab/client/index.js';
import type { SeedPlan } from '../seed/plan.js';
import type { SeedStore } from '../seed/record.js';
import type { SeedReport } from './seed-report.js';

/** What every step of one run shares. */
export interface SeedRun {
  gitlab: GitLabClient;
  store: SeedStore;
  plan: SeedPlan;
  report: SeedReport;
  /** Attendee passwords, from attendees.csv. */
  passwords: Map<string, string>;
  ids: { users: Map<string, number>; groups: Map<string, number>; projects: Map<string, number> };
  /** Projects this run created: empty (no README), so their first commit needs no look at the branch. */
  created: Set<string>;
  /** Projects this run pushed to: the push started their pipelines. */
  pushed: Set<string>;
  /** Projects whose CI/CD settings this run changed (`*`: all of them): their pipelines run again. */
  affected: Set<string>;
  /** Copies (`workshop`, attendee usernames) whose projects go back to the template. */
  reset: Set<string>;
  lesson: 'job-token' | undefined;
}
