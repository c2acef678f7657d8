import { css } from 'lit';
import { shared } from '../shared/shared.styles.js';

export const styles = [
  shared,
  css`
    .logs { background: #0f1411; color: #d7e4dc; padding: .75rem; border-radius: .375rem; max-height: 24rem; overflow: auto; font: .8rem/1.4 ui-monospace, monospace; margin: 0; }
    dl { display: grid; grid-template-columns: auto 1fr; gap: .3rem 1rem; }
    dt { font-weight: 600; } dd { margin: 0; }
    @media (max-width: 40rem) { table .hide-narrow { display: none; } }
  `,
];
