// The GitLab double's groups, projects, repositories and Git over HTTP, driven from the
// outside: REST calls to the container and the real `git` client of this machine.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, requireDocker } from '../helpers/docker.js';
import { runLabelArgs } from '../helpers/run-label.js';
import { tempDir } from '../helpers/tmp.js';
import { GitlabDouble } from './gitlab-double.js';

const hasDocker = await requireDocker();
const gl = new GitlabDouble('glp', 'https', true);
type U = Awaited<ReturnType<GitlabDouble['user']>>;
let dev: U; // Developer in the group
let rep: U; // Reporter in the group
let out: U; // no membership
let readOnly: U; // a token with read_repository only
let work: string;
let groupId: number;

const DENIED_401 =
  "HTTP Basic: Access denied. If a password was provided for Git authentication, the password was incorrect or you're required to use a token instead of a password. If a token was provided, it was either incorrect, expired, or improperly scoped.";
const NOT_FOUND = "The project you were looking for could not be found or you don't have permission to view it.";

beforeAll(async () => {
  if (!hasDocker) return;
  work = await tempDir('lab-glp-');
  await gl.start();
  [dev, rep, out] = await Promise.all([gl.user('dev'), gl.user('rep'), gl.user('out')]);
  readOnly = {
    ...dev,
    token: (await gl.api(`/users/${dev.id}/personal_access_tokens`, { method: 'POST', body: { name: 'ro', scopes: ['read_repository'] } }))
      .json.token,
  };
  const g = await gl.api('/groups', { method: 'POST', body: { name: 'Class A', path: 'class-a' } });
  groupId = g.json.id;
  await gl.api(`/groups/${groupId}/members`, { method: 'POST', body: { user_id: dev.id, access_level: 30 } });
  await gl.api(`/groups/${groupId}/members`, { method: 'POST', body: { user_id: rep.id, access_level: 20 } });
});

afterAll(async () => {
  if (hasDocker) await gl.stop();
});

