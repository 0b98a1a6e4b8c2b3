// The first view's data, got before the app mounts: the session (from a
// login link, whose answer carries the list, or kept from before) and,
// on the containers view, the list.
// index.html sent those requests before the app's script loaded
// (early.ts), so this mostly takes answers already in; mounting once it
// has them makes the first render and layout the list's, not a
// "Loading…" page's that is replaced a moment later.
import { Api, type ContainerSummary } from './api';
import { early } from './early';
import { fromFragment } from './session';

export interface First {
  session: string;
  error?: string; // why the login link failed
  containers?: ContainerSummary[]; // the list, when the first view is the containers view
  since: number; // when the list was asked for (s since the epoch): events from then on update it
}

/** firstView logs in (or takes the stored session) and loads the container list for the first view. */
export async function firstView(): Promise<First> {
  const since = Math.floor((early()?.at ?? Date.now()) / 1000);
  let session: string, containers: ContainerSummary[] | undefined;
  try {
    ({ session, containers } = await fromFragment());
  } catch (e) {
    return { session: '', error: (e as Error).message, since };
  }
  if (!session || !/^(#\/?(containers\/?)?)?$/.test(location.hash)) return { session, since };
  // A failing list is left to the app, which shows the error (or logs out).
  containers ??= await new Api(session).containers().catch(() => undefined);
  return { session, containers, since };
}

/** Pending is a promise that also tells its value once settled, for a synchronous first render. */
export interface Pending<T> {
  done: Promise<T>;
  value?: T;
}

export function pending<T>(p: Promise<T>): Pending<T> {
  const r: Pending<T> = { done: p };
  p.then((v) => (r.value = v));
  return r;
}
