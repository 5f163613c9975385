// Meet (issue 8): "From 'Join' to the first decoded remote frame, for 2 and for 4 participants on
// loopback (goal < 1.5 s for 4); server CPU per room." Chromium (Debian's, headless, fake camera and
// microphone) driven by Playwright against the built Hearth on loopback.
// 1. Join: in a fresh room with fresh browser contexts, N−1 people join first (untimed) and the bench
//    waits until each of them decodes video from every other. Then the N-th opens the room, waits for
//    its camera preview, and presses Join. In that page, on its own clock: `performance.now()` of the
//    click (a capture-phase listener) and, for every remote tile's <video> (a MutationObserver
//    installed before the click puts `requestVideoFrameCallback` on each as it appears), the
//    `presentationTime` of the first frame. Figures: click → the first remote frame, and click → a
//    frame from all N−1 others. The page's RTCPeerConnections (a subclass noting when each was made and
//    first `connected`) split the first: signaling (click → first connection made, i.e. the ICE
//    look-up, the WebSocket and `welcome`), negotiation and ICE (→ `connected`), media (→ frame).
//    Baseline, same browser, same round: two RTCPeerConnections in one page with the same fake camera
//    and microphone (getUserMedia with the app's constraints, opened and playing before the clock),
//    descriptions and candidates handed over directly in the page, no server; from creating the
//    connections to the first frame on a <video> playing the remote stream (requestVideoFrameCallback).
//    The baseline runs twice a round: alone in the browser, and (for the 4-person figures) beside the
//    3-person call, just before the 4th joins it: on a small machine the call's encoders and decoders
//    take the CPUs, and that second baseline pays for them as the join does.
// 2. Server CPU per room: utime + stime of the Hearth process (/proc/<pid>/stat) over a 10 s window
//    while a 4-person call runs, and over a 10 s window of the same process idle (no call) as the
//    baseline, each after 20 s of quiet; the difference is what a running room costs. Also the CPU
//    the server spent while the 4 joined (from the first Join to every connection carrying video),
//    how busy the machine was, and how much of it went to processes other than this bench's (a noisy
//    shared machine shows there).
// Runs alone (`node bench/meet.js [--rounds N]`) or from bench/run.js.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { removeDir, runCli, startHearth, tempDir } from '../tests/support/hearth.js';

const ADMIN = { identity: 'bench-admin@example.com', password: 'bench admin password' };
const USER_PASSWORD = 'bench user password';
const GOAL_MS = 1500;
const CPU_WINDOW_MS = 10_000;
/**
 * Quiet before each CPU window: after a burst of work (page loads, joins) V8 runs a few full garbage
 * collections seconds apart (its memory reducer), 80 ms or so each on this machine, which would
 * otherwise land in either window by chance.
 */
const SETTLE_MS = 20_000;
/** A user may run 20 rooms at once (docs/meet.md): a new room maker past that. */
const ROOMS_PER_USER = 20;
const WAIT_MS = 30_000;
const CHROMIUM = '/usr/bin/chromium';
/** As MEDIA_LAUNCH in tests/e2e/meet-helpers.ts. */
const MEDIA_LAUNCH = {
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
  ],
};
/** The app's constraints (web/lib/meet/media.ts), for the baseline's getUserMedia. */
const CAMERA = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } };
const MICROPHONE = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** @typedef {import('@playwright/test').Browser} Browser */
/** @typedef {import('@playwright/test').BrowserContext} BrowserContext */
/** @typedef {import('@playwright/test').Page} Page */
/** @typedef {{ total: number, connected: number, media: number }} BaselineTimes */
/** @typedef {{ first: number, all: number, signaling: number, connected: number, media: number, loaded: BaselineTimes | null }} JoinTimes */

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const at = (/** @type {number} */ i) => /** @type {number} */ (s[i]);
  return s.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}
