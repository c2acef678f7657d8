// A bound on nesting before YAML text reaches the parser. The yaml package turns a stack overflow on
// deeply nested input into a parse error, but the next parse of such text can then take the whole
// process down (an out-of-memory abort in V8's regexp compiler); no manifest nests anywhere near this.
const MAX_FLOW_DEPTH = 64;
const MAX_BLOCK_DEPTH = 256;

/** Why the text nests too deeply to parse safely, or undefined when it is fine. */
export function nestingProblem(text: string): string | undefined {
  let flow = 0;
  let quote: string | undefined;
  let lineStart = true;
  let block = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      lineStart = true;
      block = 0;
      quote = quote === "'" || quote === '"' ? quote : undefined;
      continue;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (lineStart) {
      // Indentation and sequence or mapping-key markers at the start of a line each open a level.
      if (c === ' ' || c === '\t') {
        block++;
      } else if ((c === '-' || c === '?' || c === ':') && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
        block += 2;
        i++;
      } else lineStart = false;
      if (block > MAX_BLOCK_DEPTH) return `nested deeper than ${MAX_BLOCK_DEPTH} levels`;
      if (lineStart) continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      if (++flow > MAX_FLOW_DEPTH) return `brackets nested deeper than ${MAX_FLOW_DEPTH} levels`;
    } else if ((c === ']' || c === '}') && flow > 0) flow--;
  }
  return undefined;
}
