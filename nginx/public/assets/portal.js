// The admin console: people (search, ban, role, PRIME), payments, the numbers, broadcasts, the
// Videorama catalogue and the audit trail, over the admin and videos APIs. Only for role admin;
// the API refuses everyone else anyway, so others get a page that says so and nothing is called.
import { api, clear, errorText, formatDate, formatTime, h, say, startPage, t } from '/assets/app.js';

const admin_api = '/api/webapp/admin';
const videos_api = '/api/webapp/videos';
const payment_states = ['pending', 'approved', 'declined', 'failed', 'reversed', 'held', 'started', 'expired', 'abandoned',
  'cancelled', 'antifraud'];

// The console's own words for an API error code when it has them, else the shared ones.
function problem(err) {
  if (err && err.code) {
    const key = 'portal.error.' + err.code;
    const text = t(key, { field: err.field || '' });
    if (text !== key) return text;
  }
  return errorText(err);
}

// The text of a key when the catalogue has it, else `fallback` (API values we may not know yet).
function wordOr(key, fallback) {
  const text = t(key);
  return text === key ? fallback : text;
}

// Exact sums of the API's decimal text ("40000.00" + "10.5"): money never goes through floats.
function addDecimals(a, b) {
  const [aWhole, aFraction = ''] = a.split('.');
  const [bWhole, bFraction = ''] = b.split('.');
  const scale = Math.max(aFraction.length, bFraction.length);
  const sum = BigInt(aWhole + aFraction.padEnd(scale, '0')) + BigInt(bWhole + bFraction.padEnd(scale, '0'));
  const digits = (sum < 0n ? -sum : sum).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return (sum < 0n ? '-' : '') + text;
}

// ---- Tabs (WAI-ARIA tabs: arrows, Home and End move between them) ----------------------------

const onShow = {};  // section name → what to (re)load when it is shown

