// The hub: one's profile and PRIME status, the plans and their checkout, the payment result, the
// community feed (infinite scroll over the cursor API) with posts, likes and comments.
import { api, avatar, clear, errorText, formatDate, formatTime, h, say, startPage, t } from '/assets/app.js';
import { openCheckout } from '/assets/checkout.js';

const open_states = new Set(['pending', 'held', 'started']);
let profile = null;

// ---- Profile ---------------------------------------------------------------------------------

function renderProfile(p) {
  profile = p;
  document.getElementById('me-name').textContent = p.display_name;
  clear(document.getElementById('me-avatar')).append(avatar(p, 'large'));
  const status = document.getElementById('me-status');
  if (p.tier === 'prime') {
    status.textContent = p.subscription_ends_at ? t('hub.prime_until', { date: formatDate(p.subscription_ends_at) }) : t('hub.prime_forever');
    status.className = 'status prime';
  } else {
    status.textContent = t('hub.free');
    status.className = 'status';
  }
  document.getElementById('display-name').value = p.display_name;
  document.getElementById('bio').value = p.bio || '';
  document.getElementById('visibility').value = p.visibility;
  document.getElementById('plans').hidden = p.tier === 'prime';
}

async function loadProfile() {
  renderProfile((await api('GET', '/api/webapp/profile')).profile);
}

function wireProfileForms() {
  const status = document.getElementById('profile-status');
  document.getElementById('profile-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.target;
    try {
      const answer = await api('PATCH', '/api/webapp/profile', {
        display_name: form.display_name.value, bio: form.bio.value, visibility: form.visibility.value,
      });
      renderProfile(answer.profile);
      say(status, t('hub.saved'));
    } catch (err) {
      say(status, errorText(err), 'error');
    }
  });
  document.getElementById('avatar-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData();
    data.append('file', e.target.file.files[0]);
    try {
      await api("POST", "/api/webapp/profile/avatar", data);
      await loadProfile();
      say(status, t('hub.saved'));
      e.target.reset();
    } catch (err) {
      say(status, errorText(err), 'error');
    }
  });
}

// ---- PRIME -----------------------------------------------------------------------------------

function price(plan) {
  const amount = Number(plan.price);
  try {
    return new Intl.NumberFormat(document.documentElement.lang, { style: 'currency', currency: plan.currency }).format(amount);
  } catch (e) {
    return `${plan.price} ${plan.currency}`;
  }
}

async function loadPlans() {
  const list = document.getElementById('plan-list');
  const status = document.getElementById('plans-status');
  const { plans } = await api('GET', '/api/payment/plans');
  clear(list);
  for (const plan of plans) {
    const button = h('button', { type: 'button', class: 'primary', 'data-plan': plan.id }, t('hub.subscribe'));
    button.addEventListener('click', async () => {
      button.disabled = true;
      say(status, t('hub.opening_checkout'));
      try {
        await openCheckout(await api('POST', '/api/payment/create-subscription', { plan_id: plan.id }));
      } catch (err) {
        say(status, err.code ? errorText(err) : t('pay.unavailable'), 'error');
      } finally {
        button.disabled = false;
      }
    });
    const length = plan.duration_days ? t('hub.plan_days', { days: plan.duration_days }) : t('hub.plan_lifetime');
    list.append(h('li', { class: 'plan' }, h('strong', {}, plan.name), h('span', {}, `${price(plan)} · ${length}`), button));
  }
}

// ePayco sends the buyer back to /hub/?payment=<invoice>[&ref_payco=…]: the state is ours, read
// until it is final (the confirmation may arrive after the buyer does).
async function followPayment(invoice, ref) {
  const box = document.getElementById('payment-result');
  box.hidden = false;
  const heading = h('h2', {}, t('payment.checking'));
  const detail = h('p', { id: 'payment-state', 'data-state': 'pending' }, t('payment.wait'));
  clear(box).append(heading, detail);
  const path = `/api/payment/status/${encodeURIComponent(invoice)}` + (ref ? `?ref_payco=${encodeURIComponent(ref)}` : '');
  for (let attempt = 0; attempt < 90; attempt++) {
    let answer;
    try {
      answer = await api('GET', path);
    } catch (err) {
      detail.textContent = errorText(err);
      return;
    }
    detail.dataset.state = answer.state;
    if (!open_states.has(answer.state)) {
      const approved = answer.state === 'approved';
      heading.textContent = t(approved ? 'payment.approved' : 'payment.not_approved');
      detail.textContent = t('payment.state.' + answer.state);
      box.className = 'card ' + (approved ? 'ok' : 'error');
      history.replaceState(null, '', location.pathname);
      if (approved) await loadProfile();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, attempt < 10 ? 1000 : 3000));
  }
  detail.textContent = t('payment.slow');
}