const fmt = (/** @type {number} */ n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Median, least and most. @param {number[]} xs */
function spread(xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}
const ms = (/** @type {number} */ n) => `${fmt(n)} ms`;
const range = (/** @type {ReturnType<typeof spread>} */ x) => `${ms(x.median)} (${fmt(x.min)}–${fmt(x.max)})`;

/**
 * @param {string} url
 * @param {string} token
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
async function api(url, token, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A UDP port free on loopback now, for this server's own STUN listener. */
function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/**
 * Rooms made as the app makes them (POST /api/hearth/meet/rooms as a `users` record), a new user
 * every ROOMS_PER_USER rooms (a fresh room for every round).
 * @param {string} url
 * @param {string} adminToken
 */
function roomMaker(url, adminToken) {
  /** @type {string | null} */
  let token = null;
  let made = 0;
  let users = 0;
  return async () => {
    if (token === null || made >= ROOMS_PER_USER) {
      const email = `bench-meet-${++users}@example.com`;
      await api(url, adminToken, 'POST', '/api/collections/users/records', {
        email,
        password: USER_PASSWORD,
        passwordConfirm: USER_PASSWORD,
      });
      const auth = await api(url, '', 'POST', '/api/collections/users/auth-with-password', {
        identity: email,
        password: USER_PASSWORD,
      });
      token = /** @type {string} */ (auth.token);
      made = 0;
    }
    made++;
    const room = await api(url, token, 'POST', '/api/hearth/meet/rooms', {});
    return /** @type {string} */ (room.name);
  };
}

/**
 * Runs in every page before its scripts: keeps each RTCPeerConnection the page makes, with when it
 * was made and when it was first `connected` (as tests/e2e/meet-helpers.ts keeps them, plus times),
 * and `__benchArm(self)`, which the bench calls just before pressing Join.
 */
function pageInit() {
  const w = /** @type {any} */ (window);
  const Native = window.RTCPeerConnection;
  /** @type {RTCPeerConnection[]} */
  const all = [];
  /** @type {{ created: number, connected: number | null }[]} */
  const times = [];
  w.__peerConnections = all;
  w.__pcTimes = times;
  window.RTCPeerConnection = class extends Native {
    /** @param {RTCConfiguration} [config] */
    constructor(config) {
      super(config);
      const t = { created: performance.now(), connected: /** @type {number | null} */ (null) };
      all.push(this);
      times.push(t);
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected' && t.connected === null) t.connected = performance.now();
      });
    }
  };
  /**
   * Notes the time of the next click (capture phase, before the app's handler) and the first frame
   * shown by each remote tile's video (every <figure> but the own one) as it appears.
   * @param {string} self  the own tile's accessible name
   */
  w.__benchArm = (self) => {
    /** @type {{ click: number | null, frames: Record<string, number> }} */
    const state = { click: null, frames: {} };
    w.__bench = state;
    window.addEventListener('click', () => (state.click ??= performance.now()), {
      capture: true,
      once: true,
    });
    const watched = new WeakSet();
    const scan = () => {
      for (const figure of document.querySelectorAll('figure[aria-label]')) {
        const name = figure.getAttribute('aria-label') ?? '';
        const video = figure.querySelector('video');
        if (name === self || !video || watched.has(video)) continue;
        watched.add(video);
        video.requestVideoFrameCallback((_now, meta) => (state.frames[name] ??= meta.presentationTime));
      }
    };
    new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
    scan();
  };
}

/**
 * Opens the room in a fresh context and waits for the setup screen's camera preview to play and its
 * devices to be listed (LocalMedia.start done), as a person sees themselves before pressing Join.
 * @param {Browser} browser
 * @param {string} url
 * @param {string} room
 */
async function openRoom(browser, url, room) {
  const context = await browser.newContext({ baseURL: url, permissions: ['camera', 'microphone'] });
  await context.addInitScript(pageInit);
  const page = await context.newPage();
  await page.goto(`/meet/${room}`);
  await page.getByLabel('Name', { exact: true }).waitFor();
  await page.waitForFunction(
    () => {
      const video = document.querySelector('section.setup video');
      const selects = [...document.querySelectorAll('section.setup select')];
      return (
        video instanceof HTMLVideoElement &&
        video.readyState >= 2 &&
        selects.length === 2 &&
        selects.every((s) => !(/** @type {HTMLSelectElement} */ (s).disabled))
      );
    },
    undefined,
    { timeout: WAIT_MS },
  );
  return { context, page };
}

