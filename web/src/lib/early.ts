// The requests index.html's boot script sent before the app's script
// loaded (the login of a link, the container list): the app makes the
// same requests as ever, and each identical one takes the early answer,
// once. Identical means method, URL, Authorization and body, so an
// answer never goes to a request with another session.
import type { Fetch } from './api';

export type Early = Map<string, Promise<Response>>;

/** key names a request as index.html's script does: method, URL, Authorization, body. */
export function key(input: RequestInfo | URL, init?: RequestInit): string {
  const auth = new Headers(init?.headers).get('Authorization') ?? '';
  const body = typeof init?.body === 'string' ? init.body : '';
  return [init?.method ?? 'GET', String(input), auth, body].join(' ');
}

/** withEarly answers a request from early if it was sent there, and from fetchImpl otherwise. */
export function withEarly(fetchImpl: Fetch, early = () => (globalThis as { wharfEarly?: Early }).wharfEarly): Fetch {
  return (input, init) => {
    const sent = early();
    const k = sent?.size ? key(input, init) : '';
    const res = k ? sent!.get(k) : undefined;
    if (!res) return fetchImpl(input, init);
    sent!.delete(k);
    return res;
  };
}
