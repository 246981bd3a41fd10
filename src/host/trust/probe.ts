import { isIP } from 'node:net';
import { devNull } from 'node:os';
import { execa } from 'execa';
import { errnoCode } from '../../util/errors.js';
import { shellQuote } from '../privilege.js';

/** An HTTPS URL reached at a fixed address, like `curl --resolve`. */
export interface HttpsTarget {
  host: string;
  port: number;
  /** Where the name is sent: the published host or the proxy IP. */
  address: string;
  path: string;
}

export type ProbeOutcome = 'verified' | 'untrusted' | 'unreachable' | 'error' | 'no-tool';

export interface ProbeResult {
  outcome: ProbeOutcome;
  /** The command, as the user can rerun it. */
  command: string;
  detail: string;
  /** The HTTP status when the handshake succeeded (any status proves the TLS part). */
  httpCode?: string;
}

/**
 * A child environment in which curl and openssl see only the trust we want to
 * test: no proxies (the probe targets this machine), no CA overrides.
 */
export function probeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  const drop = /^(https?_proxy|all_proxy|no_proxy|curl_ca_bundle|ssl_cert_file|ssl_cert_dir|curl_home)$/i;
  for (const [key, value] of Object.entries(env)) if (!drop.test(key)) out[key] = value;
  return out;
}

function resolveArg(t: HttpsTarget): string {
  return `${t.host}:${t.port}:${isIP(t.address) === 6 ? `[${t.address}]` : t.address}`;
}

/**
 * One HTTPS request with curl. Without `caFile` curl uses the system trust, which is
 * what makes this a test of the system store; with it, only that file.
 * Exit codes: https://curl.se/libcurl/c/libcurl-errors.html
 */
export async function curlProbe(
  target: HttpsTarget,
  options: { caFile?: string; env: NodeJS.ProcessEnv; platform: NodeJS.Platform },
): Promise<ProbeResult> {
  const url = `https://${target.host}:${target.port}${target.path}`;
  const args = [
    '-q',
    '-sS',
    '-o',
    devNull,
    '-w',
    '%{http_code}',
    '--noproxy',
    '*',
    '--connect-timeout',
    '5',
    '--max-time',
    '15',
    '--resolve',
    resolveArg(target),
  ];
  if (options.caFile) args.push('--cacert', options.caFile);
  // Schannel insists on a revocation check that a local CA cannot answer.
  if (options.platform === 'win32') args.push('--ssl-no-revoke');
  args.push(url);
  const command = ['curl', ...args].map(shellQuote).join(' ');
  const r = await execa('curl', args, { reject: false, env: probeEnv(options.env), extendEnv: false, stdin: 'ignore', timeout: 30_000 });
  // curl's own line ("curl: (60) SSL certificate problem: ...") says it best.
  const lines = r.stderr.trim().split('\n');
  const message = lines.find((l) => l.startsWith('curl: (')) ?? lines[0] ?? '';
  if (r.exitCode === 0) return { outcome: 'verified', command, detail: `TLS verified, HTTP ${r.stdout.trim()}`, httpCode: r.stdout.trim() };
  if (errnoCode(r) === 'ENOENT') return { outcome: 'no-tool', command, detail: 'curl is not installed' };
  switch (r.exitCode) {
    case 60: // CURLE_PEER_FAILED_VERIFICATION
    case 51:
      return { outcome: 'untrusted', command, detail: message || 'certificate verification failed' };
    case 6:
    case 7:
    case 28:
    case 52:
    case 56:
      return { outcome: 'unreachable', command, detail: message || `curl exit code ${r.exitCode}` };
    default:
      return { outcome: 'error', command, detail: message || `curl exit code ${r.exitCode}` };
  }
}

/**
 * `openssl verify` of `cert` against exactly `caFile` (no default paths), for when
 * the lab is not running: it still proves that the store's bundle vouches for it.
 */
export async function opensslVerify(caFile: string, cert: string, host: string | undefined, env: NodeJS.ProcessEnv): Promise<ProbeResult> {
  const args = ['verify', '-no-CApath', '-CAfile', caFile, ...(host ? ['-verify_hostname', host] : []), cert];
  const command = ['openssl', ...args].map(shellQuote).join(' ');
  const r = await execa('openssl', args, { reject: false, env: probeEnv(env), extendEnv: false, stdin: 'ignore', timeout: 30_000 });
  if (r.exitCode === 0) return { outcome: 'verified', command, detail: `${cert} verifies against ${caFile}` };
  if (errnoCode(r) === 'ENOENT') return { outcome: 'no-tool', command, detail: 'openssl is not installed' };
  const reason = `${r.stdout}\n${r.stderr}`.split('\n').find((l) => /error \d+/.test(l)) ?? r.stderr.trim().split('\n').pop() ?? '';
  return { outcome: 'untrusted', command, detail: reason.trim() || 'verification failed' };
}

/** Any verifying command: exit 0 means verified, anything else that it is not. */
export async function commandProbe(argv: string[], okDetail: string, env: NodeJS.ProcessEnv): Promise<ProbeResult> {
  const [file, ...args] = argv;
  const command = argv.map(shellQuote).join(' ');
  if (file === undefined) return { outcome: 'error', command, detail: 'empty command' };
  const r = await execa(file, args, { reject: false, env, stdin: 'ignore', timeout: 60_000 });
  if (r.exitCode === 0) return { outcome: 'verified', command, detail: okDetail };
  if (errnoCode(r) === 'ENOENT') return { outcome: 'no-tool', command, detail: `${file} is not installed` };
  const reason = `${r.stderr}\n${r.stdout}`.trim().split('\n').filter(Boolean).pop() ?? `exit code ${r.exitCode ?? '?'}`;
  return { outcome: 'untrusted', command, detail: reason };
}
