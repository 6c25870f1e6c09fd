// Hangouts: video rooms that belong to their creator. My rooms and opening one; a room
// (/hangouts/?room=<id>, the bot's room link) with everyone's camera and microphone (Agora), its
// people, invitation links for the owner; an invitation (/hangouts/?invite=<invite>, the link the
// API and the bot's /hangout give) makes the person a member and opens the room.
import { api, avatar, clear, errorText, formatTime, h, say, startPage, t } from '/assets/app.js';
import { VideoError, joinCall, videoTrouble } from '/assets/video.js';

const roomsPath = '/api/webapp/hangouts/rooms';
const byId = (id) => document.getElementById(id);
const roomPage = (id) => `/hangouts/?room=${id}`;

// Our words for an API refusal on this page, else the shared ones.
function refusal(err) {
  const key = 'hangouts.error.' + (err && err.code);
  return t(key) !== key ? t(key) : errorText(err);
}

// ---- My rooms --------------------------------------------------------------------------------

async function showRooms() {
  byId('rooms-view').hidden = false;
  const list = byId('room-list');
  const status = byId('rooms-status');
  try {
    const { rooms } = await api('GET', roomsPath);
    for (const room of rooms) {
      list.append(h('li', { class: 'card room', 'data-room': room.id },
        h('a', { href: roomPage(room.id) }, room.name),
        room.mine ? h('span', { class: 'tag' }, t('hangouts.yours')) : null,
        h('p', { class: 'small' }, t('hangouts.member_count', { n: room.members }))));
    }
    status.textContent = rooms.length ? '' : t('hangouts.no_rooms');
  } catch (err) {
    status.textContent = refusal(err);
  }

  const form = byId('room-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const name = form.name.value.trim();
      const { room } = await api('POST', roomsPath, name ? { name } : {});
      location.assign(roomPage(room.id));
    } catch (err) {
      say(byId('room-form-status'), refusal(err), 'error');
      button.disabled = false;
    }
  });
}

// An invitation: membership first, then the room — and the invitation out of the address bar
// (and so out of the history), the room's own address in its place.
async function acceptInvite(me, invite) {
  let room;
  try {
    ({ room } = await api('POST', '/api/webapp/hangouts/join', { invite }));
  } catch (err) {
    history.replaceState(null, '', '/hangouts/');
    await showRooms();
    say(byId('invite-status'), refusal(err), 'error');
    return;
  }
  history.replaceState(null, '', roomPage(room.id));
  await showRoom(me, room.id);
}

// ---- A room ----------------------------------------------------------------------------------

const videoWords = {
  unavailable: 'hangouts.video_unavailable',
  unsupported: 'live.video.unsupported',
  failed: 'hangouts.video_failed',
  camera: 'hangouts.camera_failed',
};

// The stage's data-state says where the video is (the style sheet and the tests read it).
function videoState(state, text = '', kind = 'info') {
  byId('stage').dataset.state = state;
  say(byId('video-status'), text, kind);
}

