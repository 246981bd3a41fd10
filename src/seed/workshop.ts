import type { ConfigProblem } from '../config/parse.js';
import type { WorkshopFile } from './format.js';

export type FieldPath = (string | number)[];

/** A parsed workshop, with a way to point at any of its fields (for errors found later, such as a name clash). */
export interface Workshop {
  /** As errors name it: `lab.yml`, `workshop.yml`, or `built-in workshop`. */
  file: string;
  data: WorkshopFile;
  /** A problem at `path` (relative to the workshop, e.g. ['projects', 0, 'path']). */
  at(path: FieldPath, message: string, suggestion?: string): ConfigProblem;
}
