import { LitElement, html, type TemplateResult } from 'lit';
import { authStatus, explain, login, logout, me, setup } from '../../data/api.js';
import { parseRoute, type Route } from '../../data/router.js';
import { disconnect } from '../../data/socket.js';
import { styles } from './app.styles.js';
import '../dashboard/dashboard.component.js';

type View = 'loading' | 'setup' | 'login' | 'home';

// Every page but the dashboard is loaded on first visit, so the dashboard's JavaScript stays small.
const pages: Record<string, { title: string; tag: string; load?: () => Promise<unknown> }> = {
  dashboard: { title: 'Dashboard', tag: 'wn-dashboard' },
  devices: { title: 'Devices', tag: 'wn-devices', load: () => import('../devices/devices.component.js') },
  catalog: { title: 'Catalog', tag: 'wn-catalog', load: () => import('../catalog/catalog.component.js') },
  install: { title: 'Install', tag: 'wn-install', load: () => import('../install/install.component.js') },
  apps: { title: 'Apps', tag: 'wn-apps', load: () => import('../apps/apps.component.js') },
  databases: { title: 'Databases', tag: 'wn-databases', load: () => import('../databases/databases.component.js') },
  plugins: { title: 'Plugins', tag: 'wn-plugins', load: () => import('../plugins/plugins.component.js') },
  events: { title: 'Events', tag: 'wn-events', load: () => import('../events/events.component.js') },
  settings: { title: 'Settings', tag: 'wn-settings', load: () => import('../settings/settings.component.js') },
};
const nav = ['dashboard', 'devices', 'catalog', 'apps', 'databases', 'plugins', 'events', 'settings'];

/** The application shell: first-start setup, login, then the navigation and the current page. */
export class WnApp extends LitElement {
  static override properties = { view: { state: true }, error: { state: true }, user: { state: true }, route: { state: true }, loaded: { state: true } };
  static override styles = styles;
  view: View = 'loading';
  error = '';
  user = '';
  route: Route = parseRoute(location.hash);
  loaded = new Set<string>(['dashboard']);
  private readonly onHash = () => this.navigate();

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('hashchange', this.onHash);
    void this.refresh();
  }

  override disconnectedCallback(): void {
    removeEventListener('hashchange', this.onHash);
    super.disconnectedCallback();
  }

  private async navigate(): Promise<void> {
    this.route = parseRoute(location.hash);
    const page = pages[this.route.page];
    document.title = `${page?.title ?? 'Not found'} · Warren`;
    if (page?.load && !this.loaded.has(this.route.page)) {
      try {
        await page.load();
        this.loaded = new Set([...this.loaded, this.route.page]);
      } catch (e) {
        this.error = `This page could not be loaded (${(e as Error).message}). Reload the page; if the hub was updated meanwhile, that fetches the new version.`;
      }
    }
    await this.updateComplete;
    // A screen reader user hears the new page; keyboard focus starts at its top.
    this.renderRoot.querySelector<HTMLElement>('main')?.focus();
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
      if (m) {
        if (this.route.page === 'setup') location.hash = '#/dashboard';
        await this.navigate();
      }
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
        const token = this.route.query.get('token') ?? String(f.get('token') ?? '');
        await setup(token, String(f.get('username')), String(f.get('password')));
      } else {
        await login(String(f.get('username')), String(f.get('password')));
      }
      this.error = '';
      await this.refresh();
    } catch (e) {
      this.error = explain(e);
    }
  }

  private async signOut(): Promise<void> {
    await logout().catch(() => undefined);
    disconnect();
    await this.refresh();
  }

  override render(): TemplateResult {
    if (this.view === 'loading') return html`<main class="auth" aria-busy="true">Loading…</main>`;
    if (this.view !== 'home') return this.renderAuth();
    const page = pages[this.route.page];
    return html`
      <a class="skip" href="#main" @click=${(e: Event) => { e.preventDefault(); this.renderRoot.querySelector<HTMLElement>('main')?.focus(); }}>Skip to content</a>
      <header>
        <a class="brand" href="#/dashboard">Warren</a>
        <nav aria-label="Main">
          ${nav.map((p) => html`<a href="#/${p}" aria-current=${this.route.page === p || (p === 'catalog' && this.route.page === 'install') ? 'page' : 'false'}>${pages[p]!.title}</a>`)}
        </nav>
        <span class="user">${this.user} <button class="secondary" @click=${this.signOut}>Log out</button></span>
      </header>
      <main id="main" tabindex="-1">
        ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
        ${!page
          ? html`<h1>Page not found</h1><p>There is no page “${this.route.page}”. Go to the <a href="#/dashboard">dashboard</a>.</p>`
          : this.loaded.has(this.route.page)
            ? this.pageElement(page.tag)
            : html`<p aria-busy="true">Loading ${page.title}…</p>`}
      </main>`;
  }

  private pageElement(tag: string): TemplateResult {
    const { param, query } = this.route;
    switch (tag) {
      case 'wn-devices': return html`<wn-devices .param=${param} .query=${query}></wn-devices>`;
      case 'wn-catalog': return html`<wn-catalog .param=${param} .query=${query}></wn-catalog>`;
      case 'wn-install': return html`<wn-install .param=${param} .query=${query}></wn-install>`;
      case 'wn-apps': return html`<wn-apps .param=${param} .query=${query}></wn-apps>`;
      case 'wn-databases': return html`<wn-databases></wn-databases>`;
      case 'wn-plugins': return html`<wn-plugins></wn-plugins>`;
      case 'wn-events': return html`<wn-events .query=${query}></wn-events>`;
      case 'wn-settings': return html`<wn-settings></wn-settings>`;
      default: return html`<wn-dashboard></wn-dashboard>`;
    }
  }

  private renderAuth(): TemplateResult {
    const setupView = this.view === 'setup';
    const hasToken = this.route.query.has('token');
    return html`<main class="auth" id="main" tabindex="-1">
      <h1>${setupView ? 'Welcome to Warren' : 'Log in to Warren'}</h1>
      ${setupView ? html`<p>Create the first account.${hasToken ? '' : ' The setup link with its token is in the hub\'s log.'}</p>` : ''}
      <form @submit=${this.submit}>
        ${setupView && !hasToken ? html`<label>Setup token <input name="token" required autocomplete="off"></label>` : ''}
        <label>User name <input name="username" required autocomplete="username" value=${setupView ? 'admin' : ''}></label>
        <label>Password <input name="password" type="password" required minlength="8" autocomplete=${setupView ? 'new-password' : 'current-password'}></label>
        ${setupView ? html`<small class="muted">At least 8 characters.</small>` : ''}
        <button type="submit">${setupView ? 'Create account' : 'Log in'}</button>
        ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      </form>
    </main>`;
  }
}
customElements.define('wn-app', WnApp);