// ---- The feed --------------------------------------------------------------------------------

function likeButton(post) {
  const button = h('button', { type: 'button', class: 'like', 'aria-pressed': String(post.liked_by_me) });
  const show = () => {
    button.textContent = `♥ ${post.likes}`;
    button.setAttribute('aria-pressed', String(post.liked_by_me));
    button.setAttribute('aria-label', t(post.liked_by_me ? 'feed.unlike' : 'feed.like') + ` (${post.likes})`);
  };
  show();
  button.addEventListener('click', async () => {
    try {
      const answer = await api(post.liked_by_me ? 'DELETE' : 'PUT', `/api/webapp/social/posts/${post.id}/like`);
      post.liked_by_me = answer.liked;
      post.likes = answer.likes;
      show();
    } catch (err) { /* the count stays as it was */ }
  });
  return button;
}

function commentItem(c) {
  return h('li', { class: 'comment' }, avatar(c.author), h('div', {},
    h('strong', {}, c.author.display_name), ' ', h('time', { datetime: c.created_at }, formatTime(c.created_at)),
    h('p', {}, c.body)));
}

function comments(post) {
  const list = h('ol', { class: 'comments' });
  const input = h('input', { name: 'body', maxlength: '1000', required: true, 'aria-label': t('feed.comment_label'), placeholder: t('feed.comment_placeholder') });
  const status = h('p', { class: 'notice', role: 'status', hidden: true });
  const form = h('form', { class: 'row' }, input, h('button', { type: 'submit' }, t('feed.comment')));
  const details = h('details', { class: 'thread' }, h('summary', {}, t('feed.comments', { n: post.comments })), list, form, status);
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const page = await api('GET', `/api/webapp/social/posts/${post.id}/comments?limit=50`);
      for (const c of page.items.reverse()) list.append(commentItem(c));
    } catch (err) {
      say(status, errorText(err), 'error');
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const { comment } = await api('POST', `/api/webapp/social/posts/${post.id}/comments`, { body: input.value });
      list.append(commentItem(comment));
      input.value = '';
      post.comments += 1;
      details.querySelector('summary').textContent = t('feed.comments', { n: post.comments });
      say(status, '');
    } catch (err) {
      say(status, errorText(err), 'error');
    }
  });
  return details;
}

function postItem(post) {
  return h('li', { class: 'post card', 'data-post': post.id },
    h('div', { class: 'person' }, avatar(post.author), h('div', {},
      h('strong', {}, post.author.display_name), h('br'),
      h('time', { datetime: post.created_at, class: 'small' }, formatTime(post.created_at)))),
    h('p', { class: 'body' }, post.body),
    post.image ? h('img', { class: 'picture', src: post.image.large, alt: t('feed.picture_alt'), loading: 'lazy' }) : null,
    h('div', { class: 'row' }, likeButton(post)),
    comments(post));
}

function startFeed() {
  const feed = document.getElementById('feed');
  const end = document.getElementById('feed-end');
  let cursor = null, loading = false, done = false;
  const more = async () => {
    if (loading || done) return;
    loading = true;
    end.textContent = t('feed.loading');
    try {
      const page = await api('GET', '/api/webapp/social/feed?limit=20' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
      for (const post of page.items) feed.append(postItem(post));
      cursor = page.next_cursor;
      done = !cursor;
      end.textContent = done ? (feed.children.length ? t('feed.end') : t('feed.empty')) : '';
    } catch (err) {
      end.textContent = errorText(err);
    } finally {
      loading = false;
    }
  };
  // The next page when the end of the list comes into view.
  new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) more(); }, { rootMargin: '400px' }).observe(end);
  more();

  const form = document.getElementById('post-form');
  const status = document.getElementById('post-status');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData();
    data.append('body', form.body.value);
    if (form.image.files.length) data.append('image', form.image.files[0]);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const { post } = await api('POST', '/api/webapp/social/posts', data);
      feed.prepend(postItem(post));
      form.reset();
      say(status, t('hub.posted'));
    } catch (err) {
      say(status, errorText(err), 'error');
    } finally {
      button.disabled = false;
    }
  });
}

async function main() {
  await startPage();
  wireProfileForms();
  await loadProfile();
  const query = new URLSearchParams(location.search);
  if (profile.tier !== 'prime') {
    loadPlans()
      // Other pages' "Get PRIME" links land on #plans, shown only now.
      .then(() => { if (location.hash === '#plans') document.getElementById('plans').scrollIntoView(); })
      .catch((err) => say(document.getElementById('plans-status'), errorText(err), 'error'));
  }
  if (query.get('payment')) followPayment(query.get('payment'), query.get('ref_payco'));
  startFeed();
}

main();
