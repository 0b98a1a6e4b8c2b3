// The requests index.html's boot script sent before the app's script
// loaded (the login of a link, the container list): the app makes the
// same requests as ever, and each identical one takes the early answer,
// once. Identical means method, URL, Authorization and body, so an
// answer never goes to a request with another session.
import type { Fetch } from './api';

export interface Early {
  sent: Map<string, Promise<Response>>;
  done: Promise<void>; // settles once every early request is answered (or failed)
  at: number; // when they were sent (ms since the epoch)
  shown?: Promise<boolean>; // whether the boot script drew the container list (src/main.ts takes over)
}

export const early = (): Early | undefined => (globalThis as { wharfEarly?: Early }).wharfEarly;

/** key names a request as index.html's script does: method, URL, Authorization, body. */
export function key(input: RequestInfo | URL, init?: RequestInit): string {
  const auth = new Headers(init?.headers).get('Authorization') ?? '';
  const body = typeof init?.body === 'string' ? init.body : '';
  return [init?.method ?? 'GET', String(input), auth, body].join(' ');
}

/**
 * withEarly answers a request from the early ones if it was sent there,
 * and from fetchImpl otherwise. It waits for the early requests to be
 * sent (the list leaves once the login answers), so the app asking first
 * does not send the same request twice.
 */
export function withEarly(fetchImpl: Fetch, from = early): Fetch {
  return async (input, init) => {
    const e = from();
    if (e?.sent.size) {
      await e.done;
      const k = key(input, init);
      const res = e.sent.get(k);
      if (res) {
        e.sent.delete(k);
        return res;
      }
    }
    return fetchImpl(input, init);
  };
}
