// Catalog sources kept in a git repository: cloned shallowly into the data directory with the git CLI
// and fetched again on every refresh. A failed fetch leaves the last good checkout in place.
// The URL never reaches a shell: git runs from an argv, the URL follows `--` or sits in config we wrote,
// and option-like, transport-helper (`ext::`, `fd::`) and control-character URLs are refused up front.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WarrenError } from '../errors.js';

export interface GitLocation {
  /** The repository URL without the `#ref` suffix (and without a `git+` prefix). */
  url: string;
  /** Branch, tag or commit after `#`; the remote's default branch when absent. */
  ref?: string;
}

const REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;

/** True for locations that name a git store rather than a folder or an HTTP index. */
export function isGitLocation(location: string): boolean {
  const base = location.split('#')[0]!;
  if (/^git\+/i.test(base)) return true;
  // Transport-helper syntax is claimed as git so that it is refused rather than read as a folder name.
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(base)) return true;
  if (/^(git|ssh|file):\/\//i.test(base)) return true;
  if (/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(base)) return true;
  return /^https?:\/\/.+\.git\/?$/i.test(base);
}

/**
 * Splits and checks a git location: `https://host/x.git#main`, `git@host:o/x.git`, `ssh://…`, `git://…`,
 * `file:///srv/x.git`, or `git+https://host/x` for an HTTP repository whose path does not end in `.git`.
 */
export function parseGitLocation(location: string): GitLocation {
  const bad = (message: string, hint?: string): never => {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `git catalog source "${location.slice(0, 200)}": ${message}`, {
      details: [{ path: '/catalog/sources', message }],
      hint: hint ?? 'use https://host/owner/repo.git, git@host:owner/repo.git, ssh://, git:// or file:///path/repo.git, optionally followed by #branch',
    });
  };
  if (typeof location !== 'string' || location.length === 0 || location.length > 2000) bad('must be a URL of at most 2000 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s]/.test(location)) bad('must not contain spaces or control characters');
  const hash = location.indexOf('#');
  let url = hash >= 0 ? location.slice(0, hash) : location;
  const ref = hash >= 0 ? location.slice(hash + 1) : undefined;
  url = url.replace(/^git\+/i, '');
  if (url.startsWith('-')) bad('must not start with "-"');
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url)) bad('transport helpers such as ext:: and fd:: are not allowed');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme) {
    if (!['https', 'http', 'ssh', 'git', 'file'].includes(scheme)) bad(`the ${scheme}:// transport is not allowed`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return bad('is not a valid URL');
    }
    if (scheme !== 'file' && (!parsed.hostname || url.slice(scheme.length + 3).startsWith('/'))) bad('names no host');
    if (scheme === 'file' && parsed.pathname.length < 2) bad('names no repository path');
  } else if (!/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._~/-]+$/.test(url)) {
    bad('is neither a URL nor an scp-like user@host:path');
  }
  if (ref !== undefined) {
    if (!REF_PATTERN.test(ref) || ref.includes('..') || ref.endsWith('.lock') || ref.endsWith('/')) {
      bad(`"#${ref.slice(0, 100)}" is not a branch, tag or commit name`, 'after # give a branch, tag or commit such as #main or #v1.2');
    }
  }
  return { url, ...(ref ? { ref } : {}) };
}

/** The folder a git source is checked out in, stable for one URL and ref. */
export function gitCheckoutDir(baseDir: string, loc: GitLocation): string {
  const digest = createHash('sha256').update(`${loc.url}#${loc.ref ?? ''}`).digest('hex').slice(0, 16);
  const name = loc.url.replace(/\.git\/?$/i, '').split(/[/:]/).filter(Boolean).pop() ?? 'repo';
  return join(baseDir, `${name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40)}-${digest}`);
}

