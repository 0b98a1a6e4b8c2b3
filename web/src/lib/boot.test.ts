import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from '@testing-library/svelte';
import html from '../../index.html?raw';
import App from '../App.svelte';
import type { ContainerSummary, Port } from './api';
import type { Early } from './early';
import type { First } from './first';

// index.html's boot script draws the container list from the first
// answer before the app's script has run; the app then replaces it. The
// two must look alike (no flash, no shift): the same elements, classes,
// text and spaces between inline elements.
const boot = /<script>([\s\S]*?)<\/script>/.exec(html)![1];

const c = (name: string, more: Partial<ContainerSummary> = {}): ContainerSummary => ({
  Id: (name + '.').padEnd(64, '0'), Names: ['/' + name], Image: 'busybox', ImageID: 'i', Command: 'sh', Created: 0,
  State: 'running', Status: 'Up 2 minutes', Ports: [], Labels: {}, ...more,
});
const web: Port[] = [
  { PrivatePort: 80, PublicPort: 8080, Type: 'tcp', IP: '0.0.0.0' },
  { PrivatePort: 80, PublicPort: 8080, Type: 'tcp', IP: '::' },
  { PrivatePort: 53, Type: 'udp' },
  { PrivatePort: 443, PublicPort: 8443, Type: 'tcp', IP: '127.0.0.1' },
];
const some = [
  c('web', { Ports: web, Labels: { 'com.docker.compose.project': 'shop' } }),
  c('db', { State: 'exited', Status: 'Exited (0) 2 minutes ago', Labels: { 'com.docker.compose.project': 'shop' } }),
  c('paused', { State: 'paused', Status: 'Up 3 minutes (Paused)' }),
  c('a<b>"&\'', { Image: 'x<y>', Ports: [{ PrivatePort: 1, PublicPort: 2, Type: 'tcp', IP: '::1' }], Labels: { 'com.docker.compose.project': 'p<q>' } }),
  c('restarting', { State: 'restarting', Names: [] }),
  c('Zeta'),
  c('alpha'),
];
const many = Array.from({ length: 200 }, (_, i) => c('c' + i, { Ports: i % 2 ? web : [], Labels: i % 3 ? {} : { 'com.docker.compose.project': 'p' + (i % 5) } }));

/** shape is an element's markup as layout sees it: no comments, attributes in order, runs of white space as one, styles without spaces. */
function shape(el: Element): string {
  const walk = (n: Node): string => {
    if (n.nodeType === Node.TEXT_NODE) return (n.textContent ?? '').replace(/\s+/g, ' ');
    if (n.nodeType !== Node.ELEMENT_NODE) return '';
    const e = n as Element;
    const attrs = [...e.attributes].filter((a) => a.name !== 'inert' && !(a.name === 'class' && !a.value)).map((a) => `${a.name}="${a.name === 'style' ? a.value.replace(/\s|;$/g, '') : a.value}"`).sort().join(' ');
    return `<${e.localName}${attrs ? ' ' + attrs : ''}>${[...e.childNodes].map(walk).join('')}</${e.localName}>`;
  };
  return [...el.childNodes].map(walk).join('').replace(/ {2,}/g, ' ');
}

const answer = (v: unknown) => new Response(JSON.stringify(v), { status: 200, headers: { 'Content-Type': 'application/json' } });

/** drawn runs the boot script on a page whose login answers with cs, and returns what it drew. */
async function drawn(cs: ContainerSummary[]): Promise<string> {
  vi.stubGlobal('fetch', vi.fn(async () => answer({ Session: 's1', Containers: cs })));
  history.replaceState(null, '', '/#login=ab12');
  document.body.innerHTML = '<div id="app"></div>';
  new Function(boot)();
  expect(await (window as { wharfEarly?: Early }).wharfEarly!.shown).toBe(true);
  const app = document.getElementById('app')!;
  expect(app.inert).toBe(true);
  return shape(app);
}

/** rendered is what the app's first render of cs is. */
function rendered(cs: ContainerSummary[]): string {
  vi.stubGlobal('fetch', vi.fn(() => new Promise(() => {})));
  history.replaceState(null, '', '/#/containers');
  const f: First = { session: 's1', containers: cs, since: 0 };
  const { container } = render(App, { first: { done: Promise.resolve(f), value: f } });
  return shape(container);
}

describe("the boot script's first view", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    delete (window as { wharfEarly?: Early }).wharfEarly;
    localStorage.clear();
    document.body.innerHTML = '';
  });

  it('draws what the app renders: groups, states, ports as links, actions, escaped names', async () => {
    const boot = await drawn(some);
    expect(boot).toContain('<a href="http://localhost:8080/" rel="noreferrer" target="_blank">0.0.0.0:8080->80/tcp</a>');
    // Names and labels are text, never markup.
    expect([...document.querySelectorAll('tr[data-name]')].map((r) => (r as HTMLElement).dataset.name)).toEqual(['a<b>"&\'', 'db', 'web', 'alpha', 'paused', 'restarting.0', 'Zeta']);
    expect(document.querySelector('#app b, #app q, #app y')).toBeNull();
    expect(boot).toBe(rendered(some));
  });

  it('draws a long list as the app does, windowed, but only the rows that fit the window, and a spacer for the rest', async () => {
    const boot = await drawn(many);
    const shown = Math.ceil(innerHeight / 58);
    const bootRows = [...document.querySelectorAll('#app tbody tr')];
    expect(boot).toContain('class="windowed"');
    expect(boot).toContain('+2 more');
    expect(bootRows.length).toBe(shown + 1);
    document.body.innerHTML = '';
    const app = rendered(many);
    const appRows = [...document.querySelectorAll('tbody tr')];
    // The same page around the list, the same first rows, the same height.
    const outside = (s: string) => s.replace(/<tbody>[\s\S]*<\/tbody>/, '');
    expect(outside(boot)).toBe(outside(app));
    expect(bootRows.slice(0, shown).map((r) => r.outerHTML.slice(0, 30) + shape(r))).toEqual(appRows.slice(0, shown).map((r) => r.outerHTML.slice(0, 30) + shape(r)));
    const height = (rows: Element[]) => rows.reduce((h, r) => h + (parseInt((r as HTMLElement).style.height) || 58), 0);
    expect(height(bootRows)).toBe(height(appRows));
  });

  it('draws an empty list, and in the dark theme', async () => {
    localStorage.setItem('wharf.theme', 'dark');
    const boot = await drawn([]);
    expect(boot).toContain('No containers.');
    expect(boot).toBe(rendered([]));
  });

  it('draws nothing for a failed login, nor once the app has mounted', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"message":"used"}', { status: 401 })));
    history.replaceState(null, '', '/#login=ff');
    document.body.innerHTML = '<div id="app"></div>';
    new Function(boot)();
    expect(await (window as { wharfEarly?: Early }).wharfEarly!.shown).toBe(false);
    expect(document.getElementById('app')!.childNodes.length).toBe(0);

    vi.stubGlobal('fetch', vi.fn(async () => answer({ Session: 's1', Containers: some })));
    history.replaceState(null, '', '/#login=ab12');
    new Function(boot)();
    document.getElementById('app')!.innerHTML = '<p>the app</p>';
    expect(await (window as { wharfEarly?: Early }).wharfEarly!.shown).toBe(false);
    expect(document.getElementById('app')!.innerHTML).toBe('<p>the app</p>');
  });
});