function showSection(name, { focus = false } = {}) {
  const tabs = [...document.querySelectorAll('[role=tab]')];
  if (!tabs.some((tab) => tab.id === 'tab-' + name)) name = 'users';
  for (const tab of tabs) {
    const selected = tab.id === 'tab-' + name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    document.getElementById(tab.getAttribute('aria-controls')).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  history.replaceState(null, '', '#' + name);
  if (onShow[name]) onShow[name]();
}

function wireTabs() {
  const list = document.querySelector('[role=tablist]');
  const tabs = [...list.querySelectorAll('[role=tab]')];
  const name = (tab) => tab.id.slice('tab-'.length);
  for (const tab of tabs) tab.addEventListener('click', () => showSection(name(tab)));
  list.addEventListener('keydown', (e) => {
    const at = tabs.indexOf(document.activeElement);
    if (at < 0) return;
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    showSection(name(tabs[(next + tabs.length) % tabs.length]), { focus: true });
  });
  showSection(location.hash.slice(1));
}

// ---- The confirm step ------------------------------------------------------------------------

// An inline question under an action (in `place`) before anything irreversible: resolves with
// the optional field's text ('' without one) on yes, null on no. Focus goes to the question and
// back to `origin` afterwards.
function confirmStep(place, origin, { question, yes, field }) {
  if (place.cancelPending) place.cancelPending();
  return new Promise((resolve) => {
    const id = 'confirm-' + Math.random().toString(36).slice(2);
    const input = field ? h('input', { id, maxlength: String(field.maxlength) }) : null;
    const yesButton = h('button', { type: 'submit', class: 'danger yes' }, yes);
    const noButton = h('button', { type: 'button', class: 'no' }, t('portal.cancel'));
    const box = h('form', { class: 'confirm', role: 'group', 'aria-labelledby': id + '-q' },
      h('p', { id: id + '-q' }, question),
      input ? h('label', { for: id }, field.label) : null, input,
      h('div', { class: 'actions' }, yesButton, noButton));
    const finish = (answer) => {
      box.remove();
      place.cancelPending = null;
      if (origin.isConnected) origin.focus();
      resolve(answer);
    };
    place.cancelPending = () => finish(null);
    box.addEventListener('submit', (e) => {
      e.preventDefault();
      finish(input ? input.value : '');
    });
    noButton.addEventListener('click', () => finish(null));
    box.addEventListener('keydown', (e) => { if (e.key === 'Escape') finish(null); });
    clear(place).append(box);
    (input || noButton).focus();  // never the irreversible answer by default
  });
}

// ---- Users -----------------------------------------------------------------------------------

// The plans for the grant form, loaded (wireUsers) before the first card is drawn; without them
// the form still gives days on a person's current plan.
let plans = [];
let plansReady = null;
const users = { query: '', cursor: null, asked: 0, shown: false };

function userFacts(user, subscription) {
  const facts = [h('span', { class: 'tag' }, user.role === 'admin' ? t('portal.role.admin') : t('portal.role.user'))];
  let tier = user.tier === 'prime' ? t('portal.tier_prime') : t('portal.tier_free');
  if (subscription) tier = subscription.ends_at ? t('portal.prime_until', { date: formatDate(subscription.ends_at) }) : t('portal.prime_forever');
  facts.push(h('span', { class: 'tag' + (user.tier === 'prime' ? ' prime' : '') }, tier));
  if (user.banned) facts.push(h('span', { class: 'tag banned' }, user.ban_reason ? t('portal.banned_for', { reason: user.ban_reason }) : t('portal.banned')));
  return facts;
}

function grantForm(user, act, status) {
  const id = `grant-${user.id}`;
  const plan = h('select', { id: id + '-plan', name: 'plan_id' },
    h('option', { value: '' }, t('portal.grant_current_plan')),
    plans.map((p) => h('option', { value: p.id }, p.duration_days ? `${p.name} · ${t('portal.days', { days: p.duration_days })}` : `${p.name} · ${t('portal.lifetime')}`)));
  const days = h('input', { id: id + '-days', name: 'days', type: 'number', min: '1', max: '3650', inputmode: 'numeric' });
  const reason = h('input', { id: id + '-reason', name: 'reason', maxlength: '500' });
  const form = h('form', { class: 'grant' },
    h('label', { for: plan.id }, t('portal.plan')), plan,
    h('label', { for: days.id }, t('portal.grant_days')), days,
    h('label', { for: reason.id }, t('portal.reason')), reason,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, t('portal.grant'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = {};
    if (plan.value) body.plan_id = plan.value;
    if (days.value) body.days = Number(days.value);
    if (reason.value) body.reason = reason.value;
    if (!body.plan_id && !body.days) {
      say(status, t('portal.grant_needs'), 'error');
      return;
    }
    act(form.querySelector('button'), () => api('POST', `${admin_api}/users/${user.id}/subscription`, body), 'portal.granted');
  });
  return h('details', { class: 'grant-box' }, h('summary', {}, t('portal.grant_prime')), form);
}

function userCard(user, subscription = null) {
  const status = h('p', { class: 'notice', role: 'status', hidden: true });
  const confirmPlace = h('div');
  const item = h('li', { class: 'card', 'data-user': user.id });
  // One change: the answer's person replaces the card, which says what happened.
  const act = async (button, call, done) => {
    button.disabled = true;
    try {
      const answer = await call();
      const next = userCard(answer.user, answer.subscription);
      item.replaceWith(next);
      say(next.querySelector('[role=status]'), t(done));
      next.querySelector('h3').focus();
    } catch (err) {
      say(status, problem(err), 'error');
      button.disabled = false;
    }
  };

  const ban = h('button', { type: 'button', class: user.banned ? 'unban' : 'ban danger' }, user.banned ? t('portal.unban') : t('portal.ban'));
  ban.addEventListener('click', async () => {
    if (user.banned) {
      act(ban, () => api('POST', `${admin_api}/users/${user.id}/unban`), 'portal.unbanned');
      return;
    }
    const reason = await confirmStep(confirmPlace, ban, {
      question: t('portal.ban_question', { name: user.display_name }), yes: t('portal.ban_confirm'),
      field: { label: t('portal.reason'), maxlength: 500 },
    });
    if (reason !== null) act(ban, () => api('POST', `${admin_api}/users/${user.id}/ban`, reason ? { reason } : {}), 'portal.banned_done');
  });

  const actions = [ban];
  if (user.tier === 'prime') {
    const revoke = h('button', { type: 'button', class: 'revoke danger' }, t('portal.revoke'));
    revoke.addEventListener('click', async () => {
      const yes = await confirmStep(confirmPlace, revoke, { question: t('portal.revoke_question', { name: user.display_name }), yes: t('portal.revoke_confirm') });
      if (yes !== null) act(revoke, () => api('DELETE', `${admin_api}/users/${user.id}/subscription`), 'portal.revoked');
    });
    actions.push(revoke);
  }

  const roleId = `role-${user.id}`;
  const role = h('select', { id: roleId, class: 'role' },
    h('option', { value: 'user', selected: user.role === 'user' }, t('portal.role.user')),
    h('option', { value: 'admin', selected: user.role === 'admin' }, t('portal.role.admin')));
  const setRole = h('button', { type: 'button', class: 'set-role' }, t('portal.change_role'));
  setRole.addEventListener('click', () => {
    if (role.value === user.role) say(status, t('portal.nothing_changed'));
    else act(setRole, () => api('PUT', `${admin_api}/users/${user.id}/role`, { role: role.value }), 'portal.role_changed');
  });

  item.append(
    h('h3', { tabindex: '-1' }, user.display_name, user.username ? h('span', { class: 'small' }, ` @${user.username}`) : null),
    h('p', { class: 'small' }, t('portal.user_line', { telegram: user.telegram_id, id: user.id, date: formatDate(user.created_at) })),
    h('p', { class: 'tags' }, userFacts(user, subscription)),
    h('div', { class: 'row' }, actions, h('label', { for: roleId, class: 'visually-hidden' }, t('portal.role')), role, setRole),
    confirmPlace, grantForm(user, act, status), status);
  return item;
}

async function searchUsers(more = false) {
  const list = document.getElementById('user-list');
  const status = document.getElementById('users-status');
  const moreButton = document.getElementById('users-more');
  const query = new URLSearchParams({ limit: '20' });
  if (users.query) query.set('q', users.query);
  if (more && users.cursor) query.set('cursor', users.cursor);
  const asked = ++users.asked;  // only the latest search draws the list
  if (!more) delete list.dataset.query;  // which search the list shows, once drawn
  say(status, t('portal.loading'));
  try {
    const page = await api('GET', `${admin_api}/users?${query}`);
    await plansReady;
    if (asked !== users.asked) return;
    if (!more) clear(list);
    for (const user of page.items) list.append(userCard(user));
    list.dataset.query = users.query;
    users.cursor = page.next_cursor;
    moreButton.hidden = !users.cursor;
    say(status, list.children.length ? '' : t('portal.no_users'));
  } catch (err) {
    say(status, problem(err), 'error');
  }
}

function wireUsers() {
  document.getElementById('user-search').addEventListener('submit', (e) => {
    e.preventDefault();
    users.query = document.getElementById('user-q').value.trim();
    searchUsers();
  });
  document.getElementById('users-more').addEventListener('click', () => searchUsers(true));
  plansReady = api('GET', '/api/payment/plans').then((answer) => { plans = answer.plans; }).catch(() => { plans = []; });
  // The newest people first, until the admin searches.
  onShow.users = () => { if (!users.shown) { users.shown = true; searchUsers(); } };
}


// ---- Payments --------------------------------------------------------------------------------

const payments = { filters: null, cursor: null, asked: 0 };

function detailRows(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, value]) => value !== null && value !== undefined && value !== '')
    .flatMap(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, String(value))]));
}

