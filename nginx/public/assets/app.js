// app.js — what every page shares: the API, the message catalogue (EN/ES, the same one the bot
// and e-mails use), building the DOM without HTML strings, the header and the 18+ gate.

// ---- The API -------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (error && error.code) || `http_${status}`;
    this.field = (error && error.field) || null;
  }
}

// The login page, coming back here afterwards.
export function toLogin() {
  location.replace('/auth/?redirect=' + encodeURIComponent(location.pathname + location.search));
}

// One call: JSON (or a FormData) in, JSON out; an error body becomes an ApiError. A lost session
// goes to the login page unless the caller handles 401 itself.
export async function api(method, path, body, { allow401 = false } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { code: 'network', message: t('error.network') });
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401 && !allow401) {
    toLogin();
    throw new ApiError(401, data && data.error);
  }
  if (!res.ok) throw new ApiError(res.status, data && data.error);
  return data;
}

// ---- Words -----------------------------------------------------------------------------------

const catalogues = { en: '/assets/i18n/en.json', es: '/assets/i18n/es.json' };
let words = {};
export let language = 'en';

// The saved choice, else the account's, else the browser's; "es" or "en".
export function pickLanguage(account) {
  const chosen = localStorage.getItem('pnptv.language') || account || navigator.language || 'en';
  return chosen.toLowerCase().startsWith('es') ? 'es' : 'en';
}

export async function useLanguage(lang) {
  const res = await fetch(catalogues[lang] || catalogues.en);
  words = await res.json();
  language = lang in catalogues ? lang : 'en';
  document.documentElement.lang = language;
  translate(document);
}

// The text for a key with {placeholders} filled; the key itself when the catalogue lacks it.
export function t(key, vars = {}) {
  const text = Object.prototype.hasOwnProperty.call(words, key) ? words[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

// Elements marked data-i18n (text), data-i18n-placeholder, data-i18n-label (aria-label).
export function translate(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  const title = document.querySelector('title[data-i18n-title]');
  if (title) document.title = 'PNPtv · ' + t(title.dataset.i18nTitle);
}

// What to tell a person about a failed call: our words for the code, else the API's message.
export function errorText(err) {
  if (err instanceof ApiError) {
    const key = 'error.' + err.code;
    return Object.prototype.hasOwnProperty.call(words, key) ? t(key) : err.message;
  }
  return t('error.unexpected');
}

export function formatDate(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleDateString(language === 'es' ? 'es-CO' : 'en-US', { year: 'numeric', month: 'long', day: 'numeric' });
}

export function formatTime(iso) {
  return new Date(iso).toLocaleString(language === 'es' ? 'es-CO' : 'en-US', { dateStyle: 'medium', timeStyle: 'short' });
}

// ---- The DOM ---------------------------------------------------------------------------------

// h('a', {href, class, onclick}, 'text', child…): strings become text nodes, never HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// A message in the page's status area (role=status: screen readers announce it).
export function say(el, text, kind = 'info') {
  el.textContent = text;
  el.className = 'notice ' + kind;
  el.hidden = !text;
}

// An avatar image or the initial of the name.
export function avatar(person, size = 'small') {
  const url = person && person.avatar && person.avatar[size];
  const name = (person && person.display_name) || '?';
  if (url) return h('img', { class: 'avatar ' + size, src: url, alt: '' });
  return h('span', { class: 'avatar ' + size, 'aria-hidden': 'true' }, name.slice(0, 1).toUpperCase());
}

// ---- The page frame --------------------------------------------------------------------------

const navigation = [
  ['/hub/', 'nav.hub'], ['/media/videorama/', 'nav.videorama'], ['/media/radio/', 'nav.radio'],
  ['/media/live/', 'nav.live'], ['/hangouts/', 'nav.hangouts'],
];

function header(me) {
  const links = navigation.map(([href, key]) =>
    h('a', { href, 'aria-current': location.pathname.startsWith(href) ? 'page' : null }, t(key)));
  if (me && me.role === 'admin') links.push(h('a', { href: '/portal/', 'aria-current': location.pathname.startsWith('/portal/') ? 'page' : null }, t('nav.portal')));
  const chooser = h('select', { id: 'language', 'aria-label': t('nav.language') },
    h('option', { value: 'en', selected: language === 'en' }, 'English'),
    h('option', { value: 'es', selected: language === 'es' }, 'Español'));
  chooser.addEventListener('change', async () => {
    localStorage.setItem('pnptv.language', chooser.value);
    if (me) await api('PATCH', '/api/webapp/profile', { language: chooser.value }).catch(() => null);
    location.reload();
  });
  const tools = [chooser];
  if (me) {
    tools.push(h('button', {
      type: 'button', id: 'logout', class: 'link',
      onclick: async () => {
        await api('POST', '/api/webapp/auth/logout', {}, { allow401: true }).catch(() => null);
        location.assign('/auth/');
      },
    }, t('nav.logout')));
  }
  return h('header', { class: 'site' },
    h('a', { class: 'brand', href: '/hub/' }, 'PNPtv'),
    h('nav', { 'aria-label': t('nav.label') }, links),
    h('div', { class: 'tools' }, tools));
}

// Before anything else on a page: an adult-only community asks once, on the same record the
// bot's button writes.
function ageGate() {
  return new Promise((resolve) => {
    const status = h('p', { class: 'notice', role: 'status', hidden: true });
    const yes = h('button', { type: 'button', id: 'age-confirm', class: 'primary' }, t('age.confirm'));
    const no = h('button', { type: 'button', id: 'age-decline' }, t('age.decline'));
    const dialog = h('div', { class: 'gate', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'age-title' },
      h('div', { class: 'card' },
        h('h1', { id: 'age-title' }, t('age.title')),
        h('p', {}, t('age.text')),
        h('div', { class: 'actions' }, yes, no), status));
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await api('PUT', '/api/webapp/profile/age-verification');
        dialog.remove();
        resolve();
      } catch (err) {
        say(status, errorText(err), 'error');
        yes.disabled = false;
      }
    });
    no.addEventListener('click', () => say(status, t('age.declined'), 'error'));
    document.body.append(dialog);
    yes.focus();
  });
}

// Every signed-in page starts here: words, who is signed in (else the login page), the header,
// the 18+ gate; then the page's <main> is shown. Returns /me's answer.
export async function startPage() {
  const me = await api('GET', '/api/webapp/auth/me');
  await useLanguage(pickLanguage(me.user.language));  // once: the saved choice, else the account's
  document.body.prepend(header(me));
  if (!me.user.age_verified) await ageGate();
  const main = document.querySelector('main');
  if (main) main.hidden = false;
  return me;
}