describe.skipIf(!hasDocker)('gitlab double: groups and members', () => {
  it('creates, finds (by id, encoded path, search) and refuses a taken path with GitLab wording', async () => {
    const byPath = await gl.api('/groups/class-a');
    expect(byPath.status).toBe(200);
    expect(byPath.json).toMatchObject({
      id: groupId,
      full_path: 'class-a',
      visibility: 'private',
      web_url: `${gl.externalUrl}/groups/class-a`,
    });
    const sub = await gl.api('/groups', { method: 'POST', body: { name: 'Team 1', path: 'team-1', parent_id: groupId } });
    expect(sub.status).toBe(201);
    expect((await gl.api(`/groups/${encodeURIComponent('class-a/team-1')}`)).json.id).toBe(sub.json.id);
    const dup = await gl.api('/groups', { method: 'POST', body: { name: 'Other', path: 'class-a' } });
    expect(dup.status).toBe(400);
    expect(dup.json.message).toBe('Failed to save group {:path=>["has already been taken"]}');
    expect((await gl.api('/groups', { method: 'POST', body: { name: 'x' } })).json).toEqual({ error: 'path is missing' });
    const found = await gl.api('/groups?search=team');
    expect(found.json.map((x: { full_path: string }) => x.full_path)).toEqual(['class-a/team-1']);
  });

  it('hides a private group from non-members and lets only owners add members', async () => {
    expect((await gl.api('/groups/class-a', { token: out.token })).status).toBe(404);
    expect((await gl.fetch('/api/v4/groups/class-a')).status).toBe(404);
    expect((await gl.api('/groups/class-a', { token: rep.token })).status).toBe(200);
    const byDev = await gl.api(`/groups/${groupId}/members`, {
      token: dev.token,
      method: 'POST',
      body: { user_id: out.id, access_level: 10 },
    });
    expect(byDev.status).toBe(403);
    const again = await gl.api(`/groups/${groupId}/members`, { method: 'POST', body: { user_id: dev.id, access_level: 30 } });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ message: 'Member already exists' });
    const members = await gl.api(`/groups/${groupId}/members`);
    expect(members.json.map((m: { username: string; access_level: number }) => [m.username, m.access_level])).toEqual([
      ['root', 50],
      ['dev', 30],
      ['rep', 20],
    ]);
  });

  it('finds users by username and lets only admins delete them', async () => {
    const u = await gl.api('/users?username=OUT');
    expect(u.json).toHaveLength(1);
    expect(u.json[0]).toMatchObject({ id: out.id, username: 'out', state: 'active' });
    const doomed = await gl.user('doomed');
    expect((await gl.api(`/users/${doomed.id}`, { method: 'DELETE', token: dev.token })).status).toBe(403);
    expect((await gl.api(`/users/${doomed.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await gl.api(`/users/${doomed.id}`)).status).toBe(404);
  });
});

describe.skipIf(!hasDocker)('gitlab double: projects', () => {
  it('creates a project with a real repository and a README commit on main', async () => {
    const p = await gl.api('/projects', {
      method: 'POST',
      body: { name: 'Hello', path: 'hello', namespace_id: groupId, initialize_with_readme: true },
    });
    expect(p.status).toBe(201);
    expect(p.json).toMatchObject({
      path_with_namespace: 'class-a/hello',
      default_branch: 'main',
      visibility: 'private',
      http_url_to_repo: `${gl.externalUrl}/class-a/hello.git`,
      namespace: { id: groupId, kind: 'group', full_path: 'class-a' },
      empty_repo: false,
    });
    const branches = await gl.api('/projects/class-a%2Fhello/repository/branches', { token: rep.token });
    expect(branches.json.map((b: { name: string; protected: boolean; default: boolean }) => [b.name, b.protected, b.default])).toEqual([
      ['main', true, true],
    ]);
    const readme = await gl.api('/projects/class-a%2Fhello/repository/files/README.md/raw?ref=main', { token: rep.token });
    expect(readme.status).toBe(200);
    expect(readme.text.startsWith('# Hello\n')).toBe(true);
  });

  it('lets a Developer create in the group, but not make the initial push of the README to the protected default branch', async () => {
    const p = await gl.api('/projects', {
      token: dev.token,
      method: 'POST',
      body: { name: 'Dev Proj', namespace_id: groupId, initialize_with_readme: true },
    });
    expect(p.status).toBe(201);
    expect(p.json).toMatchObject({ path: 'dev-proj', empty_repo: true, default_branch: null });
    expect((await gl.api(`/projects/${p.json.id}`, { token: dev.token })).json.permissions).toEqual({
      project_access: null,
      group_access: { access_level: 30, notification_level: 3 },
    });
  });

  it("refuses a namespace the caller may not create in and a taken path; caps visibility at the group's", async () => {
    const asRep = await gl.api('/projects', { token: rep.token, method: 'POST', body: { name: 'x', namespace_id: groupId } });
    expect(asRep.status).toBe(400);
    expect(asRep.json).toEqual({ message: { namespace: ['is not valid'] } });
    const taken = await gl.api('/projects', { method: 'POST', body: { name: 'Hello2', path: 'hello', namespace_id: groupId } });
    expect(taken.json).toEqual({ message: { path: ['has already been taken'] } });
    const loud = await gl.api('/projects', { method: 'POST', body: { name: 'pub', namespace_id: groupId, visibility: 'public' } });
    expect(loud.status).toBe(201);
    expect(loud.json.visibility).toBe('private');
    expect((await gl.api('/projects', { method: 'POST', body: {} })).json).toEqual({
      error: 'name, path are missing, at least one parameter must be provided',
    });
  });

  it('shows a private project to members only (404 otherwise) and a public one to anyone', async () => {
    expect((await gl.api('/projects/class-a%2Fhello', { token: out.token })).status).toBe(404);
    expect((await gl.fetch('/api/v4/projects/class-a%2Fhello')).json).toEqual({ message: '404 Project Not Found' });
    const own = await gl.api('/projects', { token: out.token, method: 'POST', body: { name: 'open', visibility: 'public' } });
    expect(own.json.path_with_namespace).toBe('out/open');
    expect((await gl.fetch('/api/v4/projects/out%2Fopen')).status).toBe(200);
    const mine = (await gl.api('/projects?membership=true', { token: rep.token })).json.map(
      (p: { path_with_namespace: string }) => p.path_with_namespace,
    );
    expect(mine).toContain('class-a/hello');
    expect(mine).not.toContain('out/open');
    const owned = await gl.api('/projects?owned=true&search=ope', { token: out.token });
    expect(owned.json.map((p: { path_with_namespace: string }) => p.path_with_namespace)).toEqual(['out/open']);
  });

  it('deletes in two steps as GitLab 18+: marked for deletion (path freed), then permanently removed', async () => {
    const p = await gl.api('/projects', { method: 'POST', body: { name: 'gone', namespace_id: groupId } });
    expect((await gl.api(`/projects/${p.json.id}`, { method: 'DELETE', token: dev.token })).status).toBe(403);
    expect((await gl.api(`/projects/${p.json.id}?permanently_remove=true&full_path=class-a/gone`, { method: 'DELETE' })).json).toEqual({
      message: 'Project must be marked for deletion first.',
    });
    const del = await gl.api(`/projects/${p.json.id}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    const marked = await gl.api(`/projects/${p.json.id}`);
    expect(marked.json.path_with_namespace).toBe(`class-a/gone-deletion_scheduled-${p.json.id}`);
    expect((await gl.api('/projects', { method: 'POST', body: { name: 'gone', namespace_id: groupId } })).status).toBe(201);
    const full = encodeURIComponent(marked.json.path_with_namespace);
    expect((await gl.api(`/projects/${p.json.id}?permanently_remove=true&full_path=${full}`, { method: 'DELETE' })).status).toBe(202);
    expect((await gl.api(`/projects/${p.json.id}`)).status).toBe(404);
  });
});

describe.skipIf(!hasDocker)('gitlab double: repository API', () => {
  const commit = (body: unknown, token = dev.token) =>
    gl.api('/projects/class-a%2Fhello/repository/commits', { method: 'POST', token, body });

  it('commits create/update/move/delete actions (text and base64) with real git, on a new branch from start_branch', async () => {
    const c = await commit({
      branch: 'feature',
      start_branch: 'main',
      commit_message: 'Add files',
      actions: [
        { action: 'create', file_path: 'a.txt', content: 'one\n' },
        { action: 'create', file_path: 'dir/b.bin', content: Buffer.from([0, 1, 2]).toString('base64'), encoding: 'base64' },
        { action: 'update', file_path: 'README.md', content: 'changed\n' },
      ],
    });
    expect(c.status).toBe(201);
    expect(c.json).toMatchObject({ title: 'Add files', author_name: 'dev', author_email: 'dev@example.com' });
    const c2 = await commit({
      branch: 'feature',
      commit_message: 'Move',
      actions: [
        { action: 'move', previous_path: 'a.txt', file_path: 'moved.txt' },
        { action: 'delete', file_path: 'dir/b.bin' },
      ],
    });
    expect(c2.json.parent_ids).toEqual([c.json.id]);
    expect((await gl.api('/projects/class-a%2Fhello/repository/files/moved.txt/raw?ref=feature')).text).toBe('one\n');
    expect((await gl.api('/projects/class-a%2Fhello/repository/files/a.txt/raw?ref=feature')).json).toEqual({
      message: '404 File Not Found',
    });
    const branch = await gl.api('/projects/class-a%2Fhello/repository/branches/feature');
    expect(branch.json).toMatchObject({ name: 'feature', protected: false, commit: { id: c2.json.id } });
    expect((await gl.api('/projects/class-a%2Fhello/repository/branches/nope')).json).toEqual({ message: '404 Branch Not Found' });
  });

  it('refuses with the wording of Commits::CreateService and Gitaly', async () => {
    const exists = await commit({
      branch: 'feature',
      commit_message: 'x',
      actions: [{ action: 'create', file_path: 'moved.txt', content: 'x' }],
    });
    expect(exists.status).toBe(400);
    expect(exists.json).toEqual({ message: 'A file with this name already exists' });
    const missing = await commit({
      branch: 'feature',
      commit_message: 'x',
      actions: [{ action: 'update', file_path: 'none.txt', content: 'x' }],
    });
    expect(missing.json).toEqual({ message: "A file with this name doesn't exist" });
    const noStart = await commit({
      branch: 'f2',
      start_branch: 'nope',
      commit_message: 'x',
      actions: [{ action: 'create', file_path: 'x', content: 'x' }],
    });
    expect(noStart.json).toEqual({ message: 'You can only create or edit files when you are on a branch' });
    const protectedMain = await commit({
      branch: 'main',
      commit_message: 'x',
      actions: [{ action: 'create', file_path: 'x', content: 'x' }],
    });
    expect(protectedMain.status).toBe(403);
    expect(protectedMain.json).toEqual({ message: '403 Forbidden - You are not allowed to push into this branch' });
    const bad = await commit({ branch: 'feature', commit_message: 'x', actions: [{ action: 'chown', file_path: 'x' }] });
    expect(bad.json).toEqual({ error: 'actions[0][action] does not have a valid value' });
  });

  it('creates and lists tags, and enforces protected tags', async () => {
    const t = await gl.api('/projects/class-a%2Fhello/repository/tags', {
      method: 'POST',
      token: dev.token,
      body: { tag_name: 'v1.0.0', ref: 'main', message: 'First' },
    });
    expect(t.status).toBe(201);
    expect(t.json).toMatchObject({ name: 'v1.0.0', message: 'First', protected: false });
    expect(
      (await gl.api('/projects/class-a%2Fhello/repository/tags', { method: 'POST', body: { tag_name: 'v1.0.0', ref: 'main' } })).json,
    ).toEqual({ message: 'Tag v1.0.0 already exists' });
    expect(
      (await gl.api('/projects/class-a%2Fhello/repository/tags', { method: 'POST', body: { tag_name: 'v9', ref: 'nope' } })).json,
    ).toEqual({ message: 'Target nope is invalid' });
    const pt = await gl.api('/projects/class-a%2Fhello/protected_tags', { method: 'POST', body: { name: 'release-*' } });
    expect(pt.status).toBe(201);
    expect(pt.json).toMatchObject({
      name: 'release-*',
      create_access_levels: [{ access_level: 40, access_level_description: 'Maintainers' }],
    });
    expect((await gl.api('/projects/class-a%2Fhello/protected_tags', { method: 'POST', body: { name: 'release-*' } })).status).toBe(422);
    expect((await gl.api('/projects/class-a%2Fhello/protected_tags', { token: dev.token })).status).toBe(403);
    const refused = await gl.api('/projects/class-a%2Fhello/repository/tags', {
      method: 'POST',
      token: dev.token,
      body: { tag_name: 'release-1', ref: 'main' },
    });
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ message: 'You are not allowed to create this tag as it is protected.' });
    const tags = await gl.api('/projects/class-a%2Fhello/repository/tags');
    expect(tags.json.map((x: { name: string }) => x.name)).toEqual(['v1.0.0']);
  });
});

