import { css } from 'lit';
import { shared } from '../shared/shared.styles.js';

export const styles = [
  shared,
  css`
    fieldset { border: 1px solid var(--wn-border); border-radius: .5rem; display: grid; gap: .75rem; padding: .75rem; }
    textarea { min-height: 5rem; font-family: ui-monospace, monospace; font-size: .85rem; }
    .charts { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); }
    .charts h3 { margin: 0 0 .25rem; font-size: 1rem; }
    dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; }
    dt { font-weight: 600; } dd { margin: 0; }
    @media (max-width: 40rem) { table .hide-narrow { display: none; } }
  `,
];