// Never prompt, never run a transport helper, never follow a redirect to another protocol.
const GIT_CONFIG = [
  '-c', 'protocol.allow=never',
  '-c', 'protocol.https.allow=always',
  '-c', 'protocol.http.allow=always',
  '-c', 'protocol.ssh.allow=always',
  '-c', 'protocol.git.allow=always',
  '-c', 'protocol.file.allow=always',
  '-c', 'core.askPass=',
  '-c', 'credential.helper=',
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'advice.detachedHead=false',
];

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'SSH_AUTH_SOCK', 'GIT_SSH_COMMAND', 'GIT_SSH', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'GIT_SSL_CAINFO', 'SSL_CERT_FILE']) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_ASKPASS = '';
  env.SSH_ASKPASS = '';
  env.GIT_PROTOCOL_FROM_USER = '0';
  if (!env.GIT_SSH_COMMAND && !env.GIT_SSH) env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes -o ConnectTimeout=15';
  return env;
}

function run(args: string[], opts: { cwd?: string; timeoutMs: number; signal?: AbortSignal }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...GIT_CONFIG, ...args], { cwd: opts.cwd, env: gitEnv(), timeout: opts.timeoutMs, maxBuffer: 4 * 1024 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      const text = String(stderr || '').trim().split('\n').filter((l) => l && !l.startsWith('hint:')).slice(-3).join('; ');
      if (e.code === 'ENOENT') reject(new WarrenError('WARREN_ERR_NOT_READY', 'the git command is not installed', { hint: 'install git on the hub host to use git catalog sources' }));
      else if (e.killed || e.name === 'AbortError') reject(new WarrenError('WARREN_ERR_TIMEOUT', `git ${args[0]} did not finish in ${Math.round(opts.timeoutMs / 1000)} s`));
      else reject(new Error(text || e.message));
    });
  });
}

function fetchHint(url: string): string {
  if (/^https?:/i.test(url)) return 'check the URL and that the hub can reach the host; private repositories need an SSH URL with a key loaded for the hub user';
  if (/^file:/i.test(url)) return 'check that the path exists and is a git repository readable by the hub user';
  return 'check the URL, that the hub can reach the host and that the hub user has an SSH key the server accepts';
}

/**
 * Brings the checkout of `loc` in `dir` up to date: a shallow clone the first time (into a temporary
 * folder renamed into place, so a failed first fetch leaves nothing), a shallow fetch and hard reset after.
 * Returns the checked-out commit. On failure throws WARREN_ERR_DEVICE_UNREACHABLE and the old checkout stays.
 */
export async function syncGit(loc: GitLocation, dir: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const ref = loc.ref ?? 'HEAD';
  const base = { timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) };
  const fetchInto = async (cwd: string) => {
    try {
      await run(['fetch', '--quiet', '--depth', '1', '--no-tags', 'origin', ref], { ...base, cwd });
    } catch (e) {
      if (e instanceof WarrenError && e.code !== 'WARREN_ERR_TIMEOUT') throw e;
      throw new WarrenError('WARREN_ERR_DEVICE_UNREACHABLE', `could not fetch ${loc.url}${loc.ref ? `#${loc.ref}` : ''}: ${(e as Error).message}`, { hint: fetchHint(loc.url), cause: e });
    }
    await run(['reset', '--quiet', '--hard', 'FETCH_HEAD'], { ...base, cwd });
    await run(['clean', '--quiet', '-ffdx'], { ...base, cwd });
    return (await run(['rev-parse', 'HEAD'], { ...base, cwd })).trim();
  };
  if (existsSync(join(dir, '.git'))) {
    // The remote URL is ours to keep in step with the source (it is written as config, never parsed as an option).
    await run(['config', 'remote.origin.url', loc.url], { ...base, cwd: dir });
    return fetchInto(dir);
  }
  await mkdir(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await run(['init', '--quiet', '--', tmp], base);
    await run(['config', 'remote.origin.url', loc.url], { ...base, cwd: tmp });
    await run(['config', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*'], { ...base, cwd: tmp });
    const head = await fetchInto(tmp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return head;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
