// The cue for a new high-priority alert: a banner that stays until dismissed, and an
// optional tone made with the Web Audio API (no sound file). Sound is off until the
// operator turns it on; the choice is remembered in localStorage.

import { h } from '../dom.js';
import { t } from '../i18n.js';

const SOUND_KEY = 'gridwatch.alertSound';
export const KINDS = [
  'offline',
  'group_offline',
  'fault',
  'auth',
  'intrusion',
  'worker_offline',
  'no_live_worker',
];

export function kindLabel(kind) {
  return KINDS.includes(kind) ? t(`kind.${kind}`) : kind;
}

function beep() {
  const audio = new AudioContext();
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.type = 'sine';
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.2, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.6);
  tone.addEventListener('ended', () => audio.close());
}

export function alertCue() {
  let soundOn = localStorage.getItem(SOUND_KEY) === 'on';
  const text = h('span', { 'data-testid': 'cue-text' });
  const banner = h(
    'div',
    { class: 'cue', role: 'alert', 'data-testid': 'cue', hidden: true },
    h('strong', {}, '⚠ '),
    text,
    h(
      'button',
      {
        type: 'button',
        class: 'small ghost',
        'data-testid': 'cue-dismiss',
        onclick: () => {
          banner.hidden = true;
        },
      },
      t('queue.dismiss'),
    ),
  );
  const toggle = h('button', {
    type: 'button',
    class: 'small',
    'data-testid': 'sound',
    'aria-pressed': String(soundOn),
  });
  const label = () => {
    toggle.textContent = soundOn ? `♪ ${t('queue.soundOn')}` : t('queue.soundOff');
    toggle.setAttribute('aria-pressed', String(soundOn));
  };
  toggle.addEventListener('click', () => {
    soundOn = !soundOn;
    localStorage.setItem(SOUND_KEY, soundOn ? 'on' : 'off');
    label();
    if (soundOn) beep(); // the click also lets the browser play later tones
  });
  label();
  return {
    banner,
    toggle,
    announce(alert, district) {
      text.textContent = t('queue.newHigh', {
        what:
          alert.members > 0
            ? t('queue.storm', { n: alert.members, m: alert.total ?? alert.members })
            : kindLabel(alert.kind),
        where: district,
      });
      banner.hidden = false;
      if (soundOn) {
        try {
          beep();
        } catch {
          // no audio device: the banner is the cue
        }
      }
    },
    dispose() {},
  };
}
