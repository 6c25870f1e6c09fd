// The radio: what is playing (Navidrome through our cached API), asked again every 15 s while the
// tab is in view, and the station in an <audio> player — or why there is none: no station set up,
// or a PRIME-only station and a free member.
import { api, clear, errorText, h, say, startPage, t } from '/assets/app.js';

const refresh_ms = 15000;

function track(entry) {
  // Navidrome's answer carries no cover art: a note stands in for it.
  return h('li', { class: 'track' },
    h('span', { class: 'cover', 'aria-hidden': 'true' }, '♪'),
    h('div', {},
      h('strong', { class: 'song' }, entry.title),
      h('span', { class: 'small' }, [entry.artist, entry.album].filter(Boolean).join(' · '))));
}

let shown = null;

function showNowPlaying(answer) {
  // Redrawn only when it changed: each redraw of a live region is read out again.
  const drawn = JSON.stringify([answer.playing, answer.entries]);
  if (drawn !== shown) {
    shown = drawn;
    clear(document.getElementById('tracks')).append(answer.playing
      ? h('ol', { class: 'tracks' }, answer.entries.map(track))
      : h('p', { id: 'nothing' }, t('radio.nothing')));
  }
  document.getElementById('now-note').textContent = answer.stale ? t('radio.stale') : '';
}

function showPlayer(answer, me) {
  const area = document.getElementById('radio-player');
  const status = document.getElementById('radio-status');
  if (!answer.stream_url) {
    say(status, t('radio.no_stream'));
    return;
  }
  if (answer.listeners === 'prime' && me.tier !== 'prime' && me.role !== 'admin') {
    area.append(
      h('p', { id: 'radio-prime-only' }, h('span', { class: 'badge inline' }, t('media.prime')), ' ', t('radio.prime_only')),
      h('a', { class: 'button primary', id: 'get-prime', href: '/hub/#plans' }, t('radio.get_prime')));
    return;
  }
  // preload none: a live stream is fetched once the listener presses play, not on opening the page.
  const audio = h('audio', { id: 'radio-audio', controls: true, preload: 'none', src: answer.stream_url, 'aria-label': t('radio.player') });
  audio.addEventListener('error', () => say(status, t('radio.stream_failed'), 'error'));
  audio.addEventListener('playing', () => say(status, ''));
  area.append(audio);
}

async function main() {
  const me = await startPage();
  let timer = null, asking = false, playerShown = false;
  const refresh = async () => {
    if (asking) return;
    asking = true;
    clearTimeout(timer);
    try {
      const answer = await api('GET', '/api/webapp/radio/now-playing');
      showNowPlaying(answer);
      if (!playerShown) {
        showPlayer(answer, me);
        playerShown = true;
      }
    } catch (err) {
      document.getElementById('now-note').textContent = errorText(err);
    } finally {
      asking = false;
    }
    if (!document.hidden) timer = setTimeout(refresh, refresh_ms);
  };
  // Nobody looking, nothing asked: a hidden tab stops asking, and asks at once on coming back.
  document.addEventListener('visibilitychange', () => {
    clearTimeout(timer);
    if (!document.hidden) refresh();
  });
  refresh();
}

main();
