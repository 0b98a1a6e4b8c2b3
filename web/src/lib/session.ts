// The session: a one-time login token arrives in the URL's fragment
// (never sent to a server, from `wharf dashboard`) and is traded for a
// session token kept in this origin's storage.
import { login, type ContainerSummary, type Fetch } from './api';

const key = 'wharf.session';

export function stored(storage: Storage = localStorage): string {
  return storage.getItem(key) ?? '';
}

export function forget(storage: Storage = localStorage) {
  storage.removeItem(key);
}

/**
 * fromFragment logs in with #login=TOKEN, if present (getting the
 * container list with it), and clears it from the address bar; else it
 * takes the stored session.
 */
export async function fromFragment(loc: Location = location, storage: Storage = localStorage, fetchImpl?: Fetch): Promise<{ session: string; containers?: ContainerSummary[] }> {
  const m = /^#login=([0-9a-f]+)$/.exec(loc.hash);
  if (!m) return { session: stored(storage) };
  history.replaceState(null, '', loc.pathname + '#/containers');
  const answer = await login(m[1], fetchImpl, true);
  storage.setItem(key, answer.Session);
  return { session: answer.Session, containers: answer.Containers };
}
