// KPI dashboard: closure rate, on-time rate, satisfaction, mean working times to sign-for
// and resolution (GET /kpis, last 30 days by default) and today's online rate per district.

import { api, query } from '../api.js';
import { h } from '../dom.js';
import { loadTree } from '../districts-tree.js';
import { formatNumber, formatPercent, t } from '../i18n.js';
import { districtRateChart, rateGauges } from '../kpi-charts.js';
import { go } from '../router.js';

function hours(seconds) {
  return seconds === null || seconds === undefined
    ? '—'
    : t('kpi.hours', { h: formatNumber(Math.round(seconds / 360) / 10) });
}

export async function render(main, { params, isCurrent }) {
  const days = ['7', '30', '90'].includes(params.days) ? params.days : '30';
  const from = new Date(Date.now() - Number(days) * 86400000).toISOString();
  const [k, tree] = await Promise.all([api(`/kpis${query({ from })}`), loadTree()]);
  if (!isCurrent()) return undefined;
  // The caller's own level and the one below it: the districts a dashboard compares.
  const top = tree.roots.flatMap((r) => [r, ...r.children]);
  const tile = (key, value, testid) =>
    h(
      'div',
      { class: 'tile', 'data-testid': testid },
      h('div', { class: 'tile-value' }, value),
      h('div', { class: 'muted' }, t(key)),
    );
  const gauges = h('div', { class: 'chart', 'data-testid': 'kpi-rates' });
  const online = h('div', { class: 'chart', 'data-testid': 'kpi-online' });
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('kpi.title')),
      h('p', { class: 'muted' }, t('kpi.hint', { days })),
    ),
    h(
      'div',
      { class: 'filters' },
      h(
        'label',
        {},
        t('kpi.period'),
        h(
          'select',
          { 'data-testid': 'kpi-days', onchange: (e) => go('/kpis', { days: e.target.value }) },
          ['7', '30', '90'].map((d) => h('option', { value: d, selected: d === days }, t('kpi.days', { d }))),
        ),
      ),
    ),
    h(
      'div',
      { class: 'tiles' },
      tile('kpi.opened', formatNumber(k.opened), 'kpi-opened'),
      tile('kpi.closed', formatNumber(k.closed), 'kpi-closed'),
      tile('kpi.closureRate', formatPercent(k.closure_rate), 'kpi-closure'),
      tile('kpi.onTimeRate', formatPercent(k.on_time_rate), 'kpi-ontime'),
      tile('kpi.satisfaction', formatPercent(k.satisfaction_rate), 'kpi-satisfaction'),
      tile('kpi.meanSignFor', hours(k.mean_sign_for_s), 'kpi-signfor'),
      tile('kpi.meanResolve', hours(k.mean_resolve_s), 'kpi-resolve'),
      tile('kpi.overdueNow', formatNumber(k.overdue_now), 'kpi-overdue'),
    ),
    h(
      'div',
      { class: 'split' },
      h('section', { class: 'panel' }, h('h2', {}, t('kpi.rates')), gauges),
      h('section', { class: 'panel' }, h('h2', {}, t('kpi.onlineByDistrict')), online),
    ),
  );
  const charts = [
    rateGauges(gauges, [
      [t('kpi.closureRate'), k.closure_rate],
      [t('kpi.onTimeRate'), k.on_time_rate],
      [t('kpi.satisfaction'), k.satisfaction_rate],
    ]),
    districtRateChart(
      online,
      top.map((d) => [d.name, d.online_rate_today]),
    ),
  ];
  return () => charts.forEach((c) => c.dispose());
}
