// The frame around every page: brand, navigation, user, language switch, logout.

import { h } from './dom.js';
import { LANGUAGES, currentTimeZone, language, languageName, t } from './i18n.js';
import { currentUser } from './session.js';

// Pages in the navigation, in order (each also in ROUTES in main.js). The alert queue
// comes first: it is the operators' landing page.
export const NAV = [
  { path: '/queue', label: 'nav.queue', match: /^\/queue/ },
  { path: '/cases', label: 'nav.cases', match: /^\/cases/ },
  { path: '/kpis', label: 'nav.kpis', match: /^\/kpis/ },
  { path: '/silences', label: 'nav.silences', match: /^\/silences/ },
  { path: '/districts', label: 'nav.districts', match: /^\/districts/ },
  { path: '/cameras', label: 'nav.cameras', match: /^\/cameras/ },
  { path: '/audit', label: 'nav.audit', match: /^\/audit/ },
];

export function languageSwitch(onChange) {
  return h(
    'label',
    { class: 'language' },
    h('span', { class: 'sr-only' }, t('nav.language')),
    h(
      'select',
      {
        'data-testid': 'language',
        'aria-label': t('nav.language'),
        onchange: (event) => onChange(event.target.value),
      },
      LANGUAGES.map((lang) =>
        h('option', { value: lang, selected: lang === language() }, languageName(lang)),
      ),
    ),
  );
}

export function shell(root, path, { onLanguage, onLogout }) {
  const user = currentUser();
  const main = h('main', { id: 'page', class: 'page' });
  root.replaceChildren(
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: '#/queue' }, t('app.brand')),
      h(
        'nav',
        { class: 'nav', 'aria-label': 'main' },
        NAV.map((item) =>
          h(
            'a',
            {
              href: `#${item.path}`,
              class: item.match.test(path) ? 'active' : '',
              'aria-current': item.match.test(path) ? 'page' : false,
            },
            t(item.label),
          ),
        ),
      ),
      h(
        'div',
        { class: 'user' },
        h('span', { class: 'who', 'data-testid': 'user' }, user.display_name || user.username),
        h('span', { class: 'role' }, t(`role.${user.role}`)),
        languageSwitch(onLanguage),
        h(
          'button',
          { type: 'button', class: 'ghost', 'data-testid': 'logout', onclick: onLogout },
          t('nav.logout'),
        ),
      ),
    ),
    main,
    h('footer', { class: 'footer' }, t('app.timezone', { tz: currentTimeZone() })),
  );
  return main;
}