/** @param {Page} page @param {string} name */
async function pressJoin(page, name) {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
}

/**
 * Waits until each page has `peers` open connections, all `connected` and each decoding video.
 * @param {Page[]} pages
 * @param {number} peers
 */
async function waitForMesh(pages, peers) {
  await Promise.all(
    pages.map((page) =>
      page.waitForFunction(
        async (n) => {
          /** @type {RTCPeerConnection[]} */
          const all = /** @type {any} */ (window).__peerConnections;
          const open = all.filter((pc) => pc.connectionState !== 'closed');
          if (open.length !== n || open.some((pc) => pc.connectionState !== 'connected')) return false;
          for (const pc of open) {
            let frames = 0;
            (await pc.getStats()).forEach((s) => {
              if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
            });
            if (frames === 0) return false;
          }
          return true;
        },
        peers,
        { timeout: WAIT_MS, polling: 100 },
      ),
    ),
  );
}

/**
 * One timed join of the n-th person into a fresh room where n−1 are already in a call; with
 * `loaded`, the baseline runs too while those n−1 are in their call, just before the join.
 * @param {Browser} browser
 * @param {string} url
 * @param {() => Promise<string>} makeRoom
 * @param {number} n
 * @param {{ loaded?: boolean }} [options]
 * @returns {Promise<JoinTimes>}
 */
