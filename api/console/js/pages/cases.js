// The case board: all cases of the subtree, mine (my department's or whistled to it), my
// department's, or overdue; each with its running stage's countdown and supervision card.
// Redrawn when the feed announces a case change (a new case, a move, a card raised).

import { api, query } from '../api.js';
import { caseTitle } from '../case-title.js';
import { h } from '../dom.js';
import { loadTree } from '../districts-tree.js';
import { subscribe } from '../feed.js';
import { formatDateTime, t } from '../i18n.js';
import { href, replaceParams } from '../router.js';
import { currentUser } from '../session.js';
import { singleFlight } from '../single-flight.js';

const TABS = ['all', 'mine', 'department', 'overdue'];

function countdownText(deadline, now = Date.now()) {
  const left = Math.round((new Date(deadline).getTime() - now) / 60000);
  const minutes = Math.abs(left);
  const text =
    minutes >= 1440
      ? t('duration.dh', { d: Math.floor(minutes / 1440), h: Math.floor((minutes % 1440) / 60) })
      : minutes >= 60
        ? t('duration.hm', { h: Math.floor(minutes / 60), m: minutes % 60 })
        : t('duration.m', { m: minutes });
  return left < 0 ? t('cases.overdueBy', { d: text }) : t('cases.left', { d: text });
}

// A live countdown to the running stage's deadline; refreshed by the page's timer.
export function countdown(item) {
  if (!item.stage_deadline) return h('span', { class: 'muted' }, '—');
  const el = h('span', {
    class: `countdown ${item.overdue ? 'bad-text' : ''}`,
    'data-deadline': item.stage_deadline,
    title: formatDateTime(item.stage_deadline),
  });
  el.textContent = countdownText(item.stage_deadline);
  return el;
}

export function tick(root) {
  for (const el of root.querySelectorAll('[data-deadline]')) {
    el.textContent = countdownText(el.dataset.deadline);
    el.classList.toggle('bad-text', new Date(el.dataset.deadline).getTime() < Date.now());
  }
}

export function supervisionFlag(card) {
  if (!card || card === 'none') return h('span', { class: 'muted' }, '—');
  return h('span', { class: `flag ${card}`, 'data-testid': `flag-${card}` }, t(`cases.card.${card}`));
}

export function stageLabel(stage) {
  return stage ? t(`stage.${stage}`) : '—';
}

function casesPath(tab, department, cursor) {
  const filters = {
    mine: { mine: true },
    department: { department },
    overdue: { overdue: true },
  };
  return `/cases${query({ ...(filters[tab] ?? {}), cursor, limit: 50 })}`;
}

export async function render(main, { params, isCurrent }) {
  const department = currentUser().department_id ?? '';
  const tab = TABS.includes(params.tab) ? params.tab : 'all';
  const none = tab === 'department' && !department;
  const tree = await loadTree();
  if (!isCurrent()) return undefined;
  const districtName = (code) => tree.byCode.get(code)?.name ?? code;
  const body = h('tbody');
  const count = h('span', { class: 'muted push-right', 'data-testid': 'case-count' });

  function row(c) {
    return h(
      'tr',
      { 'data-case': c.id, class: c.overdue ? 'overdue' : '' },
      h('td', { class: 'mono' }, h('a', { href: href(`/cases/${c.id}`) }, `#${c.id}`)),
      h('td', {}, h('a', { href: href(`/cases/${c.id}`) }, caseTitle(c, districtName))),
      h('td', {}, districtName(c.district_code)),
      h('td', {}, c.priority),
      h('td', {}, t(`caseStatus.${c.status}`)),
      h('td', {}, stageLabel(c.stage)),
      h('td', { class: 'nowrap' }, countdown(c)),
      h('td', {}, supervisionFlag(c.supervision)),
      h('td', { class: 'nowrap' }, formatDateTime(c.opened_at)),
    );
  }

  async function load() {
    const page = none ? { items: [] } : await api(casesPath(tab, department));
    if (!isCurrent()) return;
    count.textContent = t('common.count', { count: page.items.length });
    body.replaceChildren(
      ...(page.items.length
        ? page.items.map(row)
        : [
            h(
              'tr',
              {},
              h('td', { colspan: 9, class: 'muted' }, t(none ? 'cases.noDepartment' : 'cases.empty')),
            ),
          ]),
    );
  }

  const redraw = singleFlight(load);
  await load();
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('cases.title')),
      h('p', { class: 'muted' }, t('cases.hint')),
    ),
    h(
      'div',
      { class: 'tabs', role: 'tablist' },
      TABS.map((name) =>
        h(
          'a',
          {
            href: href('/cases', { tab: name === 'all' ? '' : name }),
            role: 'tab',
            class: name === tab ? 'active' : '',
            'aria-selected': String(name === tab),
            'data-tab': name,
          },
          t(`cases.tab.${name}`),
        ),
      ),
      count,
    ),
    h(
      'section',
      { class: 'panel' },
      h(
        'table',
        { class: 'grid', 'data-testid': 'case-board' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'cases.id',
              'cases.titleCol',
              'cameras.district',
              'cases.priority',
              'cases.status',
              'cases.stage',
              'cases.deadline',
              'cases.supervision',
              'cases.opened',
            ].map((k) => h('th', {}, t(k))),
          ),
        ),
        body,
      ),
    ),
  );
  replaceParams(tab === 'all' ? {} : { tab });
  const timer = setInterval(() => tick(main), 30000);
  const stop = subscribe(['case'], { onChange: redraw, onResync: redraw });
  return () => {
    clearInterval(timer);
    stop();
  };
}
