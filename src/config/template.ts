import { DEFAULTS, PINNED_IMAGES } from './defaults.js';
import { defaultProxyIp } from './model.js';

/**
 * The commented lab.yml that `lab init` writes. Every field appears with its
 * default, so the file doubles as the reference; a test keeps it in step with
 * the schema.
 *
 * Fields whose default is derived from another field (the hosts from `domain`, the
 * network name from `name`, the gitlab image from `edition`, ...) are shown commented
 * out: written out, they would stop following that field when the user edits it.
 * So the file parses to exactly the defaults, and editing `domain` alone just works.
 */
export function configTemplate(domain: string = DEFAULTS.domain): string {
  const proxyIp = defaultProxyIp(DEFAULTS.subnet);
  return `# lab.yml: the whole desired state of this lab. Every field is optional;
# the values below are the defaults. Commented-out fields follow other fields
# (shown: their current default); uncomment one to pin it.
# Run \`lab render\` or \`lab up\` after editing.

# Stack name: prefixes containers, network and volumes, so labs can live side by side.
name: ${DEFAULTS.name}

# Every lab host lives under this domain: gitlab.${domain}, registry.${domain}, traefik.${domain}.
domain: ${domain}

# Override single host names (full names, not prefixes).
hosts:
  # gitlab: gitlab.${domain}
  # registry: registry.${domain}
  # traefik: traefik.${domain}        # the Traefik dashboard
  # pages: pages.${domain}            # only with gitlab.pages: true; sites live at *.pages.${domain}

# The user-defined Docker network; Traefik gets a static address on it.
network:
  # name: ${DEFAULTS.name}-net            # default: <name>-net
  subnet: ${DEFAULTS.subnet}
  # proxyIp: ${proxyIp}       # default: the last usable address of the subnet

# Ports published on the host. Only Traefik (http, https) and GitLab SSH publish any.
ports:
  http: ${DEFAULTS.ports.http}
  https: ${DEFAULTS.ports.https}
  ssh: ${DEFAULTS.ports.ssh}

gitlab:
  edition: ce                   # ce or ee
  profile: small                # small (memory-constrained, for laptops) or standard
  pages: false                  # GitLab Pages behind https://*.pages.${domain}
  # Ruby lines appended to the Omnibus config (GITLAB_OMNIBUS_CONFIG), for example:
  # extraConfig: |
  #   gitlab_rails['time_zone'] = 'Europe/Berlin'
  extraConfig: ""
  environment: {}               # extra environment variables for the GitLab container

runner:
  concurrent: ${DEFAULTS.runner.concurrent}                 # jobs that may run at once
  tags: [${DEFAULTS.runner.tags.join(', ')}]
  runUntagged: true             # also pick up jobs without tags
  defaultImage: ${DEFAULTS.runner.defaultImage}       # image for jobs that name none
  # How jobs build images (see the README): socket, the engine host's daemon; dind, a
  # docker:dind service (privileged services only); remote, a TLS engine elsewhere.
  docker: socket
  # dockerSocket: /var/run/docker.sock   # the engine's socket on its host; default: from DOCKER_HOST or the context
  # remote:                              # only with docker: remote
  #   host: tcp://builder.${domain}:2376      # mint its certificate with \`lab certs --builder builder\`
  #   certPath: ~/.docker/machine/machines/builder   # optional: ca.pem, cert.pem, key.pem for jobs
  #   address: 10.0.0.5                  # optional: the builder's IP (or host-gateway) for jobs
  pullPolicy: if-not-present    # always, if-not-present or never (for job images)

# Image overrides; the defaults are pinned, exact tags.
images:
  # traefik: ${PINNED_IMAGES.traefik}
  # gitlab: ${PINNED_IMAGES.gitlab.ce}   # default follows gitlab.edition (${PINNED_IMAGES.gitlab.ee})
  # runner: ${PINNED_IMAGES.runner}

# More labels on every container, network and volume lab creates, e.g. to find them later.
# Keys under dev.lab. and com.docker.compose. are lab's and compose's own.
labels: {}                      # e.g. { com.example.team: platform }

certs:
  # caroot: certs/ca            # the CA folder; point several labs (or mkcert's CAROOT) at one CA
  leafDays: ${DEFAULTS.leafDays}                 # leaf certificate lifetime, at most 825 days
  # permittedDomains: [${domain}]       # names the CA may vouch for (nameConstraints); default: the
  #                               # domain plus any lab host outside it; localhost is always added

# The workshop \`lab seed\` creates in GitLab. Without this section (or \`lab seed --file\`), it
# seeds the built-in Go workshop shown here. See the README, "Seeding a workshop".
seed:
  # groups:
  #   - path: modules
  #   - path: services
  # projects:
  #   - path: modules/mail
  #     template: go-module             # go-module or go-service
  #     allow: [services/sendbox]       # the job token allowlist: jobs that may fetch this project
  #   - path: services/sendbox
  #     template: go-service
  #     with: { module: modules/mail }  # the go-module project it imports
  #     variables:                      # project CI/CD variables
  #       - { key: GOPRIVATE, value: "{{lab:gitlab_host}}" }
  # variables:                          # instance CI/CD variables
  #   - { key: CA_CERTIFICATE, type: file, from: lab-ca }
  # attendees: 0                        # a number, or a list of usernames; each gets a copy
`;
}