async function timeJoin(browser, url, makeRoom, n, options = {}) {
  const room = await makeRoom();
  /** @type {BrowserContext[]} */
  const contexts = [];
  try {
    /** @type {Page[]} */
    const early = [];
    for (let i = 1; i < n; i++) {
      const { context, page } = await openRoom(browser, url, room);
      contexts.push(context);
      early.push(page);
      await pressJoin(page, `Person ${i}`);
      await page.getByRole('figure', { name: `Person ${i} (you)`, exact: true }).waitFor();
    }
    await waitForMesh(early, n - 2);
    const loaded = options.loaded ? await timeBaseline(browser, url) : null;

    const self = `Person ${n}`;
    const { context, page } = await openRoom(browser, url, room);
    contexts.push(context);
    await page.getByLabel('Name', { exact: true }).fill(self);
    await page.evaluate((name) => /** @type {any} */ (window).__benchArm(name), `${self} (you)`);
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.waitForFunction(
      (others) => Object.keys(/** @type {any} */ (window).__bench.frames).length >= others,
      n - 1,
      { timeout: WAIT_MS, polling: 50 },
    );
    const got = await page.evaluate(() => {
      const w = /** @type {any} */ (window);
      return {
        click: /** @type {number} */ (w.__bench.click),
        frames: /** @type {number[]} */ (Object.values(w.__bench.frames)),
        names: Object.keys(w.__bench.frames),
        pcs: /** @type {{ created: number, connected: number | null }[]} */ (w.__pcTimes),
      };
    });
    const expected = Array.from({ length: n - 1 }, (_, i) => `Person ${i + 1}`);
    if (got.names.sort().join() !== expected.join())
      throw new Error(`frames from ${got.names.join(', ')}, expected ${expected.join(', ')}`);
    const first = Math.min(...got.frames);
    const created = Math.min(...got.pcs.map((p) => p.created));
    const connected = Math.min(...got.pcs.map((p) => p.connected ?? Infinity));
    if (got.pcs.length !== n - 1 || !Number.isFinite(connected))
      throw new Error(`${got.pcs.length} peer connections, ${n - 1} expected, all connected`);
    return {
      first: first - got.click,
      all: Math.max(...got.frames) - got.click,
      signaling: created - got.click,
      connected: connected - created,
      media: first - connected,
      loaded,
    };
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
}

/**
 * In the page: two RTCPeerConnections with the fake camera and microphone, signaling handed over
 * directly; from making the connections to the first frame of the remote stream on a <video>.
 * @param {{ camera: MediaTrackConstraints, microphone: MediaTrackConstraints, timeoutMs: number }} options
 * @returns {Promise<BaselineTimes>}
 */
async function baselineInPage({ camera, microphone, timeoutMs }) {
  const local = await navigator.mediaDevices.getUserMedia({ audio: microphone, video: camera });
  // As in the app, the camera is open and playing (the preview) before the clock starts.
  const preview = document.createElement('video');
  preview.muted = true;
  preview.srcObject = local;
  document.body.append(preview);
  await preview.play();
  await new Promise((resolve) => preview.requestVideoFrameCallback(resolve));

  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  document.body.append(video);
  /** @type {Promise<number>} */
  const frame = new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error('no remote frame in the baseline')), timeoutMs);
    video.requestVideoFrameCallback((_now, meta) => resolve(meta.presentationTime));
  });

  const started = performance.now();
  const a = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  const b = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  /** @type {number | null} */
  let connected = null;
  a.addEventListener('connectionstatechange', () => {
    if (a.connectionState === 'connected') connected ??= performance.now();
  });
  // Candidates are applied once the other side has the description they belong to.
  /** @type {(value: void) => void} */
  let aReady = () => {};
  /** @type {(value: void) => void} */
  let bReady = () => {};
  /** @type {Promise<void>} */
  const aHasRemote = new Promise((resolve) => (aReady = resolve));
  /** @type {Promise<void>} */
  const bHasRemote = new Promise((resolve) => (bReady = resolve));
  a.onicecandidate = ({ candidate }) => {
    if (candidate) void bHasRemote.then(() => b.addIceCandidate(candidate));
  };
  b.onicecandidate = ({ candidate }) => {
    if (candidate) void aHasRemote.then(() => a.addIceCandidate(candidate));
  };
  // The newcomer (a) offers sendrecv audio and video; b answers with its own tracks on them and a
  // plays what b sends, as in the app's mesh (web/lib/meet/peer.link.ts).
  const remote = new MediaStream();
  a.ontrack = ({ track }) => {
    remote.addTrack(track);
    video.srcObject = new MediaStream(remote.getTracks());
  };
  for (const track of local.getTracks()) a.addTransceiver(track, { direction: 'sendrecv' });
  await a.setLocalDescription();
  await b.setRemoteDescription(/** @type {RTCSessionDescription} */ (a.localDescription));
  bReady();
  for (const t of b.getTransceivers()) {
    t.direction = 'sendrecv';
    await t.sender.replaceTrack(local.getTracks().find((x) => x.kind === t.receiver.track.kind) ?? null);
  }
  await b.setLocalDescription();
  await a.setRemoteDescription(/** @type {RTCSessionDescription} */ (b.localDescription));
  aReady();
  const presented = await frame;
  a.close();
  b.close();
  for (const track of local.getTracks()) track.stop();
  if (connected === null) throw new Error('the baseline connection never reported connected');
  return { total: presented - started, connected: connected - started, media: presented - connected };
}

/**
 * One baseline in a fresh context of the same browser.
 * @param {Browser} browser
 * @param {string} url
 */
async function timeBaseline(browser, url) {
  const context = await browser.newContext({ baseURL: url, permissions: ['camera', 'microphone'] });
  try {
    const page = await context.newPage();
    // Any page of the server's origin: a secure context (loopback), so mediaDevices exists.
    await page.goto('/api/health');
    return await page.evaluate(baselineInPage, {
      camera: CAMERA,
      microphone: MICROPHONE,
      timeoutMs: WAIT_MS,
    });
  } finally {
    await context.close();
  }
}

let tick = 0;
/** One clock tick of /proc/<pid>/stat, in ms (CLK_TCK, usually 100 a second); asked once, when needed. */
function tickMs() {
  return (tick ||= 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()));
}

