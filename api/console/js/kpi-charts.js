// The KPI dashboard's charts (ECharts): rates as bars out of 100 %, online rate per district.

import { formatPercent, language, t } from './i18n.js';

const TEXT = '#c9d6e8';
const GRID = 'rgba(201, 214, 232, 0.12)';

function make(el, option) {
  const chart = globalThis.echarts.init(el, null, { locale: language() === 'zh-CN' ? 'ZH' : 'EN' });
  chart.setOption({ animation: false, textStyle: { color: TEXT }, ...option });
  const resize = () => chart.resize();
  window.addEventListener('resize', resize);
  return {
    chart,
    dispose() {
      window.removeEventListener('resize', resize);
      chart.dispose();
    },
  };
}

function percentBars(el, rows, color) {
  return make(el, {
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
