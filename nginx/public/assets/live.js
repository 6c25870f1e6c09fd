// Live streams: what is live now and going live (PRIME members, admins); watching one
// (/media/live/?stream=<id>, the bot's links too): its Agora video — the host publishes, everyone
// else watches — the viewer count, the live chat, tips for the host; the host ends it.
import { ApiError, api, errorText, formatTime, h, language, say, startPage, t } from '/assets/app.js';
import { openCheckout } from '/assets/checkout.js';
import { VideoError, joinCall, videoTrouble } from '/assets/video.js';

const streamsPath = '/api/webapp/live/streams';
const byId = (id) => document.getElementById(id);

// Our words for an API refusal on this page, else the shared ones.
function refusal(err) {
  const key = 'live.error.' + (err && err.code);
  return t(key) !== key ? t(key) : errorText(err);
}

function money(amount, currency) {
  try {
    return new Intl.NumberFormat(language, { style: 'currency', currency, maximumFractionDigits: 2 }).format(Number(amount));
  } catch (e) {
    return `${amount} ${currency}`;
  }
}

// ---- What is live now, going live ------------------------------------------------------------

function streamItem(stream) {
  return h('li', { class: 'card stream', 'data-stream': stream.id },
    h('a', { href: `?stream=${stream.id}` }, stream.title || t('live.untitled', { name: stream.host.display_name })),
    stream.prime_only ? h('span', { class: 'tag' }, 'PRIME') : null,
    h('p', { class: 'small' }, t('live.by', { name: stream.host.display_name }), ' · ', t('live.viewers', { n: stream.viewers }),
      ' · ', h('time', { datetime: stream.started_at }, formatTime(stream.started_at))));
}

