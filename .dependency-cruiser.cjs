// The layers of src/, enforced in CI (`npm run lint`). Each rule names the reason it exists.
//   cli        → workflows → engine, gitlab, host, services, stack, render, …
//   workflows  recipes (up, down, destroy, seed): the only layer that uses the engine and GitLab together
//   engine     containers, networks and volumes through the Docker Engine API, nothing else
//   gitlab     GitLab's REST API and the bootstrap; reaching GitLab needs no engine
//   util       leaf helpers that know no domain
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Cycles make layers meaningless and modules hard to load lazily.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'cli-is-the-top',
      severity: 'error',
      comment: 'Only the CLI knows about terminals, options and listr2; everything below reports through progress events.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'workflows-are-recipes',
      severity: 'error',
      comment: 'Workflows sit above engine, gitlab and host; nothing below may call one.',
      from: { path: '^src/', pathNot: '^src/(cli|workflows)/' },
      to: { path: '^src/workflows/' },
    },
    {
      name: 'engine-only-docker',
      severity: 'error',
      comment: 'The engine observes, plans and converges containers, networks and volumes; it knows no lab.yml, GitLab or service.',
      from: { path: '^src/engine/' },
      to: { path: '^src/', pathNot: '^src/(engine|util)/' },
    },
    {
      name: 'gitlab-without-engine',
      severity: 'error',
      comment: 'Reaching GitLab must not need a Docker engine: the bootstrap gets exec and logs as functions.',
      from: { path: '^src/gitlab/' },
      to: { path: '^src/(engine|doctor|host|stack)/' },
    },
    {
      name: 'util-is-a-leaf',
      severity: 'error',
      comment: 'Helpers know no domain.',
      from: { path: '^src/util/' },
      to: { path: '^src/', pathNot: '^src/util/' },
    },
    {
      name: 'net-and-progress-are-low',
      severity: 'error',
      comment: 'The HTTPS client and progress events are used by every layer, so they use only util.',
      from: { path: '^src/(net|progress|lock)/' },
      to: { path: '^src/', pathNot: '^src/(net|progress|lock|util)/' },
    },
    {
      name: 'render-is-generic',
      severity: 'error',
      comment: "Renderers turn specs into files; which services exist is the registry's business.",
      from: { path: '^src/render/' },
      to: { path: '^src/', pathNot: '^src/(render|util|config|engine/spec)' },
    },
    {
      name: 'services-stand-alone',
      severity: 'error',
      comment: 'A service definition uses config, renderers, probes and engine types only; the stack assembles them.',
      from: { path: '^src/services/' },
      to: { path: '^src/(stack|workflows|gitlab|host|doctor|certs)/' },
    },
    {
      name: 'config-is-low',
      severity: 'error',
      comment: 'The model is read by everyone and reads nobody.',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(config|util)/' },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module nobody imports is dead code.',
      from: { orphan: true, path: '^src/', pathNot: ['\\.d\\.ts$', '^src/cli/main\\.ts$', '\\.md$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^(dist|node_modules)/' },
  },
};
