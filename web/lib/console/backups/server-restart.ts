/**
 * Waiting for the server to come back after a restore. The restore answers 204 and then the server
 * drains, swaps the data in and listens again on the same address — often in well under a second,
 * so polling GET /api/health alone could miss the gap and report the old server as the new one.
 * The sign that the old one has gone is its realtime stream ending: a server that is closing ends
 * every stream (ServerClosing) in the same turn as it stops taking connections.
 */

/** What the waiter needs from the browser, so tests can stand in for it. */
export interface RestartProbe {
  /** Settles when the old server is seen going away (its stream ended); may never settle. */
  wentDown: Promise<unknown>;
  /** One GET /api/health: true when the server answered 2xx; false (never throws) otherwise. */
  isUp: () => Promise<boolean>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface RestartTiming {
  /** Between health checks. */
  intervalMs?: number;
  /**
   * With no sign of the old server going (no stream, no failed check) for this long, the restart is
   * taken to have been too quick to see, and the first good answer counts.
   */
  unseenDownMs?: number;
  /** Gives up after this long. */
  timeoutMs?: number;
}

/** Resolves true once the server answers again after going away; false at the time limit. */
export async function waitForRestart(probe: RestartProbe, timing: RestartTiming = {}): Promise<boolean> {
  const { intervalMs = 500, unseenDownMs = 10_000, timeoutMs = 5 * 60_000 } = timing;
  const sleep = probe.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = probe.now ?? Date.now;
  const start = now();
  let down = false;
  void probe.wentDown.then(
    () => (down = true),
    () => (down = true),
  );
  while (now() - start < timeoutMs) {
    await sleep(intervalMs);
    const up = await probe.isUp();
    if (!up) down = true;
    else if (down || now() - start >= unseenDownMs) return true;
  }
  return false;
}

/** GET /api/health, never throwing. */
export async function healthCheck(origin: string): Promise<boolean> {
  try {
    const res = await fetch(`${origin}/api/health`, { cache: 'no-store' });
    return res.ok;
  } catch {
    return false;
  }
}

export interface StreamWatch {
  /** Settles when the stream ends or fails after it had opened. */
  ended: Promise<void>;
  close(): void;
}

/**
 * Opens the realtime stream (/api/realtime) and resolves once the server greeted it (PB_CONNECT),
 * or null when that does not happen within `openMs` (then only the health checks tell).
 */
export function watchServerStream(
  origin: string,
  openMs = 5000,
  open: (url: string) => EventSource = (url) => new EventSource(url),
): Promise<StreamWatch | null> {
  return new Promise((resolve) => {
    let source: EventSource;
    try {
      source = open(`${origin}/api/realtime`);
    } catch {
      resolve(null);
      return;
    }
    let ended!: () => void;
    const watch: StreamWatch = {
      ended: new Promise<void>((r) => (ended = r)),
      close: () => source.close(),
    };
    const timer = setTimeout(() => {
      source.close();
      resolve(null);
    }, openMs);
    source.addEventListener('PB_CONNECT', () => {
      clearTimeout(timer);
      resolve(watch);
    });
    // EventSource reconnects on its own after an error; the first one is all this needs to know.
    source.addEventListener('error', () => {
      source.close();
      ended();
    });
  });
}