describe.skipIf(!hasDocker)('gitlab double: Git over HTTP with the real git client', () => {
  it('clones with a token (any username) or the password; anonymous and wrong credentials get 401 Basic realm="GitLab"', async () => {
    const a = await gl.git(['clone', '-q', gl.url('class-a/hello.git', 'whatever', rep.token), join(work, 'c1')]);
    expect(a.exitCode, a.stderr).toBe(0);
    const b = await gl.git(['clone', '-q', gl.url('class-a/hello.git', 'rep', rep.password), join(work, 'c2')]);
    expect(b.exitCode, b.stderr).toBe(0);
    const anon = await gl.fetch('/class-a/hello.git/info/refs?service=git-upload-pack');
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Basic realm="GitLab"');
    expect(anon.text).toContain(DENIED_401);
    const wrong = await gl.git(['ls-remote', gl.url('class-a/hello.git', 'rep', 'nope')]);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toContain(`remote: ${DENIED_401}`);
  });

  it('redirects /<path>/info/refs to the .git URL, so clones without .git work', async () => {
    const r = await gl.fetch('/class-a/hello/info/refs?service=git-upload-pack');
    expect(r.status).toBe(301);
    expect(r.headers.get('location')).toBe(`${gl.externalUrl}/class-a/hello.git/info/refs?service=git-upload-pack`);
    const c = await gl.git(['clone', '-q', gl.url('class-a/hello', 'x', rep.token), join(work, 'c3')]);
    expect(c.exitCode, c.stderr).toBe(0);
  });

  it('hides private projects from outsiders with GitAccess wording (404), and refuses a read-only token a push', async () => {
    const r = await gl.git(['ls-remote', gl.url('class-a/hello.git', 'out', out.token)]);
    expect(r.stderr).toContain(`remote: ${NOT_FOUND}`);
    const push = await gl.fetch('/class-a/hello.git/info/refs?service=git-receive-pack', {
      headers: { Authorization: `Basic ${Buffer.from(`x:${readOnly.token}`).toString('base64')}` },
    });
    expect(push.status).toBe(403);
    expect(push.text).toBe('You are not allowed to upload code.');
  });

  it('lets a developer push a branch, refuses reporters and the protected default branch with GitLab messages', async () => {
    const dir = join(work, 'c1');
    await writeFile(join(dir, 'dev.txt'), 'hi\n');
    await gl.git(['add', '.'], { cwd: dir });
    await gl.git(['-c', 'user.name=d', '-c', 'user.email=d@x', 'commit', '-qm', 'dev'], { cwd: dir });
    const asRep = await gl.git(['push', gl.url('class-a/hello.git', 'rep', rep.token), 'HEAD:topic'], { cwd: dir });
    expect(asRep.stderr).toContain('remote: You are not allowed to push code to this project.');
    const main = await gl.git(['push', gl.url('class-a/hello.git', 'dev', dev.token), 'HEAD:main'], { cwd: dir });
    expect(main.exitCode).not.toBe(0);
    expect(main.stderr).toContain('remote: GitLab: You are not allowed to push code to protected branches on this project.');
    expect(main.stderr).toContain('(pre-receive hook declined)');
    const topic = await gl.git(['push', gl.url('class-a/hello.git', 'dev', dev.token), 'HEAD:topic'], { cwd: dir });
    expect(topic.exitCode, topic.stderr).toBe(0);
    expect(topic.stderr).toContain(`${gl.externalUrl}/class-a/hello/-/merge_requests/new?merge_request%5Bsource_branch%5D=topic`);
    const tag = await gl.git(['push', gl.url('class-a/hello.git', 'dev', dev.token), 'HEAD:refs/tags/release-2'], { cwd: dir });
    expect(tag.stderr).toContain('remote: GitLab: You are not allowed to create this tag as it is protected.');
    const asAdmin = await gl.git(['push', gl.url('class-a/hello.git', 'root', gl.adminToken), 'HEAD:main'], { cwd: dir });
    expect(asAdmin.exitCode, asAdmin.stderr).toBe(0);
    const rewind = await gl.git(['push', '--force', gl.url('class-a/hello.git', 'root', gl.adminToken), 'HEAD~1:main'], { cwd: dir });
    expect(rewind.stderr).toContain('remote: GitLab: You are not allowed to force push code to a protected branch on this project.');
  });
});

