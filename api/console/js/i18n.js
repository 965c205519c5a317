// One message catalogue per language (i18n/<lang>.json); dates in the command center's zone.

const STORAGE_KEY = 'gridwatch.lang';
export const LANGUAGES = ['zh-CN', 'en'];
const LANGUAGE_NAMES = { 'zh-CN': '中文', en: 'English' };

let current = 'zh-CN';
let messages = {};
let timeZone = 'Asia/Shanghai';

export function languageName(lang) {
  return LANGUAGE_NAMES[lang] ?? lang;
}

export function initialLanguage() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (LANGUAGES.includes(saved)) return saved;
  const wanted = (navigator.languages?.[0] ?? navigator.language ?? '').toLowerCase();
  return wanted.startsWith('zh') ? 'zh-CN' : 'en';
}

export async function setLanguage(lang) {
  const response = await fetch(`i18n/${lang}.json`, { cache: 'no-cache' });
  if (!response.ok) throw new Error(`no message catalogue for ${lang}`);
  messages = await response.json();
  current = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  document.title = t('app.title');
}

export function language() {
  return current;
}

export function setTimeZone(zone) {
  timeZone = zone;
}

export function currentTimeZone() {
  return timeZone;
}

export function t(key, params = {}) {
  const text = messages[key];
  if (text === undefined) {
    console.warn(`missing message ${key} in ${current}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function statusLabel(status) {
  return t(`status.${status ?? 'unknown'}`);
}

export function faultLabel(code) {
  const key = `fault.${code}`;
  return key in messages ? messages[key] : code;
}

export function caseKindLabel(kind) {
  const key = `caseKind.${kind}`;
  return key in messages ? messages[key] : kind;
}

export function failureLabel(code) {
  if (!code) return '—';
  const key = `failure.${code}`;
  return key in messages ? messages[key] : code;
}

export function formatDateTime(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(current, {
    timeZone,
    dateStyle: 'medium',
    timeStyle: 'short',
    hourCycle: 'h23',
  }).format(new Date(iso));
}

// A calendar day ('2026-11-26') is already a command-center day: format it as is.
export function formatDay(day) {
  return new Intl.DateTimeFormat(current, { timeZone: 'UTC', month: 'short', day: 'numeric' }).format(
    new Date(`${day}T00:00:00Z`),
  );
}

export function formatPercent(value) {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat(current, { style: 'percent', maximumFractionDigits: 1 }).format(value);
}

export function formatNumber(value) {
  return new Intl.NumberFormat(current).format(value);
}

export function formatDuration(sinceIso, now = Date.now()) {
  if (!sinceIso) return '—';
  const minutes = Math.max(0, Math.floor((now - new Date(sinceIso).getTime()) / 60000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return t('duration.dh', { d: days, h: hours });
  if (hours > 0) return t('duration.hm', { h: hours, m: minutes % 60 });
  return t('duration.m', { m: minutes });
}
