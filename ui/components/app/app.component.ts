import { LitElement, html, css } from 'lit';
import { authStatus, explain, login, logout, me, setup } from '../../data/api.js';

type View = 'loading' | 'setup' | 'login' | 'home';

/** The application shell: decides between first-start setup, login and the signed-in view. */
export class WnApp extends LitElement {
  static override properties = { view: { state: true }, error: { state: true }, user: { state: true } };
  view: View = 'loading';
  error = '';
  user = '';

  static override styles = css`
    :host { display: block; color: CanvasText; background: Canvas; min-height: 100vh; }
    main { max-width: 28rem; margin: 4rem auto; padding: 1rem; }
    form { display: grid; gap: .75rem; }
    label { display: grid; gap: .25rem; font-weight: 600; }
    input { font: inherit; padding: .5rem; border: 1px solid GrayText; border-radius: .375rem; }
    button { font: inherit; padding: .5rem 1rem; border-radius: .375rem; border: 0; background: #2f6f4f; color: white; cursor: pointer; }
    button:focus-visible, input:focus-visible { outline: 3px solid #6fb38f; outline-offset: 2px; }
    [role=alert] { color: #b3261e; }
  `;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    try {
      const status = await authStatus();
      if (status.setupRequired) {
        this.view = 'setup';
        return;
      }
      const m = await me().catch(() => undefined);
      this.user = m?.user.username ?? '';
      this.view = m ? 'home' : 'login';
    } catch (e) {
      this.error = explain(e);
      this.view = 'login';
    }
  }

  private async submit(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    const f = new FormData(ev.target as HTMLFormElement);
    this.error = '';
    try {
      if (this.view === 'setup') {
        const token = new URLSearchParams(location.hash.split('?')[1] ?? '').get('token') ?? String(f.get('token') ?? '');
        await setup(token, String(f.get('username')), String(f.get('password')));
      } else {
        await login(String(f.get('username')), String(f.get('password')));
      }
      await this.refresh();
    } catch (e) {
      this.error = explain(e);
    }
  }

  override render() {
    if (this.view === 'loading') return html`<main aria-busy="true">Loading…</main>`;
    if (this.view === 'home') {
      return html`<main><h1>Warren</h1><p>Signed in as ${this.user}.</p>
        <button @click=${async () => { await logout(); await this.refresh(); }}>Log out</button></main>`;
    }
    const setupView = this.view === 'setup';
    const hasToken = location.hash.includes('token=');
    return html`<main>
      <h1>${setupView ? 'Welcome to Warren' : 'Log in to Warren'}</h1>
      ${setupView ? html`<p>Create the first account. The setup link is in the hub's log.</p>` : ''}
      <form @submit=${this.submit}>
        ${setupView && !hasToken ? html`<label>Setup token <input name="token" required autocomplete="off"></label>` : ''}
        <label>User name <input name="username" required autocomplete="username" value=${setupView ? 'admin' : ''}></label>
        <label>Password <input name="password" type="password" required minlength="8" autocomplete=${setupView ? 'new-password' : 'current-password'}></label>
        <button type="submit">${setupView ? 'Create account' : 'Log in'}</button>
        ${this.error ? html`<p role="alert">${this.error}</p>` : ''}
      </form>
    </main>`;
  }
}
customElements.define('wn-app', WnApp);
