import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { firstView, pending } from './lib/first';

// The first view's data (lib/first.ts) is mostly in already: mount once
// it is, so the first render is the list's. A slow daemon gets the page
// after 200 ms anyway, showing "Loading…" until then.
const first = pending(firstView());
Promise.race([first.done, new Promise((r) => setTimeout(r, 200))]).then(() => mount(App, { target: document.getElementById('app')!, props: { first } }));
