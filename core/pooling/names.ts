// Pure naming and fit rules of database pooling: what an app's database and user are called, which
// stacks hold the servers, and whether a need fits the shared pool or gets a dedicated server.
import { createHash } from 'node:crypto';
import semver from 'semver';
import type { DatabaseEngine, DatabaseEntry, ServerInfo } from '../providers/database-pool.js';

/** `[a-z0-9_]` only: lower-cased, everything else (quotes, semicolons, unicode...) becomes `_`, runs collapsed. */
export function sanitise(s: string): string {
  return s
    .normalize('NFKD')
    // Accents come apart from their letters under NFKD; dropping the marks keeps `é` readable as `e`.
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const hash6 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 6);

/**
 * `wn_<app>_<ref>` within `max` characters. When sanitising changed the id or the name is too long, a
 * hash of the original app id and ref is appended, so that two ids that sanitise alike (`a-b`, `a_b`,
 * `a"b`) never share a database.
 */
export function poolName(app: string, ref: string, max: number): string {
  const base = `wn_${sanitise(app) || 'app'}_${sanitise(ref) || 'db'}`;
  // Exact only for `[a-z0-9]` words joined by single `-` and a ref without `_`: then the name parses back uniquely.
  const exact = sanitise(app) === app.replaceAll('-', '_') && !app.includes('_') && sanitise(ref) === ref && !ref.includes('_');
  if (exact && base.length <= max) return base;
  const suffix = `_${hash6(`${app}\0${ref}`)}`;
  return base.slice(0, max - suffix.length).replace(/_+$/, '') + suffix;
}

export function poolNames(app: string, ref: string, limits: { database: number; user: number }): { database: string; user: string } {
  return { database: poolName(app, ref, limits.database), user: poolName(app, ref, limits.user) };
}

/** Compose project (and private network, and host alias) of a device's shared server. */
export const pooledProject = (engine: DatabaseEngine, namespace = 'warren'): string => `${namespace}-pool-${engine}`;

/** Compose project of an app's own server: `[a-z0-9-]`, hashed when shortened. */
export function dedicatedProject(app: string, ref: string, namespace = 'warren'): string {
  const base = `${namespace}-db-${sanitise(app).replaceAll('_', '-')}-${sanitise(ref).replaceAll('_', '-')}`.replace(/-+/g, '-');
  return base.length <= 60 ? base : `${base.slice(0, 53).replace(/-+$/, '')}-${hash6(`${app}\0${ref}`)}`;
}

export interface DatabaseNeed {
  ref: string;
  engine: DatabaseEngine;
  /** A semver range of server versions, e.g. `>=14 <17`. */
  versions?: string;
  extensions?: string[];
  dedicated?: boolean;
}

/** Why a need cannot live in the shared server, or undefined when it can. */
export function dedicatedReason(need: DatabaseNeed, pool: Pick<ServerInfo, 'version' | 'extensionsAvailable'>): string | undefined {
  if (need.dedicated) return 'the app asks for a server of its own';
  if (need.versions && !versionSatisfies(pool.version, need.versions)) return `needs ${need.engine} ${need.versions}; the shared server runs ${pool.version}`;
  const missing = (need.extensions ?? []).filter((e) => !pool.extensionsAvailable.includes(e));
  if (missing.length) return `needs the extension${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the shared server's image does not have`;
  return undefined;
}

export function versionSatisfies(version: string, range: string): boolean {
  const v = semver.coerce(version);
  return v !== null && semver.satisfies(v, range);
}

/** The newest release tag within `range` (tags are the driver's, newest first); undefined when none fits. */
export function releaseFor(releases: string[], range: string | undefined): string | undefined {
  return range ? releases.find((r) => versionSatisfies(r, range)) : undefined;
}

/** `postgres:16` + `15` → `postgres:15`; a digest or registry port is kept apart from the tag. */
export function withTag(image: string, tag: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  const repo = colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
  return `${repo}:${tag}`;
}

export interface ConnectionBudget {
  ok: boolean;
  /** Connections promised to apps already in the server (their users' limits). */
  promised: number;
  requested: number;
  reserved: number;
  max: number;
  message: string;
}

/**
 * Each app's user has a connection limit; the server must be able to honour all of them at once plus
 * a reserve for the admin and maintenance, or one busy app starves the others.
 */
export function connectionBudget(entries: Pick<DatabaseEntry, 'connectionLimit'>[], requested: number, reserved: number, max: number, fallbackLimit: number): ConnectionBudget {
  const promised = entries.reduce((sum, e) => sum + (e.connectionLimit ?? fallbackLimit), 0);
  const ok = promised + requested + reserved <= max;
  return {
    ok,
    promised,
    requested,
    reserved,
    max,
    message: `${entries.length} app database(s) hold ${promised} connections, this one asks for ${requested} and ${reserved} stay reserved: ${promised + requested + reserved} of max_connections ${max}`,
  };
}
