// Styles every page shares. Colours come from custom properties set in index.html for light and dark.
import { css } from 'lit';

export const shared = css`
  :host { display: block; }
  h1 { font-size: 1.5rem; margin: 0 0 1rem; }
  h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
  a { color: var(--wn-link); }
  button, .button {
    font: inherit; padding: .45rem .9rem; border-radius: .375rem; border: 1px solid var(--wn-accent);
    background: var(--wn-accent); color: var(--wn-on-accent); cursor: pointer; text-decoration: none; display: inline-block;
  }
  button.secondary, .button.secondary { background: transparent; color: var(--wn-fg); border-color: var(--wn-border); }
  button.danger { background: var(--wn-danger); border-color: var(--wn-danger); }
  button:disabled { opacity: .55; cursor: default; }
  :is(button, a, input, select, textarea, summary, [tabindex]):focus-visible { outline: 3px solid var(--wn-focus); outline-offset: 2px; }
  input, select, textarea { font: inherit; font-weight: 400; padding: .4rem .5rem; border: 1px solid var(--wn-border); border-radius: .375rem; background: var(--wn-bg); color: var(--wn-fg); }
  label { display: grid; gap: .25rem; font-weight: 600; }
  label small, .muted { color: var(--wn-muted); font-weight: 400; }
  form { display: grid; gap: .75rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--wn-border); vertical-align: top; }
  .card { background: var(--wn-card); border: 1px solid var(--wn-border); border-radius: .5rem; padding: 1rem; }
  .grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); }
  .row { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; }
  .error { color: var(--wn-danger); border-left: 4px solid var(--wn-danger); padding: .5rem .75rem; background: var(--wn-danger-bg); }
  .ok { color: var(--wn-ok); }
  .stale { opacity: .55; filter: grayscale(1); }
  .badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .8rem; border: 1px solid currentColor; }
  .state-fresh, .state-running, .state-ready, .state-done { color: var(--wn-ok); }
  .state-stale, .state-retrying, .state-pending, .state-installing, .state-updating, .state-removing, .state-rolling-back { color: var(--wn-warn); }
  .state-offline, .state-failed, .state-error, .state-undone, .state-rolled_back { color: var(--wn-danger); }
  .bar { height: .5rem; border-radius: .25rem; background: var(--wn-border); overflow: hidden; }
  .bar > span { display: block; height: 100%; background: var(--wn-accent); }
  pre { white-space: pre-wrap; word-break: break-word; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