function smallTable(headKeys, rows) {
  return h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, headKeys.map((key) => h('th', { scope: 'col' }, t(key))))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell === null ? '' : String(cell))))))));
}

async function showPayment(id) {
  const box = document.getElementById('payment-detail');
  box.hidden = false;
  clear(box).append(h('p', {}, t('portal.loading')));
  try {
    const { payment: p } = await api('GET', `${admin_api}/payments/${id}`);
    clear(box).append(
      h('h2', {}, t('portal.payment_title', { invoice: p.invoice })),
      detailRows([
        ['portal.payment_state', wordOr('portal.state.' + p.state, p.state)], ['portal.amount', `${p.amount} ${p.currency}`],
        ['portal.payment_purpose', wordOr('portal.purpose.' + p.purpose, p.purpose)], ['portal.plan', p.plan_id],
        ['portal.live_stream', p.live_stream_id], ['portal.donation_message', p.donation_message],
        ['portal.user_id', p.user_id], ['portal.telegram_id', p.telegram_id], ['portal.provider_ref', p.provider_ref],
        ['portal.flag_reason', p.flag_reason], ['portal.created', formatTime(p.created_at)],
        ['portal.approved', p.approved_at ? formatTime(p.approved_at) : null],
      ]),
      h('h3', {}, t('portal.confirmations')),
      p.confirmations.length ? smallTable(['portal.when', 'portal.provider_ref', 'portal.state_code', 'portal.source', 'portal.outcome'],
        p.confirmations.map((c) => [formatTime(c.received_at), c.provider_ref, c.state_code, c.source, c.outcome]))
        : h('p', { class: 'small' }, t('portal.none')),
      h('h3', {}, t('portal.references')),
      p.references.length ? smallTable(['portal.provider_ref', 'portal.source', 'portal.payment_state', 'portal.granted_days', 'portal.last_error'],
        p.references.map((r) => [r.provider_ref, r.source, r.state, r.granted ? (r.granted_days === null ? t('portal.lifetime') : r.granted_days) : '', r.last_error]))
        : h('p', { class: 'small' }, t('portal.none')));
    box.focus();
  } catch (err) {
    clear(box).append(h('p', { class: 'notice error' }, problem(err)));
  }
}

