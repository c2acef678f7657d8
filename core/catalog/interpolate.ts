// Compose-style interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
// `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, nested defaults, and `$$` for a literal dollar.
import { WarrenError } from '../errors.js';

type Operator = ':-' | '-' | ':?' | '?' | ':+' | '+';
type Part = string | { name: string; op?: Operator; arg: Part[] };

export interface VariableReference {
  name: string;
  /** A default or alternative is given, so an unset variable is not an error. */
  guarded: boolean;
}

class SyntaxProblem extends Error {}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const OPERATORS: Operator[] = [':-', ':?', ':+', '-', '?', '+'];

function parse(text: string, start: number, nested: boolean): { parts: Part[]; end: number } {
  const parts: Part[] = [];
  let literal = '';
  let i = start;
  const flush = (): void => {
    if (literal) parts.push(literal);
    literal = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (nested && c === '}') {
      flush();
      return { parts, end: i };
    }
    if (c !== '$') {
      literal += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      literal += '$';
      i += 2;
    } else if (next === '{') {
      let j = i + 2;
      if (!NAME_START.test(text[j] ?? '')) throw new SyntaxProblem(`invalid interpolation at offset ${i}: "\${" must be followed by a variable name`);
      while (j < text.length && NAME_CHAR.test(text[j]!)) j++;
      const name = text.slice(i + 2, j);
      flush();
      if (text[j] === '}') {
        parts.push({ name, arg: [] });
        i = j + 1;
        continue;
      }
      const op = OPERATORS.find((o) => text.startsWith(o, j));
      if (!op) throw new SyntaxProblem(`invalid interpolation at offset ${i}: unexpected "${text[j] ?? 'end of text'}" after \${${name}`);
      const inner = parse(text, j + op.length, true);
      if (inner.end >= text.length) throw new SyntaxProblem(`invalid interpolation at offset ${i}: missing "}"`);
      parts.push({ name, op, arg: inner.parts });
      i = inner.end + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < text.length && NAME_CHAR.test(text[j]!)) j++;
      flush();
      parts.push({ name: text.slice(i + 1, j), arg: [] });
      i = j;
    } else {
      literal += '$';
      i++;
    }
  }
  if (nested) return { parts, end: text.length };
  flush();
  return { parts, end: i };
}

function parseOrThrow(text: string, path: string): Part[] {
  try {
    return parse(text, 0, false).parts;
  } catch (e) {
    if (e instanceof SyntaxProblem) {
      throw new WarrenError('WARREN_ERR_MANIFEST_INVALID', e.message, { details: [{ path, message: e.message }] });
    }
    throw e;
  }
}

/** Every variable a string refers to; a syntax error is reported as a WarrenError at `path`. */
export function referencedVariables(text: string, path = ''): VariableReference[] {
  const out: VariableReference[] = [];
  const walk = (parts: Part[], guarded: boolean): void => {
    for (const p of parts) {
      if (typeof p === 'string') continue;
      const selfGuarded = guarded || p.op === ':-' || p.op === '-' || p.op === ':+' || p.op === '+';
      out.push({ name: p.name, guarded: selfGuarded });
      walk(p.arg, guarded);
    }
  };
  walk(parseOrThrow(text, path), false);
  return out;
}

/**
 * Replaces variables using `lookup`. An unset variable without a default is an error (Compose would
 * warn and use an empty string, which hides typos); `${VAR:?message}` fails with the manifest's message.
 */
export function interpolate(text: string, lookup: (name: string) => string | undefined, path = ''): string {
  if (!text.includes('$')) return text;
  const evaluate = (parts: Part[]): string => {
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') {
        out += p;
        continue;
      }
      const value = lookup(p.name);
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      switch (p.op) {
        case undefined:
          if (!set) {
            throw new WarrenError('WARREN_ERR_INVALID_INPUT', `variable ${p.name} is not set`, {
              details: [{ path, message: `variable ${p.name} is not set` }],
              hint: 'declare it as an input or a secret in x-warren, or give a default with ${NAME:-default}',
            });
          }
          out += value;
          break;
        case ':-':
          out += nonEmpty ? value : evaluate(p.arg);
          break;
        case '-':
          out += set ? value : evaluate(p.arg);
          break;
        case ':?':
        case '?':
          if (p.op === ':?' ? !nonEmpty : !set) {
            const message = evaluate(p.arg) || `${p.name} is required`;
            throw new WarrenError('WARREN_ERR_INVALID_INPUT', `${p.name}: ${message}`, { details: [{ path, message }] });
          }
          out += value;
          break;
        case ':+':
          out += nonEmpty ? evaluate(p.arg) : '';
          break;
        case '+':
          out += set ? evaluate(p.arg) : '';
          break;
      }
    }
    return out;
  };
  return evaluate(parseOrThrow(text, path));
}

/** Writes a literal value into a Compose document so that interpolation gives it back unchanged. */
export function escapeDollars(text: string): string {
  return text.replaceAll('$', '$$$$');
}
