// The login page: the Telegram Mini App's initData, the OAuth redirect's #tgAuthResult, or the
// choice of Telegram's login (OAuth button, and the widget when its bot is configured).
import { api, errorText, pickLanguage, say, t, useLanguage } from '/assets/app.js';

const status = document.getElementById('status');
const query = new URLSearchParams(location.search);
const fragment = new URLSearchParams(location.hash.slice(1));
const target = query.get('redirect') || '/hub/';

function fail(err) {
  say(status, errorText(err), 'error');
  document.getElementById('methods').hidden = false;
}

// After the server said yes: on to where the person was going (the server cleaned the target).
function arrive(answer) {
  history.replaceState(null, '', location.pathname);
  location.replace((answer && answer.redirect) || '/hub/');
}

// The OAuth redirect: the signed fields as base64url JSON in the fragment.
function oauthFields(value) {
  let b64 = value.replace(/-/g, '+').replace(/_/g, '/');
  while (b64.length % 4) b64 += '=';
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))));
}

async function loginWith(path, body) {
  document.getElementById('methods').hidden = true;
  say(status, t('auth.signing_in'));
  try {
    arrive(await api('POST', path, body, { allow401: true }));
  } catch (err) {
    fail(err);
  }
}

async function showChoices() {
  const start = document.getElementById('telegram-login');
  start.href = '/api/webapp/auth/telegram/start?redirect=' + encodeURIComponent(target);
  // Already signed in (a bookmark, the back button): straight on.
  try {
    await api('GET', '/api/webapp/auth/me', undefined, { allow401: true });
    location.replace(target);
    return;
  } catch (err) { /* not signed in: show the choices */ }
  try {
    const { state, bot_username: bot } = await api('GET', '/api/webapp/auth/telegram/state', undefined, { allow401: true });
    if (!bot) return;
    const callback = location.origin + '/api/webapp/auth/telegram/callback?state=' + encodeURIComponent(state) +
      '&redirect=' + encodeURIComponent(target);
    const widget = document.createElement('script');
    widget.async = true;
    widget.src = 'https://telegram.org/js/telegram-widget.js?22';
    widget.dataset.telegramLogin = bot;
    widget.dataset.size = 'large';
    widget.dataset.authUrl = callback;
    widget.dataset.requestAccess = 'write';
    document.getElementById('widget').append(widget);
  } catch (err) {
    fail(err);
  }
}

async function main() {
  await useLanguage(pickLanguage());
  const chooser = document.getElementById('language-choice');
  chooser.value = document.documentElement.lang;
  chooser.addEventListener('change', async () => {
    localStorage.setItem('pnptv.language', chooser.value);
    await useLanguage(chooser.value);
  });
  if (fragment.get('tgWebAppData')) {
    // Inside Telegram (a Mini App): Telegram vouches for the person in initData.
    return loginWith('/api/webapp/auth/webapp?redirect=' + encodeURIComponent(target), { initData: fragment.get('tgWebAppData') });
  }
  if (fragment.get('tgAuthResult')) {
    let fields;
    try {
      fields = oauthFields(fragment.get('tgAuthResult'));
    } catch (e) {
      say(status, t('auth.unreadable'), 'error');
      return showChoices();
    }
    return loginWith('/api/webapp/auth/telegram?redirect=' + encodeURIComponent(target) +
      '&state=' + encodeURIComponent(query.get('state') || ''), fields);
  }
  return showChoices();
}

main();