function paymentRow(p) {
  const details = h('button', { type: 'button', class: 'details' }, t('portal.details'));
  details.addEventListener('click', () => showPayment(p.id));
  return h('tr', { 'data-payment': p.id },
    h('td', {}, formatTime(p.created_at)), h('td', {}, p.invoice), h('td', {}, p.telegram_id === null ? '' : String(p.telegram_id)),
    h('td', {}, wordOr('portal.purpose.' + p.purpose, p.purpose)), h('td', { class: 'amount' }, `${p.amount} ${p.currency}`),
    h('td', {}, wordOr('portal.state.' + p.state, p.state), p.flag_reason ? h('span', { class: 'tag banned' }, t('portal.flagged')) : null),
    h('td', {}, details));
}

async function searchPayments(more = false) {
  const rows = document.getElementById('payment-rows');
  const table = document.getElementById('payment-table');
  const status = document.getElementById('payments-status');
  const query = new URLSearchParams(payments.filters);
  query.set('limit', '50');
  if (more && payments.cursor) query.set('cursor', payments.cursor);
  const asked = ++payments.asked;  // only the latest search draws the table
  say(status, t('portal.loading'));
  try {
    const page = await api('GET', `${admin_api}/payments?${query}`);
    if (asked !== payments.asked) return;
    if (!more) clear(rows);
    for (const p of page.items) rows.append(paymentRow(p));
    payments.cursor = page.next_cursor;
    document.getElementById('payments-more').hidden = !payments.cursor;
    table.hidden = !rows.children.length;
    say(status, rows.children.length ? '' : t('portal.no_payments'));
  } catch (err) {
    say(status, problem(err), 'error');
  }
}

function wirePayments() {
  const state = document.getElementById('payment-state');
  for (const s of payment_states) state.append(h('option', { value: s }, t('portal.state.' + s)));
  document.getElementById('payment-search').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.target.elements;
    payments.filters = {};
    if (f.q.value.trim()) payments.filters.q = f.q.value.trim();
    if (f.state.value) payments.filters.state = f.state.value;
    if (f.purpose.value) payments.filters.purpose = f.purpose.value;
    if (f.flagged.checked) payments.filters.flagged = 'true';
    searchPayments();
  });
  document.getElementById('payments-more').addEventListener('click', () => searchPayments(true));
  onShow.payments = () => { if (!payments.filters) { payments.filters = {}; searchPayments(); } };
}

// ---- Stats and the outbox's dead rows --------------------------------------------------------

function deadRow(row) {
  const status = document.getElementById('outbox-status');
  const retry = h('button', { type: 'button', class: 'retry' }, t('portal.retry'));
  const tr = h('tr', { 'data-outbox': row.id },
    h('td', {}, String(row.id)), h('td', {}, row.kind), h('td', {}, String(row.attempts)),
    h('td', { class: 'wrap' }, row.last_error), h('td', {}, formatTime(row.dead_at)), h('td', {}, retry));
  retry.addEventListener('click', async () => {
    retry.disabled = true;
    try {
      await api('POST', `${admin_api}/outbox/${row.id}/retry`);
      tr.remove();
      say(status, t('portal.retrying', { id: row.id }));
    } catch (err) {
      say(status, problem(err), 'error');
      retry.disabled = false;
    }
  });
  return tr;
}

