// Cameras of the caller's subtree: search, district and status filters (in the URL),
// each row with its details and a live-video button.

import { api, query } from '../api.js';
import { h, option } from '../dom.js';
import { indentedOptions, loadTree } from '../districts-tree.js';
import { statusLabel, t } from '../i18n.js';
import { go, href } from '../router.js';

const PAGE = 50;
const STATUSES = ['online', 'degraded', 'offline', 'unknown'];

export function statusBadge(status) {
  return h('span', { class: `badge ${status ?? 'unknown'}` }, statusLabel(status));
}

export async function render(main, { params }) {
  const offset = Number(params.offset ?? 0) || 0;
  const [tree, page] = await Promise.all([
    loadTree(),
    api(
      `/cameras${query({ q: params.q, district: params.district, status: params.status, limit: PAGE, offset })}`,
    ),
  ]);
  const q = h('input', {
    type: 'search',
    name: 'q',
    value: params.q ?? '',
    placeholder: t('cameras.search'),
  });
  const district = h(
    'select',
    { name: 'district' },
    option('', t('common.all'), params.district ?? ''),
    indentedOptions(tree).map((o) => option(o.code, o.label, params.district)),
  );
  const status = h(
    'select',
    { name: 'status' },
    option('', t('common.all'), params.status ?? ''),
    STATUSES.map((s) => option(s, statusLabel(s), params.status)),
  );
  const apply = (event) => {
    event?.preventDefault();
    go('/cameras', { q: q.value.trim(), district: district.value, status: status.value });
  };
  district.addEventListener('change', apply);
  status.addEventListener('change', apply);
  const districtName = (code) => tree.byCode.get(code)?.name ?? code;
  const rows = page.items.map((camera) =>
    h(
      'tr',
      { 'data-camera': camera.id },
      h(
        'td',
        { class: 'mono' },
        h('a', { href: href(`/cameras/${encodeURIComponent(camera.id)}`) }, camera.id),
      ),
      h('td', {}, camera.name),
      h('td', {}, districtName(camera.district_code)),
      h('td', {}, statusBadge(camera.status)),
      h(
        'td',
        { class: 'actions' },
        h(
          'a',
          { class: 'button small', href: href(`/cameras/${encodeURIComponent(camera.id)}`) },
          t('cameras.open'),
        ),
        h(
          'a',
          {
            class: 'button small primary',
            href: href(`/cameras/${encodeURIComponent(camera.id)}`, { live: 1 }),
          },
          `▶ ${t('cameras.live')}`,
        ),
      ),
    ),
  );
  const pager = h(
    'div',
    { class: 'pager' },
    h(
      'span',
      { class: 'muted' },
      t('common.page', {
        from: page.total ? offset + 1 : 0,
        to: offset + page.items.length,
        total: page.total,
      }),
    ),
    offset > 0
      ? h(
          'a',
          {
            class: 'button small',
            href: href('/cameras', { ...params, offset: Math.max(0, offset - PAGE) }),
          },
          t('common.previous'),
        )
      : null,
    offset + PAGE < page.total
      ? h(
          'a',
          { class: 'button small', href: href('/cameras', { ...params, offset: offset + PAGE }) },
          t('common.next'),
        )
      : null,
  );
  main.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, t('cameras.title'))),
    h(
      'form',
      { class: 'filters', onsubmit: apply },
      h('label', {}, t('cameras.search'), q),
      h('label', {}, t('cameras.district'), district),
      h('label', {}, t('cameras.status'), status),
      h('button', { type: 'submit', class: 'primary' }, t('common.search')),
      h('a', { class: 'button', href: '#/cameras' }, t('common.reset')),
    ),
    h(
      'section',
      { class: 'panel' },
      h(
        'table',
        { class: 'grid', 'data-testid': 'camera-list' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['cameras.id', 'cameras.name', 'cameras.district', 'cameras.status', 'cameras.actions'].map((k) =>
              h('th', {}, t(k)),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          rows.length ? rows : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, t('cameras.empty'))),
        ),
      ),
      pager,
    ),
  );
}
