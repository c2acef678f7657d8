import { LitElement, html, css, type TemplateResult } from 'lit';

/** An app's icon, or its first letter on a coloured square when there is none or it fails to load (no internet, broken URL). */
export class WnAppIcon extends LitElement {
  static override properties = { src: {}, name: {}, failed: { state: true } };
  static override styles = css`
    :host { display: inline-block; width: 3rem; height: 3rem; flex: none; }
    img, span { width: 100%; height: 100%; border-radius: .5rem; }
    img { object-fit: contain; }
    span { display: grid; place-items: center; font-weight: 700; font-size: 1.4rem; color: #fff; }
  `;
  src?: string;
  name = '';
  failed = false;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('src')) this.failed = false;
  }

  override render(): TemplateResult {
    if (this.src && !this.failed) return html`<img src=${this.src} alt="" @error=${() => { this.failed = true; }}>`;
    let h = 0;
    for (const c of this.name) h = (h * 31 + c.charCodeAt(0)) % 360;
    return html`<span aria-hidden="true" style="background:hsl(${h} 45% 38%)">${(this.name[0] ?? '?').toUpperCase()}</span>`;
  }
}
customElements.define('wn-app-icon', WnAppIcon);