function renderStats(s) {
  const perDay = s.users.new_per_day;
  const numbers = [
    ['portal.users_total', s.users.total],
    ['portal.users_new_30', perDay.reduce((sum, d) => sum + d.count, 0)],
    ['portal.users_new_today', perDay.length ? perDay[perDay.length - 1].count : 0],
    ['portal.live_now', s.live_now], ['portal.outbox_backlog', s.outbox.backlog], ['portal.outbox_dead', s.outbox.dead],
  ];
  clear(document.getElementById('stats-numbers')).append(...numbers.map(([key, n]) =>
    h('div', { 'data-stat': key.slice('portal.'.length) }, h('dt', {}, t(key)), h('dd', {}, String(n)))));

  const row = (...cells) => h('tr', {}, cells.map((c) => h('td', {}, String(c))));
  const empty = (columns) => h('tr', {}, h('td', { colspan: String(columns), class: 'small' }, t('portal.none')));
  const plansBody = clear(document.getElementById('stats-plans'));
  for (const p of s.subscriptions.active_by_plan) plansBody.append(row(p.plan_id, p.count));
  if (!plansBody.children.length) plansBody.append(empty(2));

  // Twelve months per purpose and currency (tips are the hosts' money, subscriptions ours).
  const byPurpose = new Map();
  for (const r of s.revenue_per_month) {
    const key = `${r.purpose} ${r.currency}`;
    const total = byPurpose.get(key) || { purpose: r.purpose, currency: r.currency, amount: '0', payments: 0 };
    total.amount = addDecimals(total.amount, r.amount);
    total.payments += r.payments;
    byPurpose.set(key, total);
  }
  const purposes = clear(document.getElementById('stats-purposes'));
  for (const p of byPurpose.values()) purposes.append(row(wordOr('portal.purpose.' + p.purpose, p.purpose), `${p.amount} ${p.currency}`, p.payments));
  if (!purposes.children.length) purposes.append(empty(3));
  const months = clear(document.getElementById('stats-months'));
  for (const r of [...s.revenue_per_month].reverse())
    months.append(row(r.month, wordOr('portal.purpose.' + r.purpose, r.purpose), `${r.amount} ${r.currency}`, r.payments));
  if (!months.children.length) months.append(empty(4));

  const dead = clear(document.getElementById('outbox-rows'));
  for (const r of s.outbox.dead_rows) dead.append(deadRow(r));
  if (!dead.children.length) dead.append(empty(6));
}

async function loadStats() {
  const status = document.getElementById('stats-status');
  say(status, t('portal.loading'));
  try {
    renderStats(await api('GET', `${admin_api}/stats`));
    say(status, '');
  } catch (err) {
    say(status, problem(err), 'error');
  }
}

function wireStats() {
  document.getElementById('stats-refresh').addEventListener('click', loadStats);
  onShow.stats = loadStats;
}

// ---- Broadcast -------------------------------------------------------------------------------

let following = 0;  // the broadcast being followed; an older poll stops when a new one starts

function showProgress(b) {
  document.getElementById('broadcast-progress').hidden = false;
  const bar = document.getElementById('broadcast-bar');
  bar.max = Math.max(b.recipients, 1);
  bar.value = b.recipients ? b.delivered + b.failed : 1;
  const counts = document.getElementById('broadcast-counts');
  counts.dataset.pending = String(b.pending);
  counts.textContent = b.recipients === 0 ? t('portal.broadcast_nobody')
    : t(b.pending ? 'portal.broadcast_counts' : 'portal.broadcast_done', b);
}

async function follow(broadcast) {
  following = broadcast.id;
  showProgress(broadcast);
  let b = broadcast;
  while (b.pending > 0 && following === broadcast.id) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    try {
      b = (await api('GET', `${admin_api}/broadcasts/${broadcast.id}`)).broadcast;
    } catch (err) {
      say(document.getElementById('broadcast-status'), problem(err), 'error');
      return;
    }
    if (following === broadcast.id) showProgress(b);
  }
}

function wireBroadcast() {
  const form = document.getElementById('broadcast-form');
  const status = document.getElementById('broadcast-status');
  const send = form.querySelector('button[type=submit]');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = form.elements;
    const body = { text: f.text.value };
    if (f.tier.value) body.tier = f.tier.value;
    if (f.language.value) body.language = f.language.value;
    const segment = [f.tier.selectedOptions[0].textContent, f.language.selectedOptions[0].textContent].join(' · ');
    const yes = await confirmStep(document.getElementById('broadcast-confirm'), send,
      { question: t('portal.broadcast_question', { segment }), yes: t('portal.broadcast_confirm') });
    if (yes === null) return;
    send.disabled = true;
    try {
      const { broadcast } = await api('POST', `${admin_api}/broadcasts`, body);
      form.reset();
      say(status, t('portal.broadcast_sent', { n: broadcast.recipients }));
      follow(broadcast);
    } catch (err) {
      say(status, problem(err), 'error');
    } finally {
      send.disabled = false;
    }
  });
}

