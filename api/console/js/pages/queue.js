// The alert queue, the operators' landing page: what needs someone now, most urgent then
// newest first (GET /alerts?queue=true), refreshed live from the change feed. Filters
// (district subtree, kind, priority, view) live in the URL. Acknowledged alerts move to
// the "Acknowledged" view, where they can still be escalated or unacknowledged.

import { api, query } from '../api.js';
import { ask } from '../ask.js';
import { h, option } from '../dom.js';
import { indentedOptions, loadTree } from '../districts-tree.js';
import { evidenceThumb } from '../evidence.js';
import { subscribe } from '../feed.js';
import { failureLabel, faultLabel, formatDateTime, formatDuration, t } from '../i18n.js';
import { href, replaceParams } from '../router.js';
import { currentUser } from '../session.js';
import { singleFlight } from '../single-flight.js';
import { KINDS, alertCue, kindLabel } from './queue-cue.js';

const PRIORITIES = [80, 50, 20];
const ACK_DURATIONS = [900, 3600, 4 * 3600, 86400];
const SILENCE_DURATIONS = [3600, 4 * 3600, 86400, 7 * 86400];

function durationLabel(seconds) {
  return seconds >= 86400
    ? t('duration.days', { d: seconds / 86400 })
    : t('duration.hours', { h: seconds / 3600 });
}

function severityBadge(alert) {
  return h(
    'span',
    { class: `badge sev-${alert.severity}` },
    `${alert.priority} · ${t(`severity.${alert.severity}`)}`,
  );
}

function alertPath(filter, cursor) {
  const view =
    filter.view === 'acked' ? { acknowledged: true, status: 'firing', inhibited: false } : { queue: true };
  return `/alerts${query({ ...view, district: filter.district, kind: filter.kind, priority: filter.priority, cursor, limit: 50 })}`;
}

