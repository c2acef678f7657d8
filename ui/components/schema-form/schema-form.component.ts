import { LitElement, html, css, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import type { JsonSchema } from '../../data/catalog.js';
import { shared } from '../shared/shared.styles.js';

/**
 * A form rendered from a JSON Schema object: strings, numbers, booleans, enums, nested objects and
 * `oneOf` alternatives (chosen with a select). Fields marked `x-secret` are write-only: they start empty
 * and say whether a value is already stored; left empty, the stored value stays.
 * `value` is read back with `collect()`; fields are labelled with the schema's titles.
 */
export class WnSchemaForm extends LitElement {
  static override properties = { schema: { attribute: false }, value: { attribute: false }, secretsSet: { attribute: false }, choices: { state: true } };
  static override styles = [shared, css`
    fieldset { border: 1px solid var(--wn-border); border-radius: .5rem; display: grid; gap: .75rem; padding: .75rem; }
    .fields { display: grid; gap: .75rem; }
    textarea { min-height: 4rem; font-family: ui-monospace, monospace; }
    /* A pasted key is not left readable on screen. */
    textarea[data-secret] { -webkit-text-security: disc; }
    label.check { display: flex; gap: .5rem; align-items: center; }
  `];
  schema: JsonSchema = {};
  value: Record<string, unknown> = {};
  /** JSON pointers of secrets already stored, e.g. `/connection/privateKey`. */
  secretsSet: string[] = [];
  /** The chosen alternative per `oneOf` pointer. */
  choices: Record<string, number> = {};

  override render(): TemplateResult {
    return html`<div class="fields">${this.fields(this.schema, '', this.value)}</div>`;
  }

  /** The values as typed, converted to the schema's types; empty optional fields and unchanged secrets are left out. */
  collect(): Record<string, unknown> {
    return (this.read(this.schema, '') as Record<string, unknown> | undefined) ?? {};
  }

  /** Checks every field with the browser's constraint validation; shows the first problem. */
  validate(): boolean {
    const inputs = [...this.renderRoot.querySelectorAll<HTMLInputElement>('input, select, textarea')];
    return inputs.every((i) => i.reportValidity());
  }

  private alternative(s: JsonSchema, ptr: string, v: unknown): number {
    if (this.choices[ptr] !== undefined) return this.choices[ptr]!;
    const obj = (v ?? {}) as Record<string, unknown>;
    const i = (s.oneOf ?? []).findIndex((o) => Object.entries(o.properties ?? {}).every(([k, p]) => p.const === undefined || obj[k] === p.const));
    return Math.max(0, i);
  }

  private fields(s: JsonSchema, ptr: string, v: unknown): TemplateResult[] {
    if (s.oneOf) {
      const i = this.alternative(s, ptr, v);
      const id = `choice${ptr.replaceAll('/', '-')}`;
      return [html`<label for=${id}>${s.title ?? 'Kind'}
        <select id=${id} @change=${(e: Event) => { this.choices = { ...this.choices, [ptr]: Number((e.target as HTMLSelectElement).value) }; }}>
          ${s.oneOf.map((o, n) => html`<option value=${n} ?selected=${n === i}>${o.title ?? `Option ${n + 1}`}</option>`)}
        </select></label>`, ...this.fields(s.oneOf[i]!, ptr, v)];
    }
    const obj = (v ?? {}) as Record<string, unknown>;
    return Object.entries(s.properties ?? {}).map(([k, p]) => this.field(p, `${ptr}/${k}`, obj[k], (s.required ?? []).includes(k), k));
  }

  private field(p: JsonSchema, ptr: string, v: unknown, required: boolean, key: string): TemplateResult {
    const title = p.title ?? key;
    const desc = p.description ? html`<small>${p.description}</small>` : '';
    const id = `f${ptr.replaceAll('/', '-')}`;
    if (p.const !== undefined) return html``;
    if (p.properties || p.oneOf) return html`<fieldset><legend>${title}</legend>${desc}${this.fields(p, ptr, v)}</fieldset>`;
    if (p.enum) {
      return html`<label for=${id}>${title} ${desc}<select id=${id} data-ptr=${ptr} ?required=${required}>
        ${required ? '' : html`<option value="">—</option>`}
        ${p.enum.map((e) => html`<option value=${String(e)} ?selected=${String(v ?? p.default) === String(e)}>${String(e)}</option>`)}</select></label>`;
    }
    if (p.type === 'boolean') {
      return html`<label class="check" for=${id}><input id=${id} type="checkbox" data-ptr=${ptr} ?checked=${Boolean(v ?? p.default)}> ${title} ${desc}</label>`;
    }
    // Keys and certificates are pasted as several lines; a passphrase or password is one.
    const pem = /PEM|certificate|private key|client key/i.test(title);
    if (p['x-secret']) {
      const stored = this.secretsSet.includes(ptr);
      const note = html`<small>${stored ? 'stored encrypted; leave empty to keep it' : 'stored encrypted, never shown again'}</small>`;
      return pem
        ? html`<label for=${id}>${title} ${note}<textarea id=${id} data-ptr=${ptr} data-secret ?required=${required && !stored} autocomplete="off" spellcheck="false"></textarea></label>`
        : html`<label for=${id}>${title} ${note}<input id=${id} type="password" data-ptr=${ptr} data-secret ?required=${required && !stored} autocomplete="new-password"></label>`;
    }
    if (p.type === 'array') {
      const list = v ?? p.default;
      const lines = Array.isArray(list) ? list.map(String).join('\n') : '';
      return html`<label for=${id}>${title} <small>one per line${p.description ? ` — ${p.description}` : ''}</small>
        <textarea id=${id} data-ptr=${ptr} data-list ?required=${required} .value=${lines}></textarea></label>`;
    }
    const numeric = p.type === 'integer' || p.type === 'number';
    const value = v ?? p.default;
    const multiline = !numeric && pem;
    if (multiline) return html`<label for=${id}>${title} ${desc}<textarea id=${id} data-ptr=${ptr} ?required=${required}>${value ?? ''}</textarea></label>`;
    return html`<label for=${id}>${title} ${desc}<input id=${id} data-ptr=${ptr} type=${numeric ? 'number' : p.format === 'uri' ? 'url' : 'text'}
      .value=${value === undefined ? '' : String(value)} ?required=${required}
      pattern=${ifDefined(p.pattern)} min=${ifDefined(p.minimum)} max=${ifDefined(p.maximum)}
      step=${p.type === 'number' ? 'any' : '1'} minlength=${ifDefined(p.minLength)}></label>`;
  }

  private read(s: JsonSchema, ptr: string): unknown {
    if (s.oneOf) return this.read(s.oneOf[this.alternative(s, ptr, this.pick(ptr))]!, ptr);
    if (s.properties) {
      const out: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(s.properties)) {
        const v = p.const !== undefined ? p.const : this.read(p, `${ptr}/${k}`);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    const el = this.renderRoot.querySelector<HTMLInputElement>(`[data-ptr="${ptr}"]`);
    if (!el) return undefined;
    if (el.type === 'checkbox') return el.checked;
    if (el.hasAttribute('data-list')) {
      const items = el.value.split('\n').map((l) => l.trim()).filter(Boolean);
      return items.length ? items.map((x) => (s.items?.type === 'integer' || s.items?.type === 'number' ? Number(x) : x)) : undefined;
    }
    if (el.value === '') return undefined;
    return s.type === 'integer' || s.type === 'number' ? Number(el.value) : el.value;
  }

  private pick(ptr: string): unknown {
    return ptr.split('/').filter(Boolean).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], this.value);
  }
}
customElements.define('wn-schema-form', WnSchemaForm);
