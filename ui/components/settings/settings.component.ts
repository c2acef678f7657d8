import { LitElement, html, type TemplateResult } from 'lit';
import { explain } from '../../data/api.js';
import { mqttStatus, setMqtt, type MqttInput, type MqttStatus } from '../../data/settings.js';
import { shared } from '../shared/shared.styles.js';

/** Hub settings: the MQTT bridge to a broker (Home Assistant, Node-RED, …), its state, and a form to change it without a restart. */
export class WnSettings extends LitElement {
  static override properties = { status: { state: true }, error: { state: true }, saving: { state: true }, saved: { state: true } };
  static override styles = shared;
  status?: MqttStatus;
  error = '';
  saving = false;
  saved = '';
  private poll?: ReturnType<typeof setInterval>;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    // The bridge connects in the background: its state is read again while the page is open.
    this.poll = setInterval(() => void this.load(true), 3000);
  }

  override disconnectedCallback(): void {
    clearInterval(this.poll);
    super.disconnectedCallback();
  }

  private async load(quiet = false): Promise<void> {
    try {
      this.status = await mqttStatus();
      if (!quiet) this.error = '';
    } catch (e) {
      if (!quiet) this.error = explain(e);
    }
  }

  private async save(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    if (!form.reportValidity()) return;
    const f = new FormData(form);
    const text = (name: string) => String(f.get(name) ?? '').trim() || undefined;
    const input: MqttInput = { enabled: f.get('enabled') === 'on' };
    for (const k of ['url', 'username', 'clientId', 'prefix', 'discoveryPrefix', 'ca', 'cert', 'key'] as const) {
      const v = text(k);
      if (v) input[k] = v;
    }
    const password = String(f.get('password') ?? '');
    if (password) input.password = password;
    else if (f.get('forgetPassword') === 'on') input.password = '';
    // Who may send commands is not on this form: what is stored stays.
    if (this.status?.settings?.acl) input.acl = this.status.settings.acl;
    this.saving = true;
    this.saved = '';
    this.error = '';
    try {
      this.status = await setMqtt(input);
      this.saved = input.enabled
        ? 'Saved. The bridge reconnects with these settings; its state shows above.'
        : `Saved. MQTT is off${input.url ? ': tick “Publish to an MQTT broker” to connect' : ''}.`;
      form.querySelector<HTMLInputElement>('[name=password]')!.value = '';
    } catch (e) {
      this.error = explain(e);
    } finally {
      this.saving = false;
    }
  }

  override render(): TemplateResult {
    const st = this.status;
    return html`<h1>Settings</h1>
      <h2 id="mqtt-heading">MQTT</h2>
      <p class="muted">Warren publishes its devices, apps and events to an MQTT broker, with Home Assistant discovery, and takes commands from the clients you allow.</p>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      ${!st ? (this.error ? '' : html`<p aria-busy="true">Loading…</p>`) : html`${this.state(st)}${this.form(st)}`}`;
  }

  private state(st: MqttStatus): TemplateResult {
    const where = st.source === 'environment'
      ? html`The bridge runs with <code>WARREN_MQTT_*</code> from the hub's environment. Saving this form stores settings that take precedence over the environment.`
      : st.source === 'stored' && st.environment
        ? html`The settings saved here take precedence over <code>WARREN_MQTT_URL</code>, which is also set in the hub's environment.`
        : '';
    return html`<div class="card" role="status" data-mqtt=${st.enabled ? (st.connected ? 'connected' : 'connecting') : 'off'} style="margin-bottom:1rem">
      ${!st.enabled
        ? html`<strong>Off.</strong> No broker is configured.`
        : st.connected
          ? html`<span class="ok">● Connected</span> to <code>${st.url}</code> as client <code>${st.clientId}</code>, topics under <code>${st.prefix}/</code>.`
          : html`<span class="state-stale">● Not connected</span> to <code>${st.url}</code>; retrying.${st.lastError ? html` <span class="error" style="display:block;margin-top:.5rem">Last error: ${st.lastError}. Check the URL, the user and password, and that the broker is reachable from the hub.</span>` : ''}`}
      ${where ? html`<p class="muted" style="margin-bottom:0">${where}</p>` : ''}
    </div>`;
  }

  private form(st: MqttStatus): TemplateResult {
    // The stored settings; else what runs (from the environment), so that the form starts from it.
    const s = st.settings ?? (st.source === 'environment' ? { enabled: true, url: st.url, clientId: st.clientId, prefix: st.prefix, discoveryPrefix: st.discoveryPrefix } : { enabled: false });
    return html`<form class="card" @submit=${this.save} aria-labelledby="mqtt-heading">
      <label class="check" style="display:flex;gap:.5rem;align-items:center"><input type="checkbox" name="enabled" ?checked=${s.enabled}> Publish to an MQTT broker</label>
      <label>Broker URL <small>mqtt://host:1883, mqtts://host:8883, ws:// or wss://</small>
        <input name="url" type="text" .value=${s.url ?? ''} pattern="(mqtts?|wss?|tcp|ssl)://.+" placeholder="mqtt://homeassistant.lan:1883" autocomplete="off"></label>
      <label>User name <input name="username" .value=${s.username ?? ''} autocomplete="off"></label>
      <label>Password <small>${s.passwordSet ? 'stored encrypted; leave empty to keep it' : 'stored encrypted, never shown again'}</small>
        <input name="password" type="password" autocomplete="new-password"></label>
      ${s.passwordSet ? html`<label class="check" style="display:flex;gap:.5rem;align-items:center;font-weight:400"><input type="checkbox" name="forgetPassword"> Forget the stored password</label>` : ''}
      <details>
        <summary>Topics and TLS</summary>
        <div style="display:grid;gap:.75rem;margin-top:.75rem">
          <label>Topic prefix <small>default warren</small><input name="prefix" .value=${s.prefix ?? ''} placeholder="warren"></label>
          <label>Discovery prefix <small>where Home Assistant looks; default homeassistant</small><input name="discoveryPrefix" .value=${s.discoveryPrefix ?? ''} placeholder="homeassistant"></label>
          <label>Client id <small>default warren-&lt;host name&gt;</small><input name="clientId" .value=${s.clientId ?? ''}></label>
          <label>CA certificate file <small>absolute path of a PEM file on the hub, for mqtts://</small><input name="ca" .value=${s.ca ?? ''} pattern="/.*" placeholder="/etc/warren/mqtt-ca.pem"></label>
          <label>Client certificate file <small>PEM, on the hub</small><input name="cert" .value=${s.cert ?? ''} pattern="/.*"></label>
          <label>Client key file <small>PEM, on the hub</small><input name="key" .value=${s.key ?? ''} pattern="/.*"></label>
        </div>
      </details>
      ${this.saved ? html`<p role="status" class="ok">${this.saved}</p>` : ''}
      <div class="row"><button type="submit" ?disabled=${this.saving}>${this.saving ? 'Saving…' : 'Save MQTT settings'}</button></div>
    </form>`;
  }
}
customElements.define('wn-settings', WnSettings);