describe.skipIf(!hasDocker)('gitlab double: ?go-get=1', () => {
  it('answers the go-import meta for a project path and its subpackages', async () => {
    const r = await gl.fetch('/out/open/pkg/sub?go-get=1');
    expect(r.status).toBe(200);
    expect(r.text).toContain(`<meta name="go-import" content="${gl.host}/out/open git ${gl.externalUrl}/out/open.git" />`);
    expect(r.text).toContain(`<body>go get ${gl.externalUrl}/out/open</body>`);
  });

  it('never reveals a private nested project without credentials; finds it with a password or an api token', async () => {
    const p = await gl.api('/projects', {
      method: 'POST',
      body: { name: 'lib', namespace_id: (await gl.api('/groups/class-a%2Fteam-1')).json.id, initialize_with_readme: true },
    });
    expect(p.status).toBe(201);
    const anon = await gl.fetch('/class-a/team-1/lib/pkg?go-get=1');
    expect(anon.text).toContain(`content="${gl.host}/class-a/team-1 git ${gl.externalUrl}/class-a/team-1.git"`);
    const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const withPassword = await gl.fetch('/class-a/team-1/lib/pkg?go-get=1', { headers: basic('rep', rep.password) });
    expect(withPassword.text).toContain(`content="${gl.host}/class-a/team-1/lib git ${gl.externalUrl}/class-a/team-1/lib.git"`);
    const readRepoOnly = await gl.fetch('/class-a/team-1/lib/pkg?go-get=1', { headers: basic('dev', readOnly.token) });
    expect(readRepoOnly.text).toContain(`content="${gl.host}/class-a/team-1 git`);
    const outsider = await gl.fetch('/class-a/team-1/lib/pkg?go-get=1', { headers: basic('out', out.token) });
    expect(outsider.text).toContain(`content="${gl.host}/class-a/team-1 git`);
  });

  it('answers 404 for a project whose repository is still empty', async () => {
    await gl.api('/projects', { method: 'POST', body: { name: 'empty', namespace_id: groupId } });
    const r = await gl.fetch('/class-a/empty?go-get=1', {
      headers: { Authorization: `Basic ${Buffer.from(`root:${gl.adminToken}`).toString('base64')}` },
    });
    expect(r.status).toBe(404);
    expect(r.text).toBe(`<html><body>go get ${gl.externalUrl}/class-a/empty</body></html>`);
  });
});

