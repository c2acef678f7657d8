import { css } from 'lit';
import { shared } from '../shared/shared.styles.js';

export const styles = [
  shared,
  css`
    .filters { display: flex; gap: .75rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
    .filters label { flex: 1 1 12rem; }
    ul.apps { list-style: none; margin: 0; padding: 0; }
    .app { display: flex; gap: .75rem; align-items: flex-start; }
    .app h2 { margin: 0; font-size: 1.05rem; }
    .app p { margin: .25rem 0; font-size: .9rem; }
    .head { display: flex; gap: 1rem; align-items: center; }
    dl { display: grid; grid-template-columns: auto 1fr; gap: .3rem 1rem; }
    dt { font-weight: 600; } dd { margin: 0; }
  `,
];
