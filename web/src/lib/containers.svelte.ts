// The live container list: loaded once, then kept current from the
// events stream. Events only mark containers dirty; one list call per
// burst (filtered to those ids) brings them up to date, so a burst of
// events costs one request, not one each, and nothing polls.
import type { Api, ContainerSummary, EngineEvent } from './api';

export class ContainerList {
  // Raw: the list is only ever replaced, never changed in place, and a
  // deep proxy over 500 containers costs the first render ~100 ms of CPU.
  items = $state.raw<ContainerSummary[]>([]);
  error = $state('');
  loaded = $state(false);
  private dirty = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  // Containers destroyed while a list request was out: its answer,
  // taken before the destroy, must not bring them back.
  private destroyed = new Set<string>();
  private inflight = 0;

  constructor(
    private api: Api,
    private delay = 100,
  ) {}

  /** seed takes a list got before the page mounted (lib/first.ts) as if load had got it. */
  seed(items: ContainerSummary[]) {
    this.items = items;
    this.loaded = true;
  }

  async load() {
    try {
      const all = await this.request(() => this.api.containers());
      this.items = all.filter((c) => !this.destroyed.has(c.Id));
      this.error = '';
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.settle();
    }
    this.loaded = true;
  }

  private request<T>(f: () => Promise<T>): Promise<T> {
    this.inflight++;
    return f();
  }

  /** settle ends a request; with none left out, no answer can be stale. */
  private settle() {
    if (--this.inflight === 0) this.destroyed.clear();
  }

  /** apply takes one engine event; container changes are fetched after a short quiet spell. */
  apply(e: EngineEvent) {
    if (e.Type !== 'container') return;
    const id = e.Actor.ID;
    if (e.Action === 'destroy') {
      this.items = this.items.filter((c) => c.Id !== id);
      this.dirty.delete(id);
      if (this.inflight) this.destroyed.add(id);
      return;
    }
    // exec_* and top-like actions change nothing the list shows.
    if (e.Action.startsWith('exec_') || e.Action === 'attach' || e.Action === 'resize') return;
    this.dirty.add(id);
    this.timer ??= setTimeout(() => void this.flush(), this.delay);
  }

  /** flush refreshes the containers that events touched. */
  async flush() {
    this.timer = undefined;
    const ids = [...this.dirty];
    this.dirty.clear();
    if (!ids.length) return;
    try {
      const fresh = (await this.request(() => this.api.containersById(ids))).filter((c) => !this.destroyed.has(c.Id));
      const byId = new Map(fresh.map((c) => [c.Id, c]));
      const kept = this.items.filter((c) => !ids.includes(c.Id) || byId.has(c.Id)).map((c) => byId.get(c.Id) ?? c);
      const known = new Set(kept.map((c) => c.Id));
      this.items = kept.concat(fresh.filter((c) => !known.has(c.Id)));
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.settle();
    }
  }
}
