// District tree with each node's camera counts, faults and online rate today; a selected
// node shows its online rate over the last 30 days.

import { api } from '../api.js';
import { onlineRateChart } from '../charts.js';
import { h } from '../dom.js';
import { loadTree } from '../districts-tree.js';
import { formatNumber, formatPercent, t } from '../i18n.js';
import { href, replaceParams } from '../router.js';

function rateCell(rate) {
  const width = rate === null ? 0 : Math.round(rate * 100);
  const tone = rate === null ? '' : rate >= 0.95 ? 'good' : rate >= 0.8 ? 'warn' : 'bad';
  return h(
    'td',
    { class: 'rate' },
    h('span', { class: `bar ${tone}` }, h('span', { style: `width:${width}%` })),
    h('span', { class: 'num' }, formatPercent(rate)),
  );
}

export async function render(main, { params }) {
  const tree = await loadTree();
  const collapsed = new Set((params.collapsed ?? '').split(',').filter(Boolean));
  let selected = params.node && tree.byCode.has(params.node) ? params.node : tree.roots[0]?.code;
  let chart = null;
  const body = h('tbody');
  const chartBox = h('div', { class: 'chart', 'data-testid': 'district-trend' });
  const chartTitle = h('h3');

  const remember = () => replaceParams({ node: selected, collapsed: [...collapsed].join(',') });

  async function showTrend() {
    const node = tree.byCode.get(selected);
    if (!node) return;
    chartTitle.textContent = t('districts.trend', { name: node.name });
    const data = await api(`/districts/${encodeURIComponent(node.code)}/online-rate`);
    chart?.dispose();
    chart = onlineRateChart(chartBox, data.days);
  }

  function rows() {
    const out = [];
    const walk = (node, depth) => {
      const open = !collapsed.has(node.code);
      const toggle = node.children.length
        ? h(
            'button',
            {
              type: 'button',
              class: 'toggle',
              'aria-expanded': String(open),
              'aria-label': t(open ? 'districts.collapse' : 'districts.expand'),
              onclick: (event) => {
                event.stopPropagation();
                if (open) collapsed.add(node.code);
                else collapsed.delete(node.code);
                remember();
                draw();
              },
            },
            open ? '▾' : '▸',
          )
        : h('span', { class: 'toggle' });
      out.push(
        h(
          'tr',
          {
            class: node.code === selected ? 'selected' : '',
            'data-code': node.code,
            onclick: () => {
              selected = node.code;
              remember();
              draw();
              showTrend();
            },
          },
          h(
            'td',
            { class: 'tree-name', style: `padding-left:${0.6 + depth * 1.4}rem` },
            toggle,
            h(
              'a',
              { href: href('/cameras', { district: node.code }), onclick: (e) => e.stopPropagation() },
              node.name,
            ),
          ),
          h('td', { class: 'mono muted' }, node.code),
          h('td', { class: 'num' }, formatNumber(node.cameras)),
          h('td', { class: 'num' }, formatNumber(node.online)),
          h('td', { class: `num ${node.faulty ? 'warn-text' : ''}` }, formatNumber(node.faulty)),
          h('td', { class: `num ${node.offline ? 'bad-text' : ''}` }, formatNumber(node.offline)),
          h('td', { class: 'num muted' }, formatNumber(node.unknown)),
          rateCell(node.online_rate_today),
        ),
      );
      if (open) for (const child of node.children) walk(child, depth + 1);
    };
    for (const root of tree.roots) walk(root, 0);
    return out;
  }

  function draw() {
    body.replaceChildren(...rows());
  }

  draw();
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('districts.title')),
      h('p', { class: 'muted' }, t('districts.hint')),
    ),
    h(
      'div',
      { class: 'split' },
      h(
        'section',
        { class: 'panel' },
        h(
          'table',
          { class: 'grid', 'data-testid': 'district-tree' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [
                'districts.name',
                'districts.code',
                'districts.cameras',
                'districts.online',
                'districts.faulty',
                'districts.offline',
                'districts.unknown',
                'districts.rate',
              ].map((key) => h('th', {}, t(key))),
            ),
          ),
          body,
        ),
      ),
      h('section', { class: 'panel' }, chartTitle, chartBox),
    ),
  );
  await showTrend();
  return () => chart?.dispose();
}
