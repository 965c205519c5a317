// The KPI dashboard's charts (ECharts): rates as bars out of 100 %, online rate per district.

import { GRID, TEXT, makeChart } from './charts.js';
import { formatPercent, t } from './i18n.js';

function percentBars(el, rows, color) {
  return makeChart(el, {
    grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null ? t('kpi.noData') : formatPercent(v)) },
    xAxis: {
      type: 'value',
      min: 0,
      max: 1,
      axisLabel: { color: TEXT, formatter: (v) => formatPercent(v) },
      splitLine: { lineStyle: { color: GRID } },
    },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r[0]), axisLabel: { color: TEXT } },
    series: [
      {
        type: 'bar',
        barMaxWidth: 28,
        itemStyle: { color },
        label: {
          show: true,
          position: 'right',
          color: TEXT,
          formatter: (p) => (p.value === null ? '—' : formatPercent(p.value)),
        },
        data: rows.map((r) => r[1]),
      },
    ],
  });
}

export function rateGauges(el, rows) {
  return percentBars(el, rows, '#4aa8ff');
}

export function districtRateChart(el, rows) {
  return percentBars(el, rows, '#3ecf8e');
}
