// The login form (with the language switch, so a first-time user can read it).

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { languageSwitch } from '../layout.js';
import { login } from '../session.js';

export function renderLogin(root, { onLanguage, onLoggedIn }) {
  const message = h('p', { class: 'error', role: 'alert', 'data-testid': 'login-error' });
  const username = h('input', {
    name: 'username',
    autocomplete: 'username',
    required: true,
    autofocus: true,
  });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const form = h(
    'form',
    {
      class: 'login-card',
      onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        message.textContent = '';
        try {
          await login(username.value.trim(), password.value);
          await onLoggedIn();
        } catch (error) {
          message.textContent = error.status === 429 ? t('login.locked') : t('login.failed');
          submit.disabled = false;
        }
      },
    },
    h('div', { class: 'login-head' }, h('h1', {}, t('app.brand')), languageSwitch(onLanguage)),
    h('h2', {}, t('login.title')),
    h('label', {}, t('login.username'), username),
    h('label', {}, t('login.password'), password),
    message,
    submit,
  );
  root.replaceChildren(h('div', { class: 'login-page' }, form));
}