/** CPU time (user + system, all threads) of a process so far, in ms. @param {number} pid */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) in parentheses: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * tickMs();
}

/**
 * The same from the scheduler, in ns rather than clock ticks: the time on a CPU of every thread the
 * process has now (/proc/<pid>/task/<tid>/schedstat); a thread that ended between two readings takes
 * its share with it. In ms.
 * @param {number} pid
 */
function schedMs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended while being read
    }
  }
  return ns / 1e6;
}

/**
 * CPU ticks so far of this bench's own processes: this one and its descendants (Hearth, Chromium and
 * its renderers), each with the children it has reaped (cutime, cstime), so a renderer that ended in
 * between still counts.
 */
function ownTicks() {
  /** @type {Map<number, { ppid: number, ticks: number }>} */
  const all = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      all.set(Number(name), {
        ppid: f[1] ?? 0,
        ticks: (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0),
      });
    } catch {
      // the process ended while being read
    }
  }
  const own = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of all)
      if (!own.has(pid) && own.has(p.ppid)) {
        own.add(pid);
        grew = true;
      }
  }
  let ticks = 0;
  for (const pid of own) ticks += all.get(pid)?.ticks ?? 0;
  return ticks;
}

/** How busy the whole machine is (busy and total jiffies of all CPUs so far). */
function machineTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const xs = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const total = xs.slice(0, 8).reduce((x, y) => x + y, 0);
  const idle = (xs[3] ?? 0) + (xs[4] ?? 0);
  return { busy: total - idle, total, own: ownTicks() };
}

/**
 * How busy the machine was since `from` (a machineTicks()), as shares of all its CPUs: in all, and
 * by processes other than this bench's.
 * @param {ReturnType<typeof machineTicks>} from
 */
function loadSince(from) {
  const to = machineTicks();
  const total = to.total - from.total;
  const busy = to.busy - from.busy;
  return { machineBusy: busy / total, othersBusy: Math.max(0, busy - (to.own - from.own)) / total };
}

/**
 * The server's CPU over a window: ms of CPU per second of wall time, and how busy the machine was.
 * @param {number} pid
 * @param {number} windowMs
 */
async function cpuWindow(pid, windowMs) {
  const m0 = machineTicks();
  const c0 = cpuMs(pid);
  const s0 = schedMs(pid);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const c1 = cpuMs(pid);
  const s1 = schedMs(pid);
  const t1 = performance.now();
  return {
    msPerSecond: ((c1 - c0) / (t1 - t0)) * 1000,
    schedMsPerSecond: ((s1 - s0) / (t1 - t0)) * 1000,
    ...loadSince(m0),
  };
}

/**
 * Server CPU: a 4-person call (its joins, then a 10 s window while it runs), then the same
 * process idle for 10 s.
 * @param {Browser} browser
 * @param {string} url
 * @param {number} pid
 * @param {() => Promise<string>} makeRoom
 */
