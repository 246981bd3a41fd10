#!/usr/bin/env node
// The entry point stays small on purpose: `lab --version` must answer in well under
// 150 ms, so each command's implementation (dockerode, node-forge, valibot…) is imported
// only when that command runs.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { DEFAULTS } from '../config/defaults.js';
import { errorMessage, LabError } from '../util/errors.js';
import type { CliContext } from './context.js';
import { createOutput, type Output } from './output.js';

interface GlobalOptions {
  dir: string;
  quiet?: boolean;
  color?: boolean;
}

type CommandModule<O> = { default: (options: O, ctx: CliContext) => Promise<number | undefined> | Promise<void> };

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

type Action = (...args: unknown[]) => Promise<void>;

export function buildProgram(run: <O>(load: () => Promise<CommandModule<O>>) => Action): Command {
  const program = new Command('lab')
    .description('Provision a complete local GitLab lab on Docker: Traefik, GitLab with its registry, and a runner.')
    .version(version(), '-V, --version', 'print the version')
    .option('-C, --dir <path>', 'the lab folder', '.')
    .option('-q, --quiet', 'print only results and errors')
    .option('--no-color', 'disable colours (NO_COLOR is honoured too)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    // Set before the subcommands exist: commander copies these settings into each one.
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(formatUsageError(str)) });

  program
    .command('init')
    .description('write a commented lab.yml that shows every field with its default')
    .option('--domain <tld>', 'the domain of the lab hosts', DEFAULTS.domain)
    .option('--force', 'overwrite an existing lab.yml')
    .action(run(() => import('./commands/init.js')));

  program
    .command('certs')
    .description('mint the local CA and the TLS certificate for every lab host, or renew them')
    .option('--new-ca', 'replace the existing CA on purpose (trust stores must be updated again)')
    .option('--renew', 'reissue the leaf certificate even if it is still good (it keeps its key)')
    .option('--new-key', 'give the leaf a new key pair when it is (re)issued')
    .option('--caroot <dir>', 'use the CA in this folder (mkcert CAROOT layout); also LAB_CAROOT')
    .option('--builder <name>', "also mint a remote build engine's TLS server certificate (name under the lab domain)")
    .option('--json', 'print the result as JSON')
    .action(run(() => import('./commands/certs.js')));

  program
    .command('render')
    .description('write the compose files, Traefik, GitLab and runner config from lab.yml')
    .option('--json', 'print what was written as JSON')
    .action(run(() => import('./commands/render.js')));

  program
    .command('up')
    .description('bring the lab up: certificates, files, network, volumes, containers, runner')
    .option('--dry-run', 'print the plan and change nothing')
    .addOption(new Option('--pull <policy>', 'when to pull images').choices(['always', 'missing', 'never']).default('missing'))
    .option('--timeout <duration>', 'how long to wait for each service to become ready', '15m')
    .option('--skip-runner', 'do not register or start the runner')
    .action(run(() => import('./commands/up.js')));

  program
    .command('seed')
    .description('create a workshop in GitLab: groups, projects from templates, CI/CD variables, attendees')
    .option('-f, --file <path>', "the workshop file (default: lab.yml's seed: section, else the built-in Go workshop)")
    .option('--attendees <n|names>', 'a number of attendees, or their usernames separated by commas')
    .option('--handout', "print the attendees' sheet: URL, user and password (changes nothing)")
    .option('--wait', "wait for the seeded projects' pipelines and print their results")
    .option('--timeout <duration>', 'how long --wait waits', '15m')
    .option('--reset <attendee|workshop|all>', 'put the projects of one attendee (or all) back to the template')
    .option('--remove', 'delete exactly what lab seeded, nothing else')
    .addOption(new Option('--lesson <name>', 'seed for a lesson: job-token leaves out the job token allowlist').choices(['job-token']))
    .option('--concurrency <n>', 'API calls at a time (also LAB_SEED_CONCURRENCY)')
    .option('--json', 'print the result as JSON')
    .action(run(() => import('./commands/seed.js')));

  program
    .command('status')
    .description('show each service: state, health, image, ports and URL')
    .option('--json', 'print the status as JSON')
    .action(run(() => import('./commands/status.js')));

  program
    .command('down')
    .description('stop the containers and keep all data')
    .action(run(() => import('./commands/down.js')));

  program
    .command('destroy')
    .description("remove this lab's containers, network and volumes (only what lab created)")
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--purge-certs', 'also delete certs/ (the CA too, unless it is shared through --caroot)')
    .action(run(() => import('./commands/destroy.js')));

  program
    .command('logs')
    .description('show the logs of a service')
    .argument('<service>', 'a service of the lab, as `lab status` lists them')
    .option('-f, --follow', 'keep streaming new lines')
    .option('-n, --tail <lines>', 'number of lines from the end', 'all')
    .action(run(() => import('./commands/logs.js')));

  program
    .command('credentials')
    .description('print the GitLab URL, user and password (and with --token the admin token)')
    .option('--token', 'also print the admin personal access token')
    .option('--json', 'print as JSON')
    .action(run(() => import('./commands/credentials.js')));

  program
    .command('hosts')
    .description('print, write or remove the hosts-file lines for the lab hosts')
    .option('--write', 'maintain a marked block in the system hosts file')
    .option('--remove', 'remove that block again')
    .addOption(new Option('--target <target>', 'where the names point').choices(['published', 'proxy']).default('published'))
    .option('--file <path>', 'the hosts file to edit (default: the system hosts file)')
    .action(run(() => import('./commands/hosts.js')));

  program
    .command('trust')
    .description('install the lab CA where it is needed: system store, NSS, Docker, Java')
    .option('--system', 'the system trust store')
    .option('--nss', 'NSS databases (Firefox, Chromium on Linux)')
    .option('--docker', "the Docker daemon's registry trust (certs.d)")
    .option('--java', 'the Java cacerts keystore (needs JAVA_HOME)')
    .option('--check', 'prove each installed trust with a real verification')
    .option('--uninstall', 'remove exactly what lab installed')
    .option('--dry-run', 'print the commands and change nothing')
    .action(run(() => import('./commands/trust.js')));

  program
    .command('doctor')
    .description('check the engine, ports, memory, names, trust, certificates and services')
    .option('--json', 'print the checks as JSON')
    .action(run(() => import('./commands/doctor.js')));

  return program;
}

