import { css } from 'lit';
import { shared } from '../shared/shared.styles.js';

export const styles = [
  shared,
  css`
    .totals h2 { margin: 0 0 .25rem; font-size: 1rem; color: var(--wn-muted); }
    .figure { font-size: 1.5rem; font-weight: 600; margin: .25rem 0 .5rem; }
    .figure .muted { font-size: .95rem; font-weight: 400; }
    ul.devices { list-style: none; padding: 0; margin: 0; }
    .device h3 { margin: 0; font-size: 1.1rem; flex: 1; }
    .device .message { margin: .25rem 0 .5rem; font-size: .9rem; }
    dl { display: grid; grid-template-columns: auto 1fr; gap: .2rem .75rem; margin: 0; }
    dt { font-weight: 600; }
    dd { margin: 0; }
    .age { font-size: .85rem; }
    .covers { display: block; }
    .shared-machines { margin-top: 1rem; }
    .shared-machines h2 { margin: 0 0 .25rem; font-size: 1rem; }
    .shared-machines ul { margin: 0; padding-left: 1.25rem; }
  `,
];