function showStreams(me) {
  byId('streams-view').hidden = false;
  const mayGoLive = me.tier === 'prime' || me.role === 'admin';
  byId('go-live-form').hidden = !mayGoLive;
  byId('live-upsell').hidden = mayGoLive;

  const list = byId('stream-list');
  const status = byId('streams-status');
  const more = byId('more-streams');
  let cursor = null;
  const load = async () => {
    more.disabled = true;
    try {
      const page = await api('GET', `${streamsPath}?limit=20` + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
      for (const stream of page.items) list.append(streamItem(stream));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      status.textContent = list.children.length ? '' : t('live.none');
    } catch (err) {
      status.textContent = refusal(err);
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', load);
  load();

  const form = byId('go-live-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      // The answer's publisher token is not used here: the stream's page asks for its own.
      const title = form.title.value.trim();
      const { stream } = await api('POST', streamsPath, { ...(title ? { title } : {}), prime_only: form.prime_only.checked });
      location.assign(`?stream=${stream.id}`);
    } catch (err) {
      say(byId('go-live-status'), refusal(err), 'error');
      button.disabled = false;
    }
  });
}

// ---- The chat --------------------------------------------------------------------------------

// The room's events, one JSON object each: a WebSocket, else (a proxy on the way that won't carry
// one) an EventSource at the same URL. nchan keeps nothing for replay, so `onOpen(transport)` —
// at every (re)connection — is when the page reads the history. `onLost`: the server refused us;
// `onDropped`: a WebSocket that was open closed, and is tried again shortly.
function subscribe(room, { onEvent, onOpen, onLost, onDropped }) {
  const path = `/api/webapp/chat/ws/${encodeURIComponent(room)}`;
  let stopped = false, socket = null, source = null, wait = 1000;
  const deliver = (data) => {
    let event;
    try { event = JSON.parse(data); } catch (e) { return; }
    onEvent(event);
  };
  const viaEventSource = () => {
    source = new EventSource(path);
    source.onopen = () => onOpen('eventsource');
    source.onmessage = (e) => deliver(e.data);
    // EventSource reconnects by itself after a dropped connection, and gives up on a refusal.
    source.onerror = () => { if (source.readyState === EventSource.CLOSED && !stopped) onLost(); };
  };
  const viaWebSocket = () => {
    let opened = false;
    socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`);
    socket.onopen = () => { opened = true; wait = 1000; onOpen('websocket'); };
    socket.onmessage = (e) => deliver(e.data);
    socket.onclose = () => {
      if (stopped) return;
      if (!opened) return viaEventSource();
      onDropped();
      setTimeout(viaWebSocket, wait);
      wait = Math.min(wait * 2, 30000);
    };
  };
  viaWebSocket();
  return { stop() { stopped = true; socket?.close(); source?.close(); } };
}

function startChat(stream, { onEnded, onDonation }) {
  const room = stream.chat_room;
  const log = byId('chat-log');
  const status = byId('chat-status');
  const shown = new Map();   // message id → its <li>
  const deleted = new Set(); // ids known deleted: a history read from just before never brings them back

  const item = (m) => h('li', { class: 'message', 'data-message': m.id },
    h('strong', {}, m.author.display_name), ' ',
    h('time', { datetime: m.created_at, class: 'small' }, new Date(m.created_at).toLocaleTimeString(language, { timeStyle: 'short' })),
    h('span', { class: 'body' }, m.body));
  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  // In id order (the order they were written), wherever it arrives from.
  const add = (m) => {
    if (shown.has(m.id) || deleted.has(m.id)) return;
    const follow = nearBottom();
    const li = item(m);
    log.insertBefore(li, [...log.children].find((other) => Number(other.dataset.message) > m.id) || null);
    shown.set(m.id, li);
    if (follow) log.scrollTop = log.scrollHeight;
  };
  const remove = (id) => {
    deleted.add(id);
    shown.get(id)?.remove();
    shown.delete(id);
  };
  const note = (text) => {
    const follow = nearBottom();
    log.append(h('li', { class: 'message tip' }, text));
    if (follow) log.scrollTop = log.scrollHeight;
  };
  const readHistory = async () => {
    try {
      const { messages } = await api('GET', `/api/webapp/chat/${encodeURIComponent(room)}/messages?limit=50`);
      for (const m of messages.reverse()) add(m);
      // Within the span the history covers, what it lacks was deleted while we were away.
      const read = new Set(messages.map((m) => m.id));
      if (messages.length) {
        for (const id of [...shown.keys()]) if (id > messages[0].id && id < messages[messages.length - 1].id && !read.has(id)) remove(id);
      }
      say(status, '');
    } catch (err) {
      say(status, refusal(err), 'error');
    }
  };

  const subscription = subscribe(room, {
    // data-connection: how the chat is reaching us now (the tests read it).
    onOpen: (transport) => {
      log.dataset.connection = transport;
      readHistory();
    },
    onDropped: () => { log.dataset.connection = 'reconnecting'; },
    onLost: () => {
      log.dataset.connection = 'lost';
      say(status, t('live.chat_lost'), 'error');
    },
    onEvent: (event) => {
      if (event.type === 'message') add(event.message);
      else if (event.type === 'deleted') remove(event.id);
      else if (event.type === 'ended') onEnded();
      else if (event.type === 'donation') {
        const d = event.donation;
        note(d.message ? t('live.tipped_message', { name: d.from, amount: money(d.amount, d.currency), message: d.message })
          : t('live.tipped', { name: d.from, amount: money(d.amount, d.currency) }));
        onDonation(d.currency, d.total);
      } else if (event.type === 'donation_reversed') onDonation(event.donation.currency, event.donation.total);
    },
  });

  const form = byId('chat-form');
  const input = byId('chat-input');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const { message } = await api('POST', `/api/webapp/chat/${encodeURIComponent(room)}/messages`, { body: input.value });
      add(message);  // the event may come first, or after: one <li> either way
      input.value = '';
      say(status, '');
    } catch (err) {
      say(status, refusal(err), 'error');
    } finally {
      button.disabled = false;
      input.focus();
    }
  });

  return {
    close() {
      subscription.stop();
      for (const el of form.elements) el.disabled = true;
    },
  };
}

// ---- Tips ------------------------------------------------------------------------------------

// The host's running totals, under the video for everyone; returns what updates them (the chat's
// donation events).
function showTipTotals(stream) {
  const totals = { ...stream.donations };
  const show = () => {
    const parts = Object.entries(totals).filter(([, total]) => Number(total) > 0).map(([currency, total]) => money(total, currency));
    byId('tip-totals').textContent = parts.length ? t('live.tip_totals', { totals: parts.join(' · ') }) : '';
  };
  show();
  return (currency, total) => {
    totals[currency] = total;
    show();
  };
}

// A button per amount the payment API allows, each opening ePayco's checkout for that tip.
async function offerTips(stream) {
  let amounts;
  try {
    ({ amounts } = await api('GET', '/api/payment/donations'));
  } catch (err) {
    return;  // no tipping right now; the stream plays on
  }
  const status = byId('tip-status');
  const box = byId('tip-amounts');
  for (const [currency, list] of Object.entries(amounts)) {
    for (const amount of list) {
      const button = h('button', { type: 'button', 'data-amount': amount, 'data-currency': currency }, money(amount, currency));
      button.addEventListener('click', async () => {
        button.disabled = true;
        say(status, t('live.opening_checkout'));
        try {
          const message = byId('tip-message').value.trim();
          await openCheckout(await api('POST', '/api/payment/donations',
            { stream_id: stream.id, amount, currency, ...(message ? { message } : {}) }));
          say(status, '');
        } catch (err) {
          say(status, err instanceof ApiError ? refusal(err) : t('live.checkout_failed'), 'error');
        } finally {
          button.disabled = false;
        }
      });
      box.append(button);
    }
  }
  byId('tips').hidden = box.children.length === 0;
}

// ---- Watching --------------------------------------------------------------------------------

// The stage's data-state says where the video is (the style sheet and the tests read it).
function videoState(state, text = '', kind = 'info') {
  byId('stage').dataset.state = state;
  say(byId('video-status'), text, kind);
}

const videoWords = {
  unavailable: 'live.video.unavailable',
  unsupported: 'live.video.unsupported',
  failed: 'live.video.failed',
  camera: 'live.video.camera',
};


async function watch(me, id) {
  byId('watch-view').hidden = false;
  let stream;
  try {
    stream = (await api('GET', `${streamsPath}/${id}`)).stream;
  } catch (err) {
    byId('stream-title').textContent = t('live.title');
    videoState('unavailable', refusal(err), 'error');
    byId('chat-form').hidden = true;
    return;
  }
  const host = stream.host.id === me.user.id;
  if (host) byId('stage').querySelector('.waiting').remove();  // their own camera is what shows
  byId('stream-title').textContent = stream.title || t('live.untitled', { name: stream.host.display_name });
  byId('stream-host').textContent = t('live.by', { name: stream.host.display_name });
  document.title = 'PNPtv · ' + byId('stream-title').textContent;

  let call = null, beating = null, chat = null;
  const ended = () => {
    if (byId('stage').dataset.state === 'ended') return;
    clearTimeout(beating);
    chat?.close();
    call?.leave().catch(() => null);
    call = null;
    videoState('ended', t('live.ended'));
    byId('end-stream').hidden = byId('video-retry').hidden = byId('tips').hidden = true;
    byId('viewers').textContent = '';
  };
  if (stream.status !== 'live') {
    byId('chat-form').hidden = true;
    return ended();
  }

  chat = startChat(stream, { onEnded: ended, onDonation: showTipTotals(stream) });
  if (!host) offerTips(stream);

  // Watching pages heartbeat (that is what the count is); the host's page only reads the count.
  const viewers = byId('viewers');
  const beat = async () => {
    try {
      const answer = host ? (await api('GET', `${streamsPath}/${id}`)).stream : await api('POST', `${streamsPath}/${id}/heartbeat`);
      if (answer.status === 'ended') return ended();
      viewers.textContent = t('live.viewers', { n: answer.viewers });
      viewers.dataset.viewers = answer.viewers;
    } catch (err) {
      if (err.code === 'stream_ended') return ended();
      if (err.code === 'prime_required') return;  // the video's message says so
    }
    beating = setTimeout(beat, stream.heartbeat_seconds * 1000);
  };
  beat();

  const token = () => api('GET', `${streamsPath}/${id}/token`).then((answer) => answer.token);
  const connect = async () => {
    byId('video-retry').hidden = true;
    videoState('connecting', t('live.video.connecting'));
    try {
      const first = await token();
      call = await joinCall({
        token: first, mode: 'live', stage: byId('stage'), renew: token,
        nameOf: () => stream.host.display_name,
        onSoundBlocked: () => { byId('sound-on').hidden = false; },
        onDropped: () => {
          videoState('failed', t(videoWords.failed), 'error');
          byId('video-retry').hidden = false;
        },
      });
      if (byId('stage').dataset.state === 'ended') return call.leave();
      videoState('joined');
      if (host) {
        await call.publish();
        videoState('publishing');
      }
    } catch (err) {
      if (err.code === 'stream_ended') return ended();
      if (byId('stage').dataset.state === 'ended') return;
      // Not a page error: the person is told, and the chat goes on without the video.
      console.warn('live video:', err.reason || err.code, err.cause || err);
      videoState(...videoTrouble(err, videoWords, refusal), 'error');
      byId('video-retry').hidden = err instanceof VideoError && (err.reason === 'unavailable' || err.reason === 'unsupported');
    }
  };
  byId('video-retry').addEventListener('click', async () => {
    await call?.leave().catch(() => null);
    call = null;
    connect();
  });
  // Any click is the interaction the browser waited for; the SDK resumes the sound by itself.
  byId('sound-on').addEventListener('click', () => { byId('sound-on').hidden = true; });
  connect();

  if (host) {
    const end = byId('end-stream');
    end.hidden = false;
    end.addEventListener('click', async () => {
      end.disabled = true;
      try {
        await api('POST', `${streamsPath}/${id}/end`);
        ended();
      } catch (err) {
        say(byId('video-status'), refusal(err), 'error');
        end.disabled = false;
      }
    });
  }
}

async function main() {
  const me = await startPage();
  const id = new URLSearchParams(location.search).get('stream');
  if (id && /^[1-9][0-9]{0,18}$/.test(id)) await watch(me, id);
  else showStreams(me);
}

main();
