// Videorama: the catalogue (posters, titles, PRIME badges; infinite scroll over the cursor API, a
// category filter) and, at ?v=<id>, one video: its player, or for a PRIME-only video without PRIME
// the way to the plans. The player's source is /play itself: nginx streams the file with byte
// ranges, so seeking works and no byte passes through a script.
import { api, clear, errorText, h, language, say, startPage, t } from '/assets/app.js';

const page_size = 24;

// 75 → "1:15", 3725 → "1:02:05"; nothing for an unknown length (0).
function clock(seconds) {
  if (!seconds) return '';
  const hours = Math.floor(seconds / 3600), minutes = Math.floor(seconds / 60) % 60;
  const ss = String(seconds % 60).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${ss}` : `${minutes}:${ss}`;
}

// Categories are the operators' slugs ("behind-the-scenes"): shown as words.
function categoryName(slug) {
  const words = slug.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function details(video) {
  return [categoryName(video.category), clock(video.duration_seconds)].filter(Boolean).join(' · ');
}

function badge(video) {
  return video.prime_only ? h('span', { class: 'badge' }, t('media.prime')) : null;
}

// ---- The catalogue ---------------------------------------------------------------------------

function tile(video) {
  // The poster's alt is empty: the title is the link's text right beside it.
  const poster = video.poster
    ? h('img', { src: video.poster.small, alt: '', loading: 'lazy', width: '400', height: '225' })
    : h('span', { class: 'no-poster', 'aria-hidden': 'true' }, '▶');
  return h('li', { class: 'tile', 'data-video': video.id, 'data-locked': String(video.locked) },
    h('a', { href: `?v=${video.id}` },
      poster, badge(video),
      h('span', { class: 'title' }, video.title),
      video.locked ? h('span', { class: 'visually-hidden' }, t('videorama.locked')) : null,
      h('span', { class: 'small' }, details(video))));
}

function startCatalogue() {
  document.getElementById('catalogue').hidden = false;
  const list = document.getElementById('videos');
  const end = document.getElementById('videos-end');
  const chips = document.getElementById('categories');
  let category = new URLSearchParams(location.search).get('category');
  let cursor = null, loading = false, done = false, generation = 0;

  // The filter offers the categories met so far (the API has no list of them); "All" first.
  const chipFor = new Map();
  const showChoice = () => {
    for (const [name, chip] of chipFor) chip.setAttribute('aria-pressed', String(name === (category || '')));
    chips.hidden = chipFor.size < 3 && !category;  // "All" and one category: nothing to choose
  };
  const addChip = (name) => {
    if (chipFor.has(name)) return;
    const chip = h('button', { type: 'button', class: 'chip', 'data-category': name }, name ? categoryName(name) : t('videorama.all'));
    chip.addEventListener('click', () => choose(name));
    chipFor.set(name, chip);
    chips.append(chip);
  };
  addChip('');
  if (category) addChip(category);

  const observer = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) more(); }, { rootMargin: '400px' });
  // A fresh look at whether the end is still in view (a short page on a tall screen asks for more).
  const lookAgain = () => { observer.unobserve(end); observer.observe(end); };

  const more = async () => {
    if (loading || done) return;
    loading = true;
    const asked = generation;
    end.textContent = t('videorama.loading');
    try {
      const query = new URLSearchParams({ limit: page_size });
      if (category) query.set('category', category);
      if (cursor) query.set('cursor', cursor);
      const page = await api('GET', '/api/webapp/videos?' + query);
      if (asked !== generation) return;
      for (const video of page.items) {
        list.append(tile(video));
        addChip(video.category);
      }
      showChoice();
      cursor = page.next_cursor;
      done = !cursor;
      end.textContent = done ? t(list.children.length ? 'videorama.end' : 'videorama.empty') : '';
    } catch (err) {
      if (asked === generation) end.textContent = errorText(err);
    } finally {
      loading = false;
      if (asked !== generation) more();  // the filter changed meanwhile: its first page
      else if (!done) lookAgain();
    }
  };

  const choose = (name) => {
    category = name || null;
    generation += 1;
    cursor = null;
    done = false;
    clear(list);
    showChoice();
    history.replaceState(null, '', category ? `?category=${encodeURIComponent(category)}` : location.pathname);
    more();
  };

  showChoice();
  observer.observe(end);
}

// ---- One video -------------------------------------------------------------------------------

// Instead of a player: the poster, the badge and the way to PRIME.
function upsell(video) {
  return h('div', { class: 'upsell', id: 'upsell' },
    h('div', { class: 'frame' },
      video.poster ? h('img', { src: video.poster.large, alt: t('videorama.poster_alt', { title: video.title }) })
        : h('span', { class: 'no-poster', 'aria-hidden': 'true' }, '▶'),
      badge(video)),
    h('p', {}, t('videorama.upsell')),
    h('a', { class: 'button primary', id: 'get-prime', href: '/hub/#plans' }, t('videorama.get_prime')));
}

function player(video, screen, status) {
  const element = h('video', {
    id: 'player', controls: true, preload: 'metadata', playsinline: true,
    src: `/api/webapp/videos/${video.id}/play`, poster: video.poster ? video.poster.large : null,
    'aria-label': t('videorama.player', { title: video.title }),
  });
  // The file didn't load: PRIME may have ended since the page opened (a 403), else say so.
  element.addEventListener('error', async () => {
    try {
      const fresh = (await api('GET', `/api/webapp/videos/${video.id}`)).video;
      if (fresh.locked) {
        clear(screen).append(upsell(fresh));
        return;
      }
      say(status, t('videorama.play_failed'), 'error');
    } catch (err) {
      say(status, errorText(err), 'error');
    }
  });
  return element;
}

async function startWatching(id) {
  document.getElementById('watch').hidden = false;
  const title = document.getElementById('watch-title');
  const screen = document.getElementById('screen');
  const status = document.getElementById('watch-status');
  let video;
  try {
    video = (await api('GET', `/api/webapp/videos/${encodeURIComponent(id)}`)).video;
  } catch (err) {
    title.textContent = t('videorama.heading');
    say(status, err.status === 404 ? t('videorama.not_found') : errorText(err), 'error');
    return;
  }
  document.title = 'PNPtv · ' + video.title;
  title.textContent = video.title;
  document.getElementById('watch-meta').textContent = details(video);
  document.getElementById('watch-description').textContent = video.description[language] || video.description.en || video.description.es;
  screen.append(video.locked ? upsell(video) : player(video, screen, status));
}

async function main() {
  await startPage();
  const id = new URLSearchParams(location.search).get('v');
  if (id) startWatching(id);
  else startCatalogue();
}

main();