async function showRoom(me, id) {
  byId('room-view').hidden = false;
  const status = byId('room-status');
  const names = new Map();  // user id (their Agora uid) → name, for the video tiles
  let room;

  const memberItem = (person) => {
    const owner = person.id === room.owner_id;
    const notes = [owner ? t('hangouts.owner') : null, person.id === me.user.id ? t('hangouts.you') : null].filter(Boolean);
    const item = h('li', { class: 'person', 'data-user': person.id }, avatar(person),
      h('span', {}, person.display_name, notes.length ? ` (${notes.join(', ')})` : ''));
    if (room.mine && !owner) {
      const remove = h('button', { type: 'button', class: 'link', 'aria-label': t('hangouts.remove_person', { name: person.display_name }) }, t('hangouts.remove'));
      remove.addEventListener('click', async () => {
        try {
          await api('DELETE', `${roomsPath}/${room.id}/members/${person.id}`);
          item.remove();
        } catch (err) {
          say(status, refusal(err), 'error');
        }
      });
      item.append(remove);
    }
    return item;
  };
  // The room and its people; again every few seconds, so newcomers show up.
  const load = async () => {
    room = (await api('GET', `${roomsPath}/${id}`)).room;
    for (const person of room.people) names.set(person.id, person.display_name);
    clear(byId('members')).append(...room.people.map(memberItem));
  };
  try {
    await load();
  } catch (err) {
    byId('room-title').textContent = t('hangouts.title');
    videoState('unavailable', refusal(err), 'error');
    return;
  }
  byId('room-title').textContent = room.name;
  document.title = 'PNPtv · ' + room.name;

  let call = null;
  const connect = async () => {
    byId('video-retry').hidden = true;
    videoState('connecting', t('live.video.connecting'));
    try {
      const token = () => api('GET', `${roomsPath}/${id}/token`).then((answer) => answer.token);
      call = await joinCall({
        token: await token(), mode: 'rtc', stage: byId('stage'), renew: token,
        nameOf: (uid) => names.get(uid) || t('hangouts.someone'),
        onSoundBlocked: () => { byId('sound-on').hidden = false; },
        onDropped: () => {
          videoState('failed', t(videoWords.failed), 'error');
          byId('video-retry').hidden = false;
        },
      });
      videoState('joined');
      byId('hang-up').hidden = false;
      await call.publish();
      videoState('publishing');
      byId('toggle-mic').hidden = byId('toggle-camera').hidden = false;
    } catch (err) {
      // Not a page error: the person is told, and the room's people and invitations still work.
      console.warn('hangout video:', err.reason || err.code, err.cause || err);
      videoState(...videoTrouble(err, videoWords, refusal), 'error');
      byId('video-retry').hidden = err instanceof VideoError && (err.reason === 'unavailable' || err.reason === 'unsupported');
    }
  };
  const hangUp = async () => {
    byId('hang-up').hidden = byId('toggle-mic').hidden = byId('toggle-camera').hidden = true;
    await call?.leave().catch(() => null);
    call = null;
  };
  byId('video-retry').addEventListener('click', async () => {
    await hangUp();
    connect();
  });
  byId('hang-up').addEventListener('click', async () => {
    await hangUp();
    videoState('left', t('hangouts.left_call'));
    byId('video-retry').textContent = t('hangouts.rejoin');
    byId('video-retry').hidden = false;
    byId('video-retry').focus();
  });
  for (const [button, set] of [['toggle-mic', (on) => call?.setMicrophone(on)], ['toggle-camera', (on) => call?.setCamera(on)]]) {
    byId(button).addEventListener('click', async () => {
      const on = byId(button).getAttribute('aria-pressed') !== 'true';
      await set(on);
      byId(button).setAttribute('aria-pressed', String(on));
    });
  }
  // Any click is the interaction the browser waited for; the SDK resumes the sound by itself.
  byId('sound-on').addEventListener('click', () => { byId('sound-on').hidden = true; });
  connect();

  // Gone from the room (left, closed, removed): the call ends and the list of rooms is what remains.
  const goodbye = async () => {
    clearInterval(refreshing);
    await hangUp();
    location.assign('/hangouts/');
  };
  const refreshing = setInterval(() => load().catch((err) => {
    if (err.status === 404) goodbye();
  }), 10000);
  if (room.mine) {
    byId('invite').hidden = false;
    byId('close-room').hidden = false;
    wireInvite(room);
    byId('close-room').addEventListener('click', async () => {
      try {
        await api('DELETE', `${roomsPath}/${room.id}`);
        await goodbye();
      } catch (err) {
        say(status, refusal(err), 'error');
      }
    });
  } else {
    byId('leave-room').hidden = false;
    byId('leave-room').addEventListener('click', async () => {
      try {
        await api('DELETE', `${roomsPath}/${room.id}/members/${me.user.id}`);
        await goodbye();
      } catch (err) {
        say(status, refusal(err), 'error');
      }
    });
  }
}

function wireInvite(room) {
  const status = byId('invite-make-status');
  const link = byId('invite-link');
  byId('make-invite').addEventListener('click', async () => {
    try {
      const answer = await api('POST', `${roomsPath}/${room.id}/invites`);
      link.value = answer.link;
      byId('invite-expires').textContent = t('hangouts.invite_expires', { time: formatTime(answer.expires_at * 1000) });
      byId('invite-box').hidden = false;
      say(status, '');
      link.select();
    } catch (err) {
      say(status, refusal(err), 'error');
    }
  });
  byId('copy-invite').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(link.value);
      say(status, t('hangouts.copied'));
    } catch (e) {
      // No clipboard here (a plain-http page, a refusal): selected, for the person to copy.
      link.select();
      say(status, t('hangouts.copy_yourself'));
    }
  });
}

async function main() {
  const me = await startPage();
  const query = new URLSearchParams(location.search);
  const invite = query.get('invite');
  const id = query.get('room');
  if (invite) await acceptInvite(me, invite);
  else if (id && /^[1-9][0-9]{0,18}$/.test(id)) await showRoom(me, id);
  else await showRooms();
}

main();
