import { afterEach, expect, it, vi } from 'vitest';
import { waitFor } from '@testing-library/svelte';
import type { Early } from './lib/early';

// The app mounted here stays (main.ts mounts for the page's life), and
// with it this file's fetch, which never answers the events stream.
afterEach(() => {
  delete (window as { wharfEarly?: Early }).wharfEarly;
  localStorage.clear();
  document.body.innerHTML = '';
});

const json = (v: unknown) => new Response(JSON.stringify(v), { status: 200, headers: { 'Content-Type': 'application/json' } });

it('takes over the list the boot script drew: after that frame, in one step, live, at the same scroll position', async () => {
  const c = { Id: 'a'.repeat(64), Names: ['/web'], Image: 'busybox', State: 'running', Status: 'Up', Ports: [], Labels: {} };
  vi.stubGlobal('fetch', vi.fn(async (url: RequestInfo | URL) => (String(url).startsWith('/api/containers') ? json([c]) : new Promise(() => {}))));
  localStorage.setItem('wharf.session', 'kept');
  history.replaceState(null, '', '/#/containers');
  document.body.innerHTML = '<div id="app"><main><table aria-label="Containers"><tbody><tr data-name="web" data-boot></tr></tbody></table></main></div>';
  const app = document.getElementById('app')!;
  app.inert = true;
  const frames = vi.spyOn(window, 'requestAnimationFrame');
  const scrolled = vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
  vi.spyOn(window, 'scrollY', 'get').mockReturnValue(120);
  (window as { wharfEarly?: Early }).wharfEarly = { sent: new Map(), done: Promise.resolve(), at: Date.now(), shown: Promise.resolve(true) };

  await import('./main');
  await waitFor(() => expect(app.querySelector('header.top')).not.toBeNull());
  expect(frames).toHaveBeenCalled(); // it waited for the boot view's frame
  expect(app.querySelector('[data-boot]')).toBeNull();
  expect(app.querySelectorAll('tr[data-name="web"]').length).toBe(1);
  expect(app.inert).toBe(false);
  expect(scrolled).toHaveBeenCalledWith(0, 120);
  expect(performance.getEntriesByName('wharf: app mounted').length).toBe(1);
});
