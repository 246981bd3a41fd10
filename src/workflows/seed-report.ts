/**
 * What a run of `lab seed` did, object by object: what it created, kept, updated, adopted
 * from a killed run, and removed. The CLI prints it grouped; `--json` prints it whole.
 */
export type Outcome = 'created' | 'kept' | 'updated' | 'adopted' | 'removed' | 'left';

export interface ReportItem {
  outcome: Outcome;
  /** `user`, `group`, `project`, `member`, `instance variable`, `project variable`, `allowlist entry`, `protected tag`, `commit`, `pipeline`. */
  kind: string;
  name: string;
  /** Why, for `left` (kept on purpose by --remove) and `kept` objects that are not lab's. */
  note?: string;
}

export class SeedReport {
  readonly items: ReportItem[] = [];

  add(outcome: Outcome, kind: string, name: string, note?: string): void {
    this.items.push({ outcome, kind, name, ...(note ? { note } : {}) });
  }

  count(outcome: Outcome): number {
    return this.items.filter((i) => i.outcome === outcome).length;
  }

  /** One line per outcome and kind: `created  2 groups: modules, services`. */
  lines(): string[] {
    const order: Outcome[] = ['created', 'adopted', 'updated', 'kept', 'removed', 'left'];
    const out: string[] = [];
    for (const outcome of order) {
      const items = this.items.filter((i) => i.outcome === outcome);
      for (const kind of [...new Set(items.map((i) => i.kind))]) {
        const names = items
          .filter((i) => i.kind === kind)
          .map((i) => (i.note ? `${i.name} (${i.note})` : i.name))
          .sort();
        const shown = names.length > 6 ? [...names.slice(0, 5), `… ${names.length - 5} more`] : names;
        out.push(`${outcome.padEnd(8)} ${names.length} ${plural(kind, names.length)}: ${shown.join(', ')}`);
      }
    }
    return out;
  }
}

function plural(kind: string, n: number): string {
  if (kind === 'repository' && n !== 1) return 'repositories';
  if (n === 1) return kind;
  if (kind.endsWith('y') && !kind.endsWith('ey')) return `${kind.slice(0, -1)}ies`;
  return `${kind}s`;
}