// ---- Videos ----------------------------------------------------------------------------------

const videos = { cursor: null, loaded: false, editing: null };

function duration(seconds) {
  const m = Math.floor(seconds / 60), s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

function videoCard(video) {
  const status = h('p', { class: 'notice', role: 'status', hidden: true });
  const confirmPlace = h('div');
  const edit = h('button', { type: 'button', class: 'edit' }, t('portal.edit'));
  edit.addEventListener('click', () => openVideoForm(video));
  const remove = h('button', { type: 'button', class: 'delete danger' }, t('portal.delete'));
  remove.addEventListener('click', async () => {
    const yes = await confirmStep(confirmPlace, remove, { question: t('portal.delete_question', { title: video.title }), yes: t('portal.delete_confirm') });
    if (yes === null) return;
    try {
      await api('DELETE', `${videos_api}/${video.id}`);
      item.remove();
      say(document.getElementById('videos-status'), t('portal.deleted', { title: video.title }));
    } catch (err) {
      say(status, problem(err), 'error');
    }
  });
  const fileId = `poster-${video.id}`;
  const file = h('input', { id: fileId, name: 'file', type: 'file', accept: 'image/jpeg,image/png,image/webp,image/gif', required: true });
  const poster = h('form', { class: 'row poster' }, h('label', { for: fileId }, t('portal.poster')), file,
    h('button', { type: 'submit' }, t('portal.upload')));
  poster.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData();
    data.append('file', file.files[0]);
    try {
      const answer = await api('POST', `${videos_api}/${video.id}/poster`, data);
      const next = upsertVideo(answer.video);
      say(next.querySelector('[role=status]'), t('portal.poster_saved'));
    } catch (err) {
      say(status, problem(err), 'error');
    }
  });
  const facts = [video.category, video.prime_only ? t('portal.video_prime') : t('portal.video_free'),
    video.published_at ? t('portal.published_on', { date: formatDate(video.published_at) }) : t('portal.draft'),
    duration(video.duration_seconds), video.file_path];
  const item = h('li', { class: 'card video', 'data-video': video.id },
    video.poster ? h('img', { class: 'thumb', src: video.poster.small, alt: '' }) : h('span', { class: 'thumb', 'aria-hidden': 'true' }),
    h('div', {},
      h('h3', {}, `#${video.id} · ${video.title}`),
      h('p', { class: 'small' }, facts.join(' · ')),
      h('div', { class: 'row' }, edit, remove), confirmPlace, poster, status));
  return item;
}

// Puts a video's card in the list (in place of its old one, else first); returns the card.
function upsertVideo(video) {
  const list = document.getElementById('video-list');
  const card = videoCard(video);
  const old = list.querySelector(`[data-video="${video.id}"]`);
  if (old) old.replaceWith(card);
  else list.prepend(card);
  return card;
}

function openVideoForm(video) {
  const form = document.getElementById('video-form');
  videos.editing = video;
  const f = form.elements;
  document.getElementById('video-form-title').textContent = video ? t('portal.video_edit', { id: video.id }) : t('portal.video_add');
  f.title.value = video ? video.title : '';
  f.category.value = video ? video.category : '';
  f.file_path.value = video ? video.file_path || '' : '';
  f.duration_seconds.value = video ? String(video.duration_seconds) : '';
  f.description_en.value = video ? video.description.en : '';
  f.description_es.value = video ? video.description.es : '';
  f.prime_only.checked = video ? video.prime_only : true;
  f.published.checked = video ? Boolean(video.published_at) : false;
  form.hidden = false;
  f.title.focus();
}

// The form's fields as the API takes them; when editing, only what changed.
function videoChanges(form, video) {
  const f = form.elements;
  const fields = {
    title: f.title.value, category: f.category.value, file_path: f.file_path.value,
    description_en: f.description_en.value, description_es: f.description_es.value,
    prime_only: f.prime_only.checked, published: f.published.checked,
  };
  if (f.duration_seconds.value !== '') fields.duration_seconds = Number(f.duration_seconds.value);
  if (!video) return fields;
  const before = {
    title: video.title, category: video.category, file_path: video.file_path, description_en: video.description.en,
    description_es: video.description.es, prime_only: video.prime_only, published: Boolean(video.published_at),
    duration_seconds: video.duration_seconds,
  };
  return Object.fromEntries(Object.entries(fields).filter(([key, value]) => value !== before[key]));
}

