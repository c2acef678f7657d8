import { css } from 'lit';
import { shared } from '../shared/shared.styles.js';

export const styles = [
  shared,
  css`
    ol.steps { display: flex; gap: 1rem; padding: 0; list-style: none; flex-wrap: wrap; }
    ol.steps li[aria-current='step'] { font-weight: 700; text-decoration: underline; }
    .candidates { display: grid; gap: .75rem; }
    .candidate { display: grid; gap: .5rem; }
    .candidate.recommended { border: 2px solid var(--wn-accent); }
    .candidate.disqualified { opacity: .85; }
    .candidate label.pick { display: flex; gap: .5rem; align-items: center; font-size: 1.05rem; }
    .criteria { display: grid; grid-template-columns: minmax(6rem, auto) 1fr auto; gap: .3rem .75rem; align-items: center; font-size: .9rem; }
    .criteria .bar { height: .6rem; }
    ul.reasons { margin: 0; padding-left: 1.25rem; color: var(--wn-danger); }
    .progress { height: .75rem; }
    ol.opsteps li { margin: .2rem 0; }
  `,
];