/** Commander's "error: …\n(Did you mean …?)" becomes lab's one error line plus one hint line. */
function formatUsageError(str: string): string {
  const lines = str.trim().split('\n');
  const message = (lines[0] ?? '').replace(/^error: /, '');
  const suggestion = lines
    .slice(1)
    .join(' ')
    .replace(/^\((.*)\)$/, '$1')
    .trim();
  const help = 'Run `lab --help` or `lab <command> --help` for usage.';
  return `lab: error: ${message}\nhint: ${suggestion ? `${suggestion} ${help}` : help}\n`;
}

function printError(out: Output, err: unknown): number {
  const s = out.style;
  if (err instanceof LabError) {
    out.warn(`${s.red('lab: error:')} ${err.message}`);
    if (err.hint) out.warn(`${s.yellow('hint:')} ${err.hint}`);
    for (const line of err.details) out.warn(`  ${line}`);
    return err.exitCode;
  }
  out.warn(`${s.red('lab: error:')} ${errorMessage(err)}`);
  out.warn(`${s.yellow('hint:')} this looks like a bug in lab; please report it with the command you ran.`);
  if (process.env.LAB_DEBUG && err instanceof Error && err.stack) out.warn(err.stack);
  return 1;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  let out = createOutput();
  let exitCode = 0;
  const run =
    <O>(load: () => Promise<CommandModule<O>>) =>
    async (...args: unknown[]): Promise<void> => {
      // commander calls actions with (...positional arguments, options, command); lab's
      // commands take one options object, so positionals are merged in under their names.
      const cmd = args[args.length - 1] as Command;
      const named = Object.fromEntries(cmd.registeredArguments.map((arg, i) => [arg.name(), args[i]]));
      const options = { ...(args[args.length - 2] as O), ...named } as O;
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      out = createOutput({ quiet: globals.quiet === true, ...(globals.color === false ? { color: false } : {}) });
      const mod = await load();
      const code = await mod.default(options, { dir: globals.dir, out, env: process.env });
      exitCode = code ?? 0;
    };
  const program = buildProgram(run);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; every other parse error is usage (2).
      return err.exitCode === 0 ? 0 : 2;
    }
    return printError(out, err);
  }
}

// `lab status | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`lab: error: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