async function loadVideos(more = false) {
  const list = document.getElementById('video-list');
  const status = document.getElementById('videos-status');
  const query = new URLSearchParams({ limit: '60' });
  if (more && videos.cursor) query.set('cursor', videos.cursor);
  try {
    const page = await api('GET', `${videos_api}?${query}`);
    for (const video of page.items) if (!list.querySelector(`[data-video="${video.id}"]`)) list.append(videoCard(video));
    videos.cursor = page.next_cursor;
    document.getElementById('videos-more').hidden = !videos.cursor;
    if (!list.children.length) say(status, t('portal.no_videos'));
  } catch (err) {
    say(status, problem(err), 'error');
  }
}

function wireVideos() {
  const form = document.getElementById('video-form');
  const status = document.getElementById('videos-status');
  document.getElementById('video-add').addEventListener('click', () => openVideoForm(null));
  document.getElementById('video-cancel').addEventListener('click', () => { form.hidden = true; });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const video = videos.editing;
    const body = videoChanges(form, video);
    if (video && !Object.keys(body).length) {
      say(status, t('portal.nothing_changed'));
      return;
    }
    try {
      const answer = video ? await api('PATCH', `${videos_api}/${video.id}`, body) : await api('POST', videos_api, body);
      form.hidden = true;
      const card = upsertVideo(answer.video);
      say(status, t('portal.video_saved', { title: answer.video.title }));
      card.querySelector('h3').scrollIntoView({ block: 'nearest' });
    } catch (err) {
      say(status, problem(err), 'error');
    }
  });
  document.getElementById('video-open').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const number = document.getElementById('video-open-id').value;
      const { video } = await api('GET', `${videos_api}/${encodeURIComponent(number)}`);
      upsertVideo(video);
      openVideoForm(video);
      say(status, '');
    } catch (err) {
      say(status, problem(err), 'error');
    }
  });
  document.getElementById('videos-more').addEventListener('click', () => loadVideos(true));
  onShow.videos = () => { if (!videos.loaded) { videos.loaded = true; loadVideos(); } };
}

// ---- Audit log -------------------------------------------------------------------------------

let auditCursor = null;

function auditRow(entry) {
  const label = wordOr('portal.action.' + entry.action, null);
  const subject = entry.subject_type ? `${entry.subject_type} ${entry.subject_id || ''}`.trim() : '';
  return h('tr', { 'data-action': entry.action, 'data-subject': subject },
    h('td', {}, formatTime(entry.created_at)),
    h('td', {}, entry.actor_user_id === null ? t('portal.system') : `#${entry.actor_user_id}`),
    h('td', {}, label ? [label, h('br'), h('code', { class: 'small' }, entry.action)] : h('code', {}, entry.action)),
    h('td', {}, subject),
    h('td', { class: 'wrap' }, h('code', {}, JSON.stringify(entry.details))));
}

async function loadAudit(more = false) {
  const rows = document.getElementById('audit-rows');
  const status = document.getElementById('audit-status');
  const query = new URLSearchParams({ limit: '50' });
  if (more && auditCursor) query.set('cursor', auditCursor);
  say(status, t('portal.loading'));
  try {
    const page = await api('GET', `${admin_api}/audit?${query}`);
    if (!more) clear(rows);
    for (const entry of page.items) rows.append(auditRow(entry));
    auditCursor = page.next_cursor;
    document.getElementById('audit-more').hidden = !auditCursor;
    say(status, rows.children.length ? '' : t('portal.none'));
  } catch (err) {
    say(status, problem(err), 'error');
  }
}

function wireAudit() {
  document.getElementById('audit-refresh').addEventListener('click', () => loadAudit());
  document.getElementById('audit-more').addEventListener('click', () => loadAudit(true));
  onShow.audit = () => loadAudit();
}

async function main() {
  const me = await startPage();
  if (me.role !== 'admin') {
    document.getElementById('not-admin').hidden = false;
    return;
  }
  document.getElementById('console').hidden = false;
  wireUsers();
  wirePayments();
  wireStats();
  wireBroadcast();
  wireVideos();
  wireAudit();
  wireTabs();
}

main();