describe.skipIf(!hasDocker)('gitlab double: real `go get` of a private module (GOPRIVATE + .netrc)', () => {
  /** `go get` in lab-fixture/golang on the double's network, with `login`/`password` in ~/.netrc. */
  const goGet = (login: string, password: string) =>
    docker(
      [
        'run',
        '--rm',
        ...runLabelArgs(),
        '--network',
        gl.net,
        '--add-host',
        `${gl.host}:${gl.proxyIp}`,
        '-v',
        `${gl.caFile}:/certs/ca.pem:ro`,
        '-e',
        'SSL_CERT_FILE=/certs/ca.pem',
        '-e',
        'GIT_SSL_CAINFO=/certs/ca.pem',
        '-e',
        `GOPRIVATE=${gl.host}`,
        '-e',
        'GOPROXY=direct',
        '--entrypoint',
        'sh',
        'lab-fixture/golang',
        '-c',
        `printf 'machine ${gl.host} login ${login} password ${password}\\n' > ~/.netrc && mkdir /app && cd /app && go mod init example.com/app >/dev/null 2>&1 && go get ${gl.host}/class-a/team-1/lib@main`,
      ],
      { reject: false },
    );

  it('fetches a module from a nested private project with an api token, and not with a read_repository token', async () => {
    const files = [
      { action: 'create', file_path: 'go.mod', content: `module ${gl.host}/class-a/team-1/lib\n\ngo 1.19\n` },
      { action: 'create', file_path: 'lib.go', content: 'package lib\n\nfunc Hello() string { return "hi" }\n' },
    ];
    const c = await gl.api('/projects/class-a%2Fteam-1%2Flib/repository/commits', {
      method: 'POST',
      body: { branch: 'main', commit_message: 'module', actions: files },
    });
    expect(c.status).toBe(201);
    const ok = await goGet('dev', dev.token);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(`go: added ${gl.host}/class-a/team-1/lib v0.0.0-`);
    // go.rb answers for `class-a/team-1` without read_project: git then asks for a project that does not exist.
    const ro = await goGet('dev', readOnly.token);
    expect(ro.exitCode).not.toBe(0);
    expect(ro.stderr).toContain(NOT_FOUND);
  });
});
