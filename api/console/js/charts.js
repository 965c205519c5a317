// Charts through Apache ECharts (vendor/echarts.min.js, loaded as a classic script).

import { formatDay, formatPercent, language, t } from './i18n.js';

export const TEXT = '#c9d6e8';
export const GRID = 'rgba(201, 214, 232, 0.12)';
const COLORS = { online: '#3ecf8e', faulty: '#f5a524', offline: '#f2545b', rate: '#4aa8ff' };

// A chart on `el` that follows the window's size and the console's language; `option`
// (if given) is set with the house defaults. dispose() releases both.
export function makeChart(el, option = null) {
  const chart = globalThis.echarts.init(el, null, { locale: language() === 'zh-CN' ? 'ZH' : 'EN' });
  if (option) chart.setOption({ animation: false, textStyle: { color: TEXT }, ...option });
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

function axes(days) {
  return {
    animation: false, // a wall screen redraws often; and screenshots show whole charts
    textStyle: { color: TEXT },
    grid: { left: 48, right: 16, top: 36, bottom: 28 },
    xAxis: {
      type: 'category',
      data: days.map((d) => formatDay(d.day)),
      axisLabel: { color: TEXT },
      axisLine: { lineStyle: { color: GRID } },
    },
    tooltip: { trigger: 'axis' },
  };
}

export function onlineRateChart(el, days) {
  const handle = makeChart(el);
  handle.chart.setOption({
    ...axes(days),
    yAxis: {
      type: 'value',
      min: 0,
      max: 1,
      axisLabel: { color: TEXT, formatter: (v) => formatPercent(v) },
      splitLine: { lineStyle: { color: GRID } },
    },
    tooltip: { trigger: 'axis', valueFormatter: (v) => formatPercent(v) },
    series: [
      {
        name: t('chart.rate'),
        type: 'line',
        smooth: true,
        connectNulls: false,
        areaStyle: { opacity: 0.15 },
        itemStyle: { color: COLORS.rate },
        data: days.map((d) => d.rate),
      },
    ],
  });
  return handle;
}

// Probes per day split into good, faulty (reachable but with a picture fault) and offline.
export function healthTimelineChart(el, days) {
  const handle = makeChart(el);
  handle.chart.setOption({
    ...axes(days),
    legend: { top: 0, textStyle: { color: TEXT } },
    yAxis: {
      type: 'value',
      name: t('chart.probes'),
      nameTextStyle: { color: TEXT },
      axisLabel: { color: TEXT },
      splitLine: { lineStyle: { color: GRID } },
    },
    series: [
      ['camera.probesOnline', 'online', (d) => Math.max(0, d.online - d.faulty)],
      ['camera.probesFaulty', 'faulty', (d) => d.faulty],
      ['camera.probesOffline', 'offline', (d) => Math.max(0, d.probes - d.online)],
    ].map(([label, color, value]) => ({
      name: t(label),
      type: 'bar',
      stack: 'probes',
      itemStyle: { color: COLORS[color] },
      data: days.map(value),
    })),
  });
  return handle;
}
