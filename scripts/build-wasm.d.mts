/** The base64 of rank.wat compiled (see build-wasm.mjs). */
export function compileRankWasm(): Promise<string>;