async function measureCpu(browser, url, pid, makeRoom) {
  const room = await makeRoom();
  /** @type {BrowserContext[]} */
  const contexts = [];
  /** @type {Page[]} */
  const pages = [];
  let call;
  let joining;
  try {
    for (let i = 1; i <= 4; i++) {
      const { context, page } = await openRoom(browser, url, room);
      contexts.push(context);
      pages.push(page);
    }
    const before = { stat: cpuMs(pid), sched: schedMs(pid) };
    for (const [i, page] of pages.entries()) await pressJoin(page, `Person ${i + 1}`);
    await waitForMesh(pages, 3);
    joining = { stat: cpuMs(pid) - before.stat, sched: schedMs(pid) - before.sched };
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    call = await cpuWindow(pid, CPU_WINDOW_MS);
    // Still a call at the end of the window: every connection up.
    await waitForMesh(pages, 3);
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const idle = await cpuWindow(pid, CPU_WINDOW_MS);
  return { joining, call, idle };
}

/**
 * Prints the figures and returns the section for docs/BENCHMARKS.md.
 * @param {number} rounds
 * @param {{ joins: Record<2 | 4, JoinTimes[]>, baselines: BaselineTimes[], cpu: Awaited<ReturnType<typeof measureCpu>>, loads: ReturnType<typeof loadSince>[] }} r
 */
function report(rounds, { joins, baselines, cpu, loads }) {
  const base = spread(baselines.map((b) => b.total));
  const loadedRuns = joins[4].flatMap((j) => (j.loaded ? [j.loaded] : []));
  const loaded = spread(loadedRuns.map((b) => b.total));
  const ratio = (/** @type {number} */ x, /** @type {number} */ b) => fmt(x / b, 2);
  const verdict = (/** @type {number} */ t) => (t < GOAL_MS ? 'met' : 'MISSED');
  const range0 = (/** @type {number[]} */ xs) => {
    const x = spread(xs);
    return `${fmt(x.median)} (${fmt(x.min)}–${fmt(x.max)})`;
  };
  const first2 = spread(joins[2].map((j) => j.first));
  const first4 = spread(joins[4].map((j) => j.first));
  const all4 = spread(joins[4].map((j) => j.all));
  const goal = `< ${fmt(GOAL_MS)} ms: **${verdict(first4.median)}**`;
  // With 2 people the first remote frame is the only one.
  /** @type {[string, ReturnType<typeof spread>, boolean, string][]} */
  const rows = [
    ['2 people: Join → the remote frame', first2, false, ''],
    ['4 people: Join → first remote frame', first4, true, goal],
    ['4 people: Join → a frame from all 3 others', all4, true, ''],
  ];
  console.log(`baselines: idle browser ${range(base)}; beside a 3-person call ${range(loaded)}`);
  for (const [label, x, four, g] of rows) {
    console.log(
      `${label}: ${range(x)}; ratio ${ratio(x.median, base.median)}${four ? `, beside the call ${ratio(x.median, loaded.median)}` : ''}${g ? `; goal ${g.replaceAll('*', '')}` : ''}`,
    );
  }
  const split = (/** @type {JoinTimes[]} */ js) => ({
    signaling: median(js.map((j) => j.signaling)),
    connected: median(js.map((j) => j.connected)),
    media: median(js.map((j) => j.media)),
  });
  const baseSplit = (/** @type {BaselineTimes[]} */ bs) => ({
    connected: median(bs.map((b) => b.connected)),
    media: median(bs.map((b) => b.media)),
  });
  const s2 = split(joins[2]);
  const s4 = split(joins[4]);
  const sb = baseSplit(baselines);
  const sl = baseSplit(loadedRuns);
  console.log(
    `first frame split (signaling / to connected / to frame): 2 people ${ms(s2.signaling)} / ${ms(s2.connected)} / ${ms(s2.media)}; 4 people ${ms(s4.signaling)} / ${ms(s4.connected)} / ${ms(s4.media)}; baseline – / ${ms(sb.connected)} / ${ms(sb.media)}; beside the call – / ${ms(sl.connected)} / ${ms(sl.media)}`,
  );
  const perRoom = cpu.call.msPerSecond - cpu.idle.msPerSecond;
  const perRoomSched = cpu.call.schedMsPerSecond - cpu.idle.schedMsPerSecond;
  const pct = (/** @type {number} */ x, digits = 2) => `${fmt(x * 100, digits)} %`;
  const core = (/** @type {number} */ msPerSecond) => pct(msPerSecond / 1000);
  console.log(
    `server CPU (stat; schedstat): 4-person call ${fmt(cpu.call.msPerSecond, 1)}; ${fmt(cpu.call.schedMsPerSecond, 2)} ms/s, idle ${fmt(cpu.idle.msPerSecond, 1)}; ${fmt(cpu.idle.schedMsPerSecond, 2)} ms/s, per room ${fmt(perRoom, 1)}; ${fmt(perRoomSched, 2)} ms/s (${core(perRoom)}; ${core(perRoomSched)} of one core); the 4 joins ${fmt(cpu.joining.stat)}; ${fmt(cpu.joining.sched, 1)} ms`,
  );
  console.log(
    `machine busy (other processes): ${pct(cpu.call.machineBusy, 0)} (${pct(cpu.call.othersBusy, 0)}) during the call, ${pct(cpu.idle.machineBusy, 0)} (${pct(cpu.idle.othersBusy, 0)}) idle`,
  );
  const windowRow = (/** @type {string} */ label, /** @type {typeof cpu.call} */ w) =>
    `| ${label} | ${fmt(w.msPerSecond, 1)} ms/s | ${core(w.msPerSecond)} | ${fmt(w.schedMsPerSecond, 2)} ms/s | ${pct(w.machineBusy, 0)} | ${pct(w.othersBusy, 0)} |`;
  return [
    `Chromium (Debian's, headless, fake camera and microphone: \`MEDIA_LAUNCH\` of tests/e2e/meet-helpers.ts) via Playwright against the built Hearth on loopback, every person in their own browser context of one browser; median (least–most) of ${rounds} rounds after one untimed 2-person round; a fresh room and fresh contexts for every round. The machine was ${range0(loads.map((l) => l.machineBusy * 100))} % busy during the rounds, ${range0(loads.map((l) => l.othersBusy * 100))} % of it by processes other than the bench's (median, least–most of the rounds).`,
    '',
    `**Join → first remote frame.** N−1 people join first (untimed) until each decodes video from every other; the N-th opens the room, waits for its camera preview, and presses Join. In that page's clock: the click (a capture-phase listener) to the \`presentationTime\` of the first frame of a remote tile's \`<video>\` (\`requestVideoFrameCallback\`, put on each tile by a MutationObserver installed before the click), and to a frame from every other person. Baseline: in a fresh context of the same browser, two \`RTCPeerConnection\`s in one page with the same fake devices (\`getUserMedia\` with the app's constraints, playing before the clock), descriptions and candidates handed over directly; from making the connections to the first frame of the remote stream on a \`<video>\`: ${range(base)} with nothing else in the browser, ${range(loaded)} when run beside the 3-person call, just before the 4th person joins it.`,
    '',
    '| figure | Meet | ratio to the baseline | ratio to the baseline beside the call | goal |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows.map(
      ([label, x, four, g]) =>
        `| ${label} | ${range(x)} | **${ratio(x.median, base.median)}** | ${four ? ratio(x.median, loaded.median) : '–'} | ${g} |`,
    ),
    '',
    `Where the first frame's time goes (medians; the page's RTCPeerConnections are a subclass noting when each was made and first \`connected\`):`,
    '',
    '| | click → first connection made (ICE look-up, WebSocket, `welcome`) | → `connected` (offer, answer, candidates, ICE, DTLS) | → first frame |',
    '| --- | ---: | ---: | ---: |',
    `| 2 people | ${ms(s2.signaling)} | ${ms(s2.connected)} | ${ms(s2.media)} |`,
    `| 4 people | ${ms(s4.signaling)} | ${ms(s4.connected)} | ${ms(s4.media)} |`,
    `| baseline | – | ${ms(sb.connected)} | ${ms(sb.media)} |`,
    `| baseline beside the call | – | ${ms(sl.connected)} | ${ms(sl.media)} |`,
    '',
    `**Server CPU per room.** utime + stime of the Hearth process from \`/proc/<pid>/stat\` over ${CPU_WINDOW_MS / 1000} s while a 4-person call runs (every connection up and carrying video, checked before and after), and over ${CPU_WINDOW_MS / 1000} s of the same process idle after the call's contexts closed (the baseline); each window starts ${SETTLE_MS / 1000} s after the joins or the close, so that the garbage collections V8 runs seconds after a burst of work (about 80 ms each here) fall outside it. That counts whole clock ticks (${fmt(tickMs())} ms, so steps of ${fmt(tickMs() / (CPU_WINDOW_MS / 1000), 1)} ms/s); the scheduler's count in ns (\`/proc/<pid>/task/*/schedstat\`, every thread) is given beside it. Machine busy: all CPUs, from \`/proc/stat\`; "others": what processes other than the bench, its Hearth and its Chromium used.`,
    '',
    '| window | server CPU (stat) | of one core | server CPU (schedstat) | machine busy | others |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    windowRow('4-person call', cpu.call),
    windowRow('idle (baseline)', cpu.idle),
    `| **per room** (call − idle) | **${fmt(perRoom, 1)} ms/s** | **${core(perRoom)}** | **${fmt(perRoomSched, 2)} ms/s** (${core(perRoomSched)}) | | |`,
    '',
    `The 4 joins of that call (from the first Join to every connection carrying video) cost the server ${fmt(cpu.joining.stat)} ms of CPU in all (schedstat: ${fmt(cpu.joining.sched, 1)} ms).`,
  ].join('\n');
}

