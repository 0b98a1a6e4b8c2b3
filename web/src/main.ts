import { flushSync, mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { early } from './lib/early';
import { firstView, pending } from './lib/first';

// The first view's data (lib/first.ts) is mostly in already: mount once
// it is, so the first render is the list's. A slow daemon gets the page
// after 200 ms anyway, showing "Loading…" until then.
const first = pending(firstView());
const target = document.getElementById('app')!;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
Promise.race([first.done, delay(200)]).then(async () => {
  // index.html's boot script drew the list already (inert), or is about
  // to with the answer the app has too: the app takes over once that
  // frame is painted, in one task, at the same scroll position.
  if (first.value ? await early()?.shown : target.firstChild) {
    await first.done;
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  }
  const [x, y] = [scrollX, scrollY];
  target.replaceChildren();
  target.inert = false;
  mount(App, { target, props: { first } });
  flushSync();
  if (x || y) scrollTo(x, y);
  performance.mark('wharf: app mounted'); // bench/dashboard: when the page is live
});
