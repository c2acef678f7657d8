// Provider configuration: validated against the provider's JSON Schema before the plugin sees it
// (every error with its path), migrated across config versions, and split so that fields marked
// `"x-secret": true` are stored encrypted and never returned.
import AjvModule, { type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { WarrenError, type ErrorDetail } from '../errors.js';
import type { JsonSchema } from './types.js';

// ajv and ajv-formats are CommonJS with a default export; under ESM the constructor sits on .default.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as typeof AjvModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as typeof addFormatsModule.default;

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false });
addFormats(ajv);
ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });

const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();

export function ajvErrorsToDetails(errors: ErrorObject[] | null | undefined, base = ''): ErrorDetail[] {
  return (errors ?? []).map((e) => {
    let path = base + (e.instancePath || '');
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      path += `/${(e.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      path += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
      message = 'is not a known setting';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    return { path: path || '/', message };
  });
}

/** Validates (and fills defaults into a copy of) `config`; throws WARREN_ERR_PLUGIN_CONFIG listing every error. */
export function validateConfig(schema: JsonSchema, config: unknown, what: string): Record<string, unknown> {
  let validate = compiled.get(schema);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (e) {
      throw new WarrenError('WARREN_ERR_PLUGIN_MANIFEST', `${what}: its config schema is not valid JSON Schema: ${(e as Error).message}`);
    }
    compiled.set(schema, validate);
  }
  const copy = structuredClone(config ?? {}) as Record<string, unknown>;
  if (!validate(copy)) {
    const details = dedupe(ajvErrorsToDetails(validate.errors));
    throw new WarrenError('WARREN_ERR_PLUGIN_CONFIG', `${what}: configuration is invalid (${details.length} problem${details.length === 1 ? '' : 's'})`, {
      details,
      hint: 'Fix the settings listed in details; the form in the UI shows what each one expects.',
    });
  }
  return copy;
}

function dedupe(details: ErrorDetail[]): ErrorDetail[] {
  const seen = new Set<string>();
  return details.filter((d) => {
    const k = `${d.path}\u0000${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

type Json = unknown;

function schemaAlternatives(schema: JsonSchema | undefined): JsonSchema[] {
  if (!schema || typeof schema !== 'object') return [];
  const alts = [schema];
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) for (const s of list) alts.push(...schemaAlternatives(s as JsonSchema));
  }
  if (schema.then) alts.push(...schemaAlternatives(schema.then as JsonSchema));
  if (schema.else) alts.push(...schemaAlternatives(schema.else as JsonSchema));
  return alts;
}

function propertySchemas(schema: JsonSchema | undefined, key: string): JsonSchema[] {
  return schemaAlternatives(schema).flatMap((s) => {
    const props = s.properties as Record<string, JsonSchema> | undefined;
    return props && props[key] ? schemaAlternatives(props[key]) : [];
  });
}

/** JSON pointers (e.g. `/connection/privateKey`) of every secret field present in `config`. */
export function secretPaths(schema: JsonSchema, config: Json, base = ''): string[] {
  if (!config || typeof config !== 'object' || Array.isArray(config)) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(config as Record<string, Json>)) {
    const schemas = propertySchemas(schema, key);
    const path = `${base}/${escapePointer(key)}`;
    if (schemas.some((s) => s['x-secret'] === true)) {
      if (value !== undefined && value !== null && value !== '') out.push(path);
    } else {
      for (const s of schemas) out.push(...secretPaths(s, value, path));
    }
  }
  return [...new Set(out)];
}

/** Splits a config into what can be stored in clear and a map of secret values by JSON pointer. */
export function splitSecrets(schema: JsonSchema, config: Record<string, unknown>): { plain: Record<string, unknown>; secrets: Record<string, string> } {
  const plain = structuredClone(config);
  const secrets: Record<string, string> = {};
  for (const path of secretPaths(schema, config)) {
    const value = getPointer(config, path);
    secrets[path] = typeof value === 'string' ? value : JSON.stringify(value);
    deletePointer(plain, path);
  }
  return { plain, secrets };
}

export function mergeSecrets(schema: JsonSchema, plain: Record<string, unknown>, secrets: Record<string, string>): Record<string, unknown> {
  const out = structuredClone(plain);
  for (const [path, value] of Object.entries(secrets)) setPointer(out, path, value);
  return out;
}

/** The config as the API shows it: secret fields removed, their presence listed. */
export function redactConfig(schema: JsonSchema, config: Record<string, unknown>): { config: Record<string, unknown>; secretsSet: string[] } {
  const { plain, secrets } = splitSecrets(schema, config);
  return { config: plain, secretsSet: Object.keys(secrets) };
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');
const segments = (path: string) => path.split('/').slice(1).map(unescapePointer);

function getPointer(obj: Json, path: string): Json {
  let cur = obj as Record<string, Json> | undefined;
  for (const seg of segments(path)) cur = cur?.[seg] as Record<string, Json> | undefined;
  return cur;
}

function setPointer(obj: Record<string, unknown>, path: string, value: unknown): void {
  const segs = segments(path);
  let cur = obj as Record<string, unknown>;
  for (const seg of segs.slice(0, -1)) {
    if (!cur[seg] || typeof cur[seg] !== 'object') cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[segs[segs.length - 1]] = value;
}

function deletePointer(obj: Record<string, unknown>, path: string): void {
  const segs = segments(path);
  let cur = obj as Record<string, unknown> | undefined;
  for (const seg of segs.slice(0, -1)) cur = cur?.[seg] as Record<string, unknown> | undefined;
  if (cur) delete cur[segs[segs.length - 1]];
}
