import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { LabModel } from '../../../src/config/model.js';
import { omnibusConfig, rubyString } from '../../../src/services/gitlab/omnibus.js';
import { containerSpecOf } from '../../../src/stack/desired.js';
import { at, modelOf } from '../../helpers/stack.js';
import { tempDir } from '../../helpers/tmp.js';
import { requireTool } from '../../helpers/tools.js';

const DSL = fileURLToPath(new URL('../../data/omnibus-dsl.rb', import.meta.url));

/** Runs the config through Ruby and returns the settings it assigns. */
async function evaluate(model: LabModel): Promise<Record<string, unknown>> {
  const dir = await tempDir();
  const file = join(dir, 'omnibus.rb');
  await writeFile(file, omnibusConfig(model));
  const { stdout } = await execa('ruby', [DSL, file]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('the Omnibus config', () => {
  it('is what the GitLab service spec passes as GITLAB_OMNIBUS_CONFIG', async () => {
    const model = modelOf('', await tempDir());
    expect(containerSpecOf(model, 'gitlab').environment.GITLAB_OMNIBUS_CONFIG).toBe(omnibusConfig(model));
  });

  it('uses the 19.2+ key spellings, never the deprecated or removed ones', async () => {
    const text = omnibusConfig(modelOf('gitlab:\n  pages: true\n', await tempDir()));
    // Rails NGINX settings moved to gitlab_rails['nginx']; per-service hashes moved (MR 8691).
    expect(text).not.toMatch(/^nginx\[/m);
    expect(text).not.toMatch(/registry_nginx|pages_nginx|mattermost|grafana/);
    expect(text).toMatch(/^gitlab_rails\['nginx'\]\['listen_https'\] = false$/m);
    expect(text).toMatch(/^registry\['nginx'\]\['listen_port'\] = 5050$/m);
    expect(text).toMatch(/^gitlab_pages\['nginx'\]\['listen_port'\] = 8090$/m);
  });

  it('applies the memory-constrained settings only with the small profile', async () => {
    const small = omnibusConfig(modelOf('', await tempDir()));
    const standard = omnibusConfig(modelOf('gitlab:\n  profile: standard\n', await tempDir()));
    for (const line of ["puma['worker_processes'] = 0", "sidekiq['concurrency'] = 10", "prometheus_monitoring['enable'] = false"]) {
      expect(small).toContain(line);
      expect(standard).not.toContain(line);
    }
    // Gitaly cgroups need a writable /sys/fs/cgroup, which the container lacks.
    expect(small).not.toContain('cgroups');
  });

  it('puts extraConfig after everything else, verbatim', async () => {
    const model = modelOf(
      "gitlab:\n  extraConfig:\n    - puma['worker_processes'] = 2\n    - \"gitlab_rails['x'] = '$y'\"\n",
      await tempDir(),
    );
    const text = omnibusConfig(model);
    expect(text.trimEnd().split('\n').slice(-2)).toEqual(["puma['worker_processes'] = 2", "gitlab_rails['x'] = '$y'"]);
    expect(text.indexOf("puma['worker_processes'] = 0")).toBeLessThan(text.indexOf("puma['worker_processes'] = 2"));
  });

  it('quotes Ruby strings safely', () => {
    expect(rubyString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
  });

  it('evaluates as Ruby to the settings the model asks for', async () => {
    await requireTool('ruby');
    const model = modelOf('network:\n  subnet: 10.77.0.0/16\nports:\n  ssh: 2200\ngitlab:\n  pages: true\n', await tempDir());
    const s = await evaluate(model);
    expect(s.external_url).toBe(`https://${model.hosts.gitlab}`);
    expect(s.registry_external_url).toBe(`https://${model.hosts.registry}`);
    expect(s.pages_external_url).toBe(`https://${model.hosts.pages}`);
    expect(at(s, 'letsencrypt', 'enable')).toBe(false);
    expect(at(s, 'gitlab_rails', 'nginx', 'listen_port')).toBe(80);
    expect(at(s, 'gitlab_rails', 'nginx', 'listen_https')).toBe(false);
    expect(at(s, 'gitlab_rails', 'nginx', 'proxy_set_headers', 'X-Forwarded-Proto')).toBe('https');
    expect(at(s, 'gitlab_rails', 'nginx', 'real_ip_trusted_addresses')).toEqual([model.network.proxyIp]);
    expect(at(s, 'registry', 'nginx')).toEqual({ listen_port: 5050, listen_https: false });
    expect(at(s, 'gitlab_pages', 'nginx')).toEqual({ listen_port: 8090, listen_https: false });
    expect(at(s, 'gitlab_pages', 'access_control')).toBe(false);
    expect(at(s, 'gitlab_pages', 'listen_proxy')).toBe('127.0.0.1:8091');
    expect(at(s, 'gitlab_rails', 'gitlab_shell_ssh_port')).toBe(2200);
    expect(at(s, 'gitlab_rails', 'monitoring_whitelist')).toEqual(['127.0.0.0/8', '::1/128', '10.77.0.0/16']);
    expect(at(s, 'puma', 'worker_processes')).toBe(0);
    expect(at(s, 'gitaly', 'configuration', 'concurrency')).toHaveLength(2);
    expect(at(s, 'gitaly', 'env', 'GITALY_COMMAND_SPAWN_MAX_PARALLEL')).toBe('2');
    // Only these top-level settings are touched (nginx[...] is the daemon's, left alone).
    expect(Object.keys(s).sort()).toEqual(
      [
        'external_url',
        'gitaly',
        'gitlab_pages',
        'gitlab_rails',
        'letsencrypt',
        'pages_external_url',
        'prometheus_monitoring',
        'puma',
        'registry',
        'registry_external_url',
        'sidekiq',
      ].sort(),
    );
  });

  it('evaluates as Ruby without Pages and with the standard profile', async () => {
    await requireTool('ruby');
    const s = await evaluate(modelOf('gitlab:\n  profile: standard\n', await tempDir()));
    expect(s.pages_external_url).toBeUndefined();
    expect(s.gitlab_pages).toBeUndefined();
    expect(s.puma).toBeUndefined();
  });
});
