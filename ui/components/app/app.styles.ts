import { css } from 'lit';
import { shared } from '../shared/shared.styles.js';

export const styles = [
  shared,
  css`
    :host { min-height: 100vh; }
    header { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: center; padding: .6rem 1rem; background: var(--wn-nav); border-bottom: 1px solid var(--wn-border); }
    .brand { font-weight: 700; font-size: 1.15rem; color: var(--wn-accent); text-decoration: none; }
    nav { display: flex; flex-wrap: wrap; gap: .25rem; flex: 1; }
    nav a { padding: .35rem .6rem; border-radius: .375rem; color: var(--wn-fg); text-decoration: none; }
    nav a[aria-current='page'] { background: var(--wn-accent); color: var(--wn-on-accent); }
    .user { display: flex; gap: .5rem; align-items: center; color: var(--wn-muted); }
    main { padding: 1rem; max-width: 72rem; margin: 0 auto; outline: none; }
    /* Focus moves to the page after each navigation for screen readers; no ring around the whole page. */
    main[tabindex]:focus-visible { outline: none; }
    main.auth { max-width: 28rem; margin-top: 4rem; }
    .skip { position: absolute; left: -100vw; }
    .skip:focus { left: 1rem; top: .5rem; z-index: 1; background: var(--wn-card); padding: .5rem; }
    @media (max-width: 40rem) {
      header { padding: .5rem; }
      .user { margin-left: auto; }
      nav { order: 3; flex-basis: 100%; }
      nav a { padding: .3rem .45rem; }
    }
  `,
];