export async function render(main, { params, isCurrent }) {
  const tree = await loadTree();
  const filter = {
    view: params.view ?? '',
    district: params.district ?? '',
    kind: params.kind ?? '',
    priority: params.priority ?? '',
  };
  const districtName = (code) => tree.byCode.get(code)?.name ?? code;
  const body = h('tbody');
  const count = h('span', { class: 'muted', 'data-testid': 'queue-count' });
  const notice = h('div', { class: 'notice', 'data-testid': 'queue-notice', role: 'status', hidden: true });
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(true) }, t('common.more'));
  const cue = alertCue();
  const expanded = new Set();
  let items = [];
  let cursor = null;
  let seen = null; // ids of the first page shown, to spot arrivals

  async function load(append = false) {
    const page = await api(alertPath(filter, append ? cursor : undefined));
    if (!isCurrent()) return;
    if (!append && seen !== null && filter.view !== 'acked') {
      const fresh = page.items.filter((a) => !seen.has(a.id) && a.priority >= 50);
      if (fresh.length) cue.announce(fresh[0], districtName(fresh[0].district_code));
    }
    if (!append) seen = new Set(page.items.map((a) => a.id));
    items = append ? items.concat(page.items) : page.items;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    await draw();
  }

  const refresh = singleFlight(() => load());

  function say(message, link) {
    notice.replaceChildren(message, link ? ' ' : '', link ?? '');
    notice.hidden = false;
  }

  async function act(alert, action, body) {
    try {
      const result = await api(`/alerts/${encodeURIComponent(alert.id)}/${action}`, { method: 'POST', body });
      if (action === 'escalate' && result.case_id !== null) {
        say(
          t('queue.escalated', { id: result.case_id }),
          h(
            'a',
            { href: href(`/cases/${result.case_id}`), 'data-testid': 'escalated-case' },
            t('queue.openCase'),
          ),
        );
      } else {
        say(t(`queue.done.${action}`));
      }
    } catch (error) {
      say(t('common.error', { detail: error.message }));
    }
    await refresh();
  }

  async function acknowledge(alert) {
    const values = await ask(t('queue.acknowledge'), [
      {
        name: 'duration_s',
        label: t('queue.ackFor'),
        type: 'select',
        value: '3600',
        options: ACK_DURATIONS.map((s) => [String(s), durationLabel(s)]),
      },
      { name: 'note', label: t('queue.note'), type: 'text' },
    ]);
    if (values) await act(alert, 'acknowledge', { duration_s: Number(values.duration_s), note: values.note });
  }

  async function silence(alert) {
    const values = await ask(t('queue.silence'), [
      {
        name: 'duration_s',
        label: t('queue.silenceFor'),
        type: 'select',
        value: '3600',
        options: SILENCE_DURATIONS.map((s) => [String(s), durationLabel(s)]),
      },
      { name: 'reason', label: t('queue.reason'), type: 'textarea', required: true },
    ]);
    if (values) await act(alert, 'silence', { duration_s: Number(values.duration_s), reason: values.reason });
  }

  async function assign(alert) {
    const values = await ask(t('queue.assign'), [
      {
        name: 'assignee',
        label: t('queue.assignee'),
        type: 'text',
        required: true,
        value: alert.assignee ?? currentUser().username,
      },
    ]);
    if (values) await act(alert, 'assign', { assignee: values.assignee });
  }

  async function escalate(alert) {
    const values = await ask(t('queue.escalate'), [
      { name: 'reason', label: t('queue.reason'), type: 'textarea', required: true },
    ]);
    if (values) await act(alert, 'escalate', { reason: values.reason });
  }

  function actions(alert) {
    const button = (key, onclick, cls = 'small') =>
      h(
        'button',
        { type: 'button', class: cls, 'data-action': key, onclick: () => onclick(alert) },
        t(`queue.${key}`),
      );
    return h(
      'div',
      { class: 'row-actions' },
      alert.acknowledged
        ? button('unacknowledge', (a) => act(a, 'unacknowledge', undefined))
        : button('acknowledge', acknowledge, 'small primary'),
      button('silence', silence),
      button('assign', assign),
      alert.case_id
        ? h(
            'a',
            { class: 'button small', href: href(`/cases/${alert.case_id}`), 'data-testid': 'case-link' },
            t('queue.caseN', { id: alert.case_id }),
          )
        : button('escalate', escalate),
    );
  }

  function what(alert, member) {
    const storm = t('queue.storm', { n: alert.members, m: alert.total ?? alert.members });
    if (alert.members > 0 && member) return h('span', {}, storm, alert.uplink ? ` · ${alert.uplink}` : '');
    if (alert.members > 0) {
      const toggle = h(
        'button',
        {
          type: 'button',
          class: 'toggle',
          'aria-expanded': String(expanded.has(alert.id)),
          'data-testid': 'expand',
          onclick: () => {
            expanded.has(alert.id) ? expanded.delete(alert.id) : expanded.add(alert.id);
            draw();
          },
        },
        expanded.has(alert.id) ? '▾' : '▸',
      );
      return h('span', {}, toggle, ' ', storm, alert.uplink ? ` · ${alert.uplink}` : '');
    }
    return h(
      'span',
      {},
      kindLabel(alert.kind),
      alert.code ? ` · ${alert.kind === 'fault' ? faultLabel(alert.code) : failureLabel(alert.code)}` : '',
      alert.camera_id ? ' · ' : '',
      alert.camera_id
        ? h(
            'a',
            {
              href: href(`/cameras/${encodeURIComponent(alert.camera_id)}`),
              title: t('queue.open_camera'),
              'data-testid': 'camera-link',
            },
            alert.camera_id,
          )
        : '',
    );
  }

  function row(alert, member = false) {
    return h(
      'tr',
      { 'data-alert': alert.id, class: member ? 'member' : alert.members > 0 ? 'storm' : '' },
      h('td', {}, severityBadge(alert)),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'alert-what' },
          member ? h('span', { class: 'muted' }, '↳ ') : '',
          evidenceThumb(alert),
          what(alert, member),
        ),
      ),
      h('td', {}, districtName(alert.district_code)),
      h('td', { class: 'nowrap' }, formatDateTime(alert.started_at)),
      h('td', { class: 'nowrap' }, formatDuration(alert.started_at)),
      h(
        'td',
        {},
        alert.assignee ?? '—',
        alert.acknowledged
          ? h(
              'div',
              { class: 'muted' },
              t('queue.ackedUntil', { who: alert.acked_by, until: formatDateTime(alert.acked_until) }),
            )
          : '',
      ),
      h('td', {}, member ? '' : actions(alert)),
    );
  }

  async function draw() {
    const groups = await Promise.all(
      items
        .filter((a) => a.members > 0 && expanded.has(a.id))
        .map((a) => api(`/alerts/${encodeURIComponent(a.id)}`).then((d) => [a.id, d.grouped])),
    );
    const members = new Map(groups);
    count.textContent = t('common.count', { count: items.length });
    body.replaceChildren(
      ...(items.length
        ? items.flatMap((a) => [row(a), ...(members.get(a.id) ?? []).map((m) => row(m, true))])
        : [
            h(
              'tr',
              {},
              h(
                'td',
                { colspan: 7, class: 'muted' },
                t(filter.view === 'acked' ? 'queue.emptyAcked' : 'queue.empty'),
              ),
            ),
          ]),
    );
  }

  function control(name, element) {
    element.addEventListener('change', () => {
      filter[name] = element.value;
      replaceParams(filter);
      seen = null;
      refresh();
    });
    return element;
  }

  const select = (name, label, options) =>
    h(
      'label',
      {},
      label,
      control(
        name,
        h('select', { 'data-testid': `filter-${name}` }, option('', t('common.all'), filter[name]), options),
      ),
    );

  await load();
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('queue.title')),
      h('p', { class: 'muted' }, t('queue.hint')),
    ),
    cue.banner,
    h(
      'div',
      { class: 'filters' },
      h(
        'label',
        {},
        t('queue.view'),
        control(
          'view',
          h(
            'select',
            { 'data-testid': 'filter-view' },
            option('', t('queue.viewOpen'), filter.view),
            option('acked', t('queue.viewAcked'), filter.view),
          ),
        ),
      ),
      select(
        'district',
        t('cameras.district'),
        indentedOptions(tree).map((o) => option(o.code, o.label, filter.district)),
      ),
      select(
        'kind',
        t('queue.kind'),
        KINDS.map((k) => option(k, kindLabel(k), filter.kind)),
      ),
      select(
        'priority',
        t('queue.priority'),
        PRIORITIES.map((p) => option(String(p), t('queue.atLeast', { p }), filter.priority)),
      ),
      count,
      h('span', { class: 'push-right' }, cue.toggle),
    ),
    notice,
    h(
      'section',
      { class: 'panel' },
      h(
        'table',
        { class: 'grid', 'data-testid': 'alert-queue' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'queue.priority',
              'queue.what',
              'cameras.district',
              'queue.started',
              'queue.duration',
              'queue.assignee',
              'cameras.actions',
            ].map((k) => h('th', {}, t(k))),
          ),
        ),
        body,
      ),
      more,
    ),
  );
  const stop = subscribe(['alert'], { onChange: refresh, onResync: refresh });
  // An acknowledgement or silence that runs out brings an alert back without any change
  // on the feed: look again every minute.
  const timer = setInterval(refresh, 60000);
  return () => {
    clearInterval(timer);
    stop();
    cue.dispose();
  };
}
