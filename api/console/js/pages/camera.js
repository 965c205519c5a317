// One camera: live video (WebRTC, falling back to a refreshing snapshot), its latest
// picture, health now, and its health timeline and online rate per day.

import { ApiError, api, request } from '../api.js';
import { healthTimelineChart, onlineRateChart } from '../charts.js';
import { h } from '../dom.js';
import { loadTree } from '../districts-tree.js';
import { failureLabel, faultLabel, formatDateTime, t } from '../i18n.js';
import { LiveError, LiveVideo } from '../live.js';
import { href, replaceParams } from '../router.js';
import { statusBadge } from './cameras.js';

const FALLBACK_REFRESH_S = 5;

function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs.flatMap(([label, value]) => [h('dt', {}, t(label)), h('dd', {}, value ?? '—')]),
  );
}

export async function render(main, { args, params }) {
  const [cameraId] = args;
  const path = `/cameras/${encodeURIComponent(cameraId)}`;
  const [camera, health, history, tree] = await Promise.all([
    api(path),
    api(`${path}/health`),
    api(`${path}/health/history`),
    loadTree(),
  ]);
  const charts = [];
  let fallbackTimer = null;
  let pictureUrl = null;

  // --- picture and live video ---------------------------------------------------
  const video = h('video', {
    autoplay: true,
    muted: true,
    playsinline: true,
    'data-testid': 'live-video',
    hidden: true,
  });
  video.muted = true;
  const picture = h('img', { alt: t('camera.snapshot'), 'data-testid': 'snapshot', hidden: true });
  const screenNote = h('p', { class: 'screen-note muted' });
  const liveState = h('p', { class: 'live-state', role: 'status', 'data-testid': 'live-state' });
  const playButton = h(
    'button',
    { type: 'button', class: 'primary', 'data-testid': 'live-play' },
    t('live.play'),
  );
  const stopButton = h(
    'button',
    { type: 'button', 'data-testid': 'live-stop', hidden: true },
    t('live.stop'),
  );
  const refreshButton = h('button', { type: 'button', class: 'ghost' }, t('camera.snapshotRefresh'));
  const live = new LiveVideo(cameraId, video);

  async function loadPicture() {
    if (!camera.snapshot_url) {
      screenNote.textContent = t('camera.snapshotNone');
      return;
    }
    try {
      const response = await request(`${path}/snapshot`);
      const blob = await response.blob();
      if (pictureUrl) URL.revokeObjectURL(pictureUrl);
      pictureUrl = URL.createObjectURL(blob);
      picture.src = pictureUrl;
      picture.hidden = !video.hidden;
      screenNote.textContent = t('camera.snapshotTaken', { time: formatDateTime(new Date().toISOString()) });
    } catch (error) {
      if (error instanceof ApiError && error.status === 429) return; // fetched a moment ago
      const detail = error.problem?.failure ? failureLabel(error.problem.failure) : error.message;
      screenNote.textContent = t('camera.snapshotFailed', { detail });
    }
  }

  function showVideo(on) {
    video.hidden = !on;
    picture.hidden = on || !picture.src;
    playButton.hidden = on;
    stopButton.hidden = !on;
  }

  function fallback(error) {
    const { limit, failure } = error.problem ?? {};
    let reason;
    if (error.reason === 'limit') reason = limit ? t(`live.limit.${limit}`) : error.detail;
    else if (error.reason === 'camera')
      reason = t('live.reasonCamera', { detail: failure ? failureLabel(failure) : error.detail });
    else if (error.reason === 'unsupported') reason = t('live.reasonUnsupported');
    else reason = t('live.reasonNetwork');
    liveState.textContent = t('live.fallback', { reason, seconds: FALLBACK_REFRESH_S });
    liveState.className = 'live-state warn';
    showVideo(false);
    clearInterval(fallbackTimer);
    fallbackTimer = setInterval(loadPicture, FALLBACK_REFRESH_S * 1000);
    loadPicture();
  }

  async function play() {
    clearInterval(fallbackTimer);
    playButton.disabled = true;
    liveState.textContent = t('live.connecting');
    liveState.className = 'live-state';
    replaceParams({ live: 1 });
    try {
      await live.start({ onEnded: () => fallback(new LiveError('network')) });
      showVideo(true);
      liveState.textContent = t('live.playing');
      liveState.className = 'live-state good';
    } catch (error) {
      fallback(error);
    } finally {
      playButton.disabled = false;
    }
  }

  function stop() {
    live.stop();
    clearInterval(fallbackTimer);
    showVideo(false);
    replaceParams({});
    liveState.textContent = t('live.stopped');
    liveState.className = 'live-state';
  }

  playButton.addEventListener('click', play);
  stopButton.addEventListener('click', stop);
  refreshButton.addEventListener('click', loadPicture);
  const onLeave = () => live.stop();
  window.addEventListener('pagehide', onLeave);

  // --- page ------------------------------------------------------------------------
  const district = tree.byCode.get(camera.district_code);
  const faults = Object.keys(health.faults ?? {});
  const timeline = h('div', { class: 'chart', 'data-testid': 'health-timeline' });
  const rate = h('div', { class: 'chart', 'data-testid': 'online-rate' });
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h(
        'a',
        { class: 'muted', href: href('/cameras', { district: camera.district_code }) },
        `← ${district?.name ?? camera.district_code}`,
      ),
      h('h1', {}, camera.name || camera.id, ' ', statusBadge(health.status)),
      h('p', { class: 'mono muted' }, camera.id),
    ),
    h(
      'div',
      { class: 'camera-layout' },
      h(
        'section',
        { class: 'panel live-panel' },
        h('h2', {}, t('live.title')),
        h('div', { class: 'screen' }, video, picture, screenNote),
        h('div', { class: 'live-controls' }, playButton, stopButton, refreshButton, liveState),
      ),
      h(
        'div',
        { class: 'side' },
        h(
          'section',
          { class: 'panel' },
          facts([
            ['camera.district', district?.name ?? camera.district_code],
            ['camera.status', statusBadge(health.status)],
            ['camera.since', formatDateTime(health.status_since)],
            ['camera.faults', faults.length ? faults.map(faultLabel).join(', ') : t('common.none')],
            ['camera.lastProbe', formatDateTime(health.last_probe_at)],
            ['camera.lastGood', formatDateTime(health.last_good_at)],
            ['audit.lastFailure', failureLabel(health.last_failure)],
            ['camera.use', camera.use],
            ['camera.uplink', camera.uplink],
            ['camera.maintainer', camera.maintainer],
            ['camera.tags', (camera.tags ?? []).join(', ') || null],
            ['camera.credentials', t(camera.has_credentials ? 'common.yes' : 'common.no')],
          ]),
        ),
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, t('camera.timeline')),
          history.days.length ? timeline : h('p', { class: 'muted' }, t('camera.noHistory')),
        ),
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, t('camera.onlineRate')),
          history.days.length ? rate : h('p', { class: 'muted' }, t('camera.noHistory')),
        ),
      ),
    ),
  );
  if (history.days.length) {
    charts.push(healthTimelineChart(timeline, history.days), onlineRateChart(rate, history.days));
  }
  if (params.live) play();
  else loadPicture();

  return () => {
    window.removeEventListener('pagehide', onLeave);
    live.stop();
    clearInterval(fallbackTimer);
    if (pictureUrl) URL.revokeObjectURL(pictureUrl);
    for (const chart of charts) chart.dispose();
  };
}
