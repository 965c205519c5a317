// Camera health audit: every faulty or offline camera with its fault and since when,
// filtered by district subtree, status, fault and text (in the URL); CSV export.

import { api } from '../api.js';
import { download, toCsv } from '../csv.js';
import { h, option } from '../dom.js';
import { indentedOptions, loadTree, subtreeCodes } from '../districts-tree.js';
import { failureLabel, faultLabel, formatDateTime, formatDuration, statusLabel, t } from '../i18n.js';
import { href, replaceParams } from '../router.js';
import { statusBadge } from './cameras.js';

const FAULTS = [
  'NO_SIGNAL',
  'FROZEN',
  'TOO_DARK',
  'OVEREXPOSED',
  'BLURRED',
  'OCCLUDED',
  'MOVED',
  'COLOR_CAST',
  'NOISY',
];

function matches(row, filter, districts) {
  if (districts && !districts.has(row.district_code)) return false;
  if (filter.status && row.status !== filter.status) return false;
  if (filter.fault && !(filter.fault in row.faults)) return false;
  if (filter.q) {
    const q = filter.q.toLowerCase();
    if (!row.camera_id.toLowerCase().includes(q) && !row.name.toLowerCase().includes(q)) return false;
  }
  return true;
}

function faultText(row) {
  const codes = Object.keys(row.faults);
  return codes.length ? codes.map(faultLabel).join(', ') : statusLabel(row.status);
}

export async function render(main, { params }) {
  const [tree, faulty] = await Promise.all([loadTree(), api('/health/faulty?limit=5000')]);
  const filter = {
    district: params.district ?? '',
    status: params.status ?? '',
    fault: params.fault ?? '',
    q: params.q ?? '',
  };
  const body = h('tbody');
  const count = h('span', { class: 'muted', 'data-testid': 'audit-count' });
  const districtName = (code) => tree.byCode.get(code)?.name ?? code;
  let shown = [];

  function draw() {
    const districts = filter.district ? subtreeCodes(tree, filter.district) : null;
    shown = faulty.filter((row) => matches(row, filter, districts));
    count.textContent = t('common.count', { count: shown.length });
    body.replaceChildren(
      ...(shown.length
        ? shown.map((row) =>
            h(
              'tr',
              { 'data-camera': row.camera_id },
              h(
                'td',
                { class: 'mono' },
                h('a', { href: href(`/cameras/${encodeURIComponent(row.camera_id)}`) }, row.camera_id),
              ),
              h('td', {}, row.name),
              h('td', {}, districtName(row.district_code)),
              h('td', {}, statusBadge(row.status)),
              h('td', {}, faultText(row)),
              h('td', { class: 'nowrap' }, formatDateTime(row.status_since)),
              h('td', { class: 'nowrap' }, formatDuration(row.status_since)),
              h('td', {}, failureLabel(row.last_failure)),
              h(
                'td',
                {},
                h(
                  'a',
                  {
                    class: 'button small',
                    href: href(`/cameras/${encodeURIComponent(row.camera_id)}`, { live: 1 }),
                  },
                  `▶ ${t('cameras.live')}`,
                ),
              ),
            ),
          )
        : [h('tr', {}, h('td', { colspan: 9, class: 'muted' }, t('audit.empty')))]),
    );
  }

  function control(name, element) {
    element.addEventListener(element.tagName === 'INPUT' ? 'input' : 'change', () => {
      filter[name] = element.value.trim();
      replaceParams(filter);
      draw();
    });
    return element;
  }

  function exportCsv() {
    const header = [
      'cameras.id',
      'cameras.name',
      'cameras.district',
      'cameras.status',
      'audit.fault',
      'audit.since',
      'audit.duration',
      'audit.lastFailure',
    ].map((k) => t(k));
    const rows = shown.map((row) => [
      row.camera_id,
      row.name,
      districtName(row.district_code),
      statusLabel(row.status),
      faultText(row),
      formatDateTime(row.status_since),
      formatDuration(row.status_since),
      row.last_failure ? failureLabel(row.last_failure) : '',
    ]);
    const stamp = new Date().toISOString().slice(0, 10);
    download(`gridwatch-faulty-cameras-${stamp}.csv`, toCsv(header, rows));
  }

  draw();
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('audit.title')),
      h('p', { class: 'muted' }, t('audit.hint')),
    ),
    h(
      'div',
      { class: 'filters' },
      h('label', {}, t('audit.text'), control('q', h('input', { type: 'search', value: filter.q }))),
      h(
        'label',
        {},
        t('cameras.district'),
        control(
          'district',
          h(
            'select',
            {},
            option('', t('common.all'), filter.district),
            indentedOptions(tree).map((o) => option(o.code, o.label, filter.district)),
          ),
        ),
      ),
      h(
        'label',
        {},
        t('cameras.status'),
        control(
          'status',
          h(
            'select',
            {},
            option('', t('common.all'), filter.status),
            ['degraded', 'offline'].map((s) => option(s, statusLabel(s), filter.status)),
          ),
        ),
      ),
      h(
        'label',
        {},
        t('audit.fault'),
        control(
          'fault',
          h(
            'select',
            {},
            option('', t('common.all'), filter.fault),
            FAULTS.map((f) => option(f, faultLabel(f), filter.fault)),
          ),
        ),
      ),
      count,
      h(
        'button',
        { type: 'button', class: 'primary push-right', 'data-testid': 'export-csv', onclick: exportCsv },
        t('audit.export'),
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h(
        'table',
        { class: 'grid', 'data-testid': 'audit-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'cameras.id',
              'cameras.name',
              'cameras.district',
              'cameras.status',
              'audit.fault',
              'audit.since',
              'audit.duration',
              'audit.lastFailure',
              'cameras.actions',
            ].map((k) => h('th', {}, t(k))),
          ),
        ),
        body,
      ),
    ),
  );
}
