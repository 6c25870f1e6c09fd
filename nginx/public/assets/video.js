// video.js — Agora video for the live and hangout pages: the vendored Web SDK (scripts/setup
// fetches it; /assets/vendor.js names it, or null), joined with a token our API issues after
// login — never one from the URL.
import { ApiError, h, t } from '/assets/app.js';
import { agoraSdk } from '/assets/vendor.js';

// Why there is no video, for the page to say: 'unavailable' (the SDK isn't here or didn't load),
// 'unsupported' (this browser can't), 'failed' (Agora could not be reached or refused the join),
// 'camera' (our camera or microphone could not be started).
export class VideoError extends Error {
  constructor(reason, cause) {
    super(reason);
    this.reason = reason;
    this.cause = cause;
  }
}

// The stage's state and what to tell the person when the video can't start: `words` a key per
// VideoError reason; an API refusal of the token (PRIME only, no longer a member…) in the page's
// `refusal` words; no token otherwise (the API down, Agora not set up): unavailable.
export function videoTrouble(err, words, refusal) {
  if (err instanceof VideoError) return [err.reason, t(words[err.reason])];
  if (err instanceof ApiError && err.status >= 400 && err.status < 500) return ['unavailable', refusal(err)];
  return ['unavailable', t(words.unavailable)];
}

let sdk = null;
const joinSeconds = 15;

async function loadSdk() {
  if (!agoraSdk) throw new VideoError('unavailable');
  if (!sdk) {
    try {
      sdk = (await import(agoraSdk)).default;
    } catch (e) {
      throw new VideoError('unavailable', e);
    }
    // The page tells the person what went wrong; the SDK's console chatter would not help them.
    sdk.setLogLevel(4);
  }
  return sdk;
}

// A tile on the stage: a person's video with their name over it ('me': our own camera).
function tile(stage, id, name, kind = 'tile') {
  let el = stage.querySelector(`[data-uid="${id}"]`);
  if (!el) {
    el = h('div', { class: kind, 'data-uid': String(id) }, h('span', { class: 'who' }, name));
    stage.append(el);
  }
  return el;
}

// Joins the channel of `token` (the API's {app_id, channel, uid, role, token, expires_at}):
// `mode` 'live' (one host, an audience: the role says which we are) or 'rtc' (everyone talks).
// Others' video shows on `stage`, named by `nameOf(uid)`; `renew()` fetches a fresh token when
// Agora says this one is about to expire; `onSoundBlocked()` when the browser held back sound
// until the person interacts with the page; `onDropped()` when Agora ends the call (network,
// expiry) rather than us. Throws a VideoError.
export async function joinCall({ token, mode, stage, nameOf, renew, onSoundBlocked, onDropped }) {
  const AgoraRTC = await loadSdk();
  if (!AgoraRTC.checkSystemRequirements()) throw new VideoError('unsupported');
  const publisher = token.role === 'publisher';
  const client = AgoraRTC.createClient(mode === 'live' ? { mode, codec: 'vp8', role: publisher ? 'host' : 'audience' } : { mode, codec: 'vp8' });
  AgoraRTC.onAutoplayFailed = onSoundBlocked;

  client.on('user-published', async (user, kind) => {
    try {
      await client.subscribe(user, kind);
    } catch (e) {
      return;  // their track went away meanwhile; a new one is published again
    }
    if (kind === 'video') user.videoTrack.play(tile(stage, user.uid, nameOf(user.uid)));
    else user.audioTrack.play();
  });
  client.on('user-unpublished', (user, kind) => {
    if (kind === 'video') stage.querySelector(`[data-uid="${user.uid}"]`)?.remove();
  });
  client.on('user-left', (user) => stage.querySelector(`[data-uid="${user.uid}"]`)?.remove());
  client.on('token-privilege-will-expire', async () => {
    try {
      await client.renewToken((await renew()).token);
    } catch (e) { /* then Agora drops us at expiry: onDropped */ }
  });
  client.on('connection-state-change', (state, previous, reason) => {
    if (state === 'DISCONNECTED' && reason !== 'LEAVE') onDropped();
  });

  // Out of Agora's reach the SDK retries joining for minutes without a word: after a while the
  // person is better told, and offered to try again.
  const joining = client.join(token.app_id, token.channel, token.token, token.uid);
  let timer;
  try {
    await Promise.race([joining, new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('no answer from Agora')), joinSeconds * 1000);
    })]);
  } catch (e) {
    await client.leave().catch(() => null);  // which abandons the join
    throw new VideoError('failed', e);
  } finally {
    clearTimeout(timer);
  }

  let tracks = [];
  const call = {
    // Our camera and microphone, published (publishers only). Throws VideoError 'camera'.
    async publish() {
      try {
        tracks = await AgoraRTC.createMicrophoneAndCameraTracks();
      } catch (e) {
        throw new VideoError('camera', e);
      }
      tracks[1].play(tile(stage, token.uid, nameOf(token.uid), 'tile me'));
      try {
        await client.publish(tracks);
      } catch (e) {
        throw new VideoError('failed', e);
      }
    },
    setMicrophone: (on) => tracks[0]?.setEnabled(on),
    setCamera: (on) => tracks[1]?.setEnabled(on),
    async leave() {
      removeEventListener('pagehide', leaveOnHide);
      for (const track of tracks) track.close();
      tracks = [];
      for (const el of [...stage.querySelectorAll('[data-uid]')]) el.remove();
      await client.leave();
    },
  };
  // Leaving the page leaves the channel at once (others see us go) rather than at Agora's timeout.
  const leaveOnHide = () => { call.leave(); };
  addEventListener('pagehide', leaveOnHide);
  return call;
}
