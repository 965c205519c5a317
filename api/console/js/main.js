// Start-up and page switching. Each page module exports `render(main, context)` and may
// return a function that releases what the page holds (charts, live video, timers).

import { h } from './dom.js';
import { initialLanguage, setLanguage, setTimeZone, t } from './i18n.js';
import { shell } from './layout.js';
import { renderLogin } from './pages/login.js';
import { current, go } from './router.js';
import { currentUser, logout, onSignedOut, restore } from './session.js';

const ROUTES = [
  { pattern: /^\/districts$/, load: () => import('./pages/districts.js') },
  { pattern: /^\/cameras$/, load: () => import('./pages/cameras.js') },
  { pattern: /^\/cameras\/([^/]+)$/, load: () => import('./pages/camera.js') },
  { pattern: /^\/audit$/, load: () => import('./pages/audit.js') },
  { pattern: /^\/queue$/, load: () => import('./pages/queue.js') },
  { pattern: /^\/cases$/, load: () => import('./pages/cases.js') },
  { pattern: /^\/cases\/(\d+)$/, load: () => import('./pages/case.js') },
  { pattern: /^\/kpis$/, load: () => import('./pages/kpis.js') },
  { pattern: /^\/silences$/, load: () => import('./pages/silences.js') },
];
const HOME = '/queue';

const root = document.getElementById('app');
let release = null;
let generation = 0;

async function changeLanguage(lang) {
  await setLanguage(lang);
  await render();
}

async function render() {
  const mine = ++generation;
  if (release) {
    release();
    release = null;
  }
  if (!currentUser()) {
    renderLogin(root, { onLanguage: changeLanguage, onLoggedIn: render });
    return;
  }
  const { path, params } = current();
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (!route) {
    go(HOME);
    return;
  }
  const args = path.match(route.pattern).slice(1).map(decodeURIComponent);
  const main = shell(root, path, {
    onLanguage: changeLanguage,
    onLogout: () => logout(),
  });
  main.append(h('p', { class: 'muted' }, t('common.loading')));
  try {
    const page = await route.load();
    if (mine !== generation) return;
    const done = await page.render(main, { params, args, isCurrent: () => mine === generation });
    if (mine !== generation) {
      done?.();
      return;
    }
    release = done ?? null;
  } catch (error) {
    if (mine !== generation) return;
    main.replaceChildren(
      h('p', { class: 'error', role: 'alert' }, t('common.error', { detail: error.message })),
    );
  }
}

async function start() {
  const config = await fetch('config.json').then((r) => r.json());
  setTimeZone(config.time_zone);
  window.gridwatchConfig = config;
  await setLanguage(initialLanguage());
  onSignedOut(() => render());
  await restore();
  window.addEventListener('hashchange', render);
  await render();
}

start();