/**
 * @param {{ rounds?: number }} [options]
 * @returns {Promise<import('./run.js').BenchResult>}
 */
export async function run(options = {}) {
  const rounds = options.rounds ?? 3;
  const dir = tempDir('hearth-bench-meet-');
  /** @type {Awaited<ReturnType<typeof startHearth>> | undefined} */
  let hearth;
  /** @type {Browser | undefined} */
  let browser;
  try {
    const up = await runCli(['superuser', 'upsert', ADMIN.identity, ADMIN.password, '--dir', dir]);
    if (up.code !== 0) throw new Error(`superuser upsert failed: ${up.stderr}`);
    hearth = await startHearth({ dir });
    const pid = hearth.proc.pid;
    if (pid === undefined) throw new Error('no pid for the Hearth process');
    const admin = await api(hearth.url, '', 'POST', '/api/collections/_superusers/auth-with-password', ADMIN);
    // Meet's per-address limits (rooms, look-ups, sockets a minute) would stop the rounds: every
    // browser here is 127.0.0.1. STUN on a port of its own, so this server answers its browsers
    // even when another Hearth on the machine holds 3478.
    await api(hearth.url, admin.token, 'PATCH', '/api/settings', {
      rateLimits: { enabled: false },
      meet: { 'stun.port': await freeUdpPort() },
    });
    const makeRoom = roomMaker(hearth.url, admin.token);

    browser = await chromium.launch(MEDIA_LAUNCH);
    // One untimed round: the first load fetches the app's scripts, the first call warms up codecs.
    await timeJoin(browser, hearth.url, makeRoom, 2);
    await timeBaseline(browser, hearth.url);
    /** @type {Record<2 | 4, JoinTimes[]>} */
    const joins = { 2: [], 4: [] };
    /** @type {BaselineTimes[]} */
    const baselines = [];
    /** @type {ReturnType<typeof loadSince>[]} */
    const loads = [];
    for (let r = 1; r <= rounds; r++) {
      const m = machineTicks();
      const two = await timeJoin(browser, hearth.url, makeRoom, 2);
      const four = await timeJoin(browser, hearth.url, makeRoom, 4, { loaded: true });
      const base = await timeBaseline(browser, hearth.url);
      joins[2].push(two);
      joins[4].push(four);
      baselines.push(base);
      const load = loadSince(m);
      loads.push(load);
      console.log(
        `round ${r}: 2 people first ${ms(two.first)}; 4 people first ${ms(four.first)}, all ${ms(four.all)}; baseline ${ms(base.total)}, with a 3-person call running ${ms(four.loaded?.total ?? NaN)}; machine ${fmt(load.machineBusy * 100)} % busy, others ${fmt(load.othersBusy * 100)} %`,
      );
    }
    const cpu = await measureCpu(browser, hearth.url, pid, makeRoom);
    const markdown = report(rounds, { joins, baselines, cpu, loads });
    return { name: 'meet', ok: true, markdown };
  } finally {
    await browser?.close();
    await hearth?.stop();
    removeDir(dir);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
  const result = await run({ rounds: values.rounds ? Number(values.rounds) : undefined });
  console.log(`\n${result.markdown}`);
}
