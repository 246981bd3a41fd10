/**
 * The one place where lab pins what it runs. Tags are exact, never `latest`,
 * so that a lab built today is the lab built next month. The config keys lab
 * renders were checked against the docs of exactly these versions; the sources
 * are listed in src/stack/REFERENCES.md.
 *
 * GitLab and the runner share their minor version on purpose: GitLab documents
 * runner/server compatibility per major.minor.
 */
export const PINNED_IMAGES = {
  traefik: 'traefik:v3.7.13',
  gitlab: { ce: 'gitlab/gitlab-ce:19.4.1-ce.0', ee: 'gitlab/gitlab-ee:19.4.1-ee.0' },
  runner: 'gitlab/gitlab-runner:v19.4.1',
} as const;

export const DEFAULTS = {
  name: 'lab',
  domain: 'test',
  // 10.213.47.0/24 sits outside Docker's default address pools (172.17-31/16, 192.168/16)
  // and away from the 10.0/10.1/10.10 ranges that home routers and VPNs favour.
  subnet: '10.213.47.0/24',
  ports: { http: 80, https: 443, ssh: 2222 },
  runner: { concurrent: 2, tags: ['lab', 'docker'], defaultImage: 'alpine:3.22' },
  leafDays: 825,
} as const;
