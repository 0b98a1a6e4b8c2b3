// One events stream for the whole page: every view that shows live state
// listens here, and the System view shows the latest as a feed.
import type { Api, EngineEvent } from './api';

export type Listener = (e: EngineEvent) => void;

export class EventHub {
  feed = $state.raw<EngineEvent[]>([]); // replaced on each event, never changed in place
  connected = $state(false);
  private listeners = new Set<Listener>();

  constructor(
    private api: Api,
    private keep = 200,
  ) {}

  /** on adds a listener and returns its removal (for $effect cleanup). */
  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit(e: EngineEvent) {
    this.feed = [e, ...this.feed.slice(0, this.keep - 1)];
    for (const l of this.listeners) l(e);
  }

  /** run follows /events from since (s since the epoch) until signal aborts, reconnecting after a drop; onGap runs after each reconnect. */
  async run(signal: AbortSignal, onGap: () => void, since = Math.floor(Date.now() / 1000)) {
    while (!signal.aborted) {
      try {
        this.connected = true;
        await this.api.events((e) => {
          since = e.time;
          this.emit(e);
        }, signal, since);
      } catch {
        /* dropped: retry below */
      }
      this.connected = false;
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, 1000));
      if (signal.aborted) return; // the page left while waiting
      onGap();
    }
  }
}
