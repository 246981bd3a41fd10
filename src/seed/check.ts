import type { ConfigProblem } from '../config/parse.js';
import { closest } from '../config/suggest.js';
import { MAX_ATTENDEES, type WorkshopVariable } from './format.js';
import { TEMPLATE_NAMES, TEMPLATES } from './templates.js';
import type { Workshop } from './workshop.js';

/** Checks that span several fields; the schema checks each field alone. */
export function crossCheckWorkshop(w: Workshop): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { groups, projects, variables, attendees } = w.data;

  const groupAt = new Map<string, number>();
  groups.forEach((g, i) => {
    const first = groupAt.get(g.path);
    if (first !== undefined) problems.push(w.at(['groups', i, 'path'], `group "${g.path}" is already listed at groups[${first}]`));
    else groupAt.set(g.path, i);
  });

  const projectAt = new Map<string, number>();
  const nameAt = new Map<string, number>();
  projects.forEach((p, i) => {
    const first = projectAt.get(p.path);
    if (first !== undefined) problems.push(w.at(['projects', i, 'path'], `project "${p.path}" is already listed at projects[${first}]`));
    projectAt.set(p.path, projectAt.get(p.path) ?? i);
    const [group = '', name = ''] = p.path.split('/');
    if (!groupAt.has(group)) {
      problems.push(w.at(['projects', i, 'path'], `its group "${group}" is not listed under groups`, `Add "- path: ${group}" to groups.`));
    }
    const sameName = nameAt.get(name);
    if (sameName !== undefined && first === undefined) {
      problems.push(
        w.at(
          ['projects', i, 'path'],
          `the project name "${name}" is also used by projects[${sameName}]; attendees get every project in one group, so names must differ`,
        ),
      );
    }
    nameAt.set(name, nameAt.get(name) ?? i);
  });

  const templateOf = (path: string) => {
    const i = projectAt.get(path);
    return i === undefined ? undefined : projects[i]?.template;
  };
  projects.forEach((p, i) => {
    const def = TEMPLATES[p.template];
    if (!def) {
      const guess = closest(p.template, TEMPLATE_NAMES);
      problems.push(
        w.at(
          ['projects', i, 'template'],
          `unknown template "${p.template}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
          `The built-in templates are: ${TEMPLATE_NAMES.join(', ')}.`,
        ),
      );
      return;
    }
    for (const [param, target] of Object.entries(p.with)) {
      const wanted = def.params[param];
      if (wanted === undefined) {
        const known = Object.keys(def.params);
        problems.push(
          w.at(
            ['projects', i, 'with', param],
            `template ${p.template} has no parameter "${param}"${known.length ? ` (it takes: ${known.join(', ')})` : ''}`,
          ),
        );
      } else if (target === p.path) problems.push(w.at(['projects', i, 'with', param], 'must name another project, not this one'));
      else if (!projectAt.has(target)) problems.push(w.at(['projects', i, 'with', param], `"${target}" is not a project of this workshop`));
      else if (templateOf(target) !== wanted)
        problems.push(w.at(['projects', i, 'with', param], `"${target}" must be a ${wanted} project`));
    }
    for (const param of Object.keys(def.params)) {
      if (!(param in p.with))
        problems.push(w.at(['projects', i, 'with'], `template ${p.template} needs "${param}": the ${def.params[param]} project it uses`));
    }
    p.allow.forEach((source, j) => {
      if (source === p.path) problems.push(w.at(['projects', i, 'allow', j], 'a project always reaches itself; list other projects only'));
      else if (!projectAt.has(source)) problems.push(w.at(['projects', i, 'allow', j], `"${source}" is not a project of this workshop`));
      else if (p.allow.indexOf(source) !== j) problems.push(w.at(['projects', i, 'allow', j], `"${source}" is listed twice`));
    });
    problems.push(...variableProblems(w, p.variables, ['projects', i, 'variables']));
  });
  problems.push(...cycleProblems(w));
  problems.push(...variableProblems(w, variables, ['variables']));

  if (typeof attendees === 'number' && attendees > MAX_ATTENDEES) {
    problems.push(w.at(['attendees'], `${attendees} attendees is more than the maximum of ${MAX_ATTENDEES}`));
  } else if (Array.isArray(attendees)) {
    if (attendees.length > MAX_ATTENDEES)
      problems.push(w.at(['attendees'], `${attendees.length} attendees is more than the maximum of ${MAX_ATTENDEES}`));
    attendees.forEach((name, i) => {
      if (attendees.indexOf(name) !== i) problems.push(w.at(['attendees', i], `"${name}" is listed twice`));
    });
  }
  return problems;
}

function variableProblems(w: Workshop, list: WorkshopVariable[], path: (string | number)[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  list.forEach((variable, i) => {
    if (list.findIndex((o) => o.key === variable.key) !== i) problems.push(w.at([...path, i, 'key'], `"${variable.key}" is listed twice`));
    // A PEM spans lines and has spaces: GitLab cannot mask it (app/models/concerns/ci/maskable.rb).
    if (variable.masked && variable.from === 'lab-ca')
      problems.push(w.at([...path, i, 'masked'], 'the lab CA cannot be masked (it spans several lines)'));
  });
  return problems;
}

/** Projects are pushed after the projects they use (`with:`), so the uses must not go round in a circle. */
function cycleProblems(w: Workshop): ConfigProblem[] {
  const uses = new Map(w.data.projects.map((p) => [p.path, Object.values(p.with)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (path: string): boolean => {
    if (state.get(path) === 'done') return false;
    if (state.get(path) === 'visiting') return true;
    state.set(path, 'visiting');
    const circular = (uses.get(path) ?? []).some(visit);
    state.set(path, 'done');
    return circular;
  };
  const i = w.data.projects.findIndex((p) => visit(p.path));
  return i < 0 ? [] : [w.at(['projects', i, 'with'], 'the projects use each other in a circle; one of them must come first')];
}
