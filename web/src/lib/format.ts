// Formatting shared by the views, in the docker CLI's style.
import type { ContainerSummary, Port } from './api';

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function name(c: Pick<ContainerSummary, 'Names' | 'Id'>): string {
  return c.Names?.[0]?.replace(/^\//, '') ?? shortId(c.Id);
}

/** bytes is docker's HumanSize: decimal units, three significant digits. */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${parseFloat(n.toPrecision(3))}${units[i]}`;
}

/** ago is docker's "2 hours ago" for a time in seconds since the epoch. */
export function ago(seconds: number, now = Date.now() / 1000): string {
  const d = Math.max(0, now - seconds);
  const steps: [number, string][] = [[60 * 60 * 24 * 365, 'year'], [60 * 60 * 24 * 30, 'month'], [60 * 60 * 24 * 7, 'week'], [60 * 60 * 24, 'day'], [60 * 60, 'hour'], [60, 'minute']];
  for (const [s, unit] of steps) {
    const n = Math.floor(d / s);
    if (n >= 1) return `${n} ${unit}${n > 1 ? 's' : ''} ago`;
  }
  return d < 1 ? 'Less than a second ago' : `${Math.floor(d)} seconds ago`;
}

/** portText is one published or exposed port as `docker ps` prints it. */
export function portText(p: Port): string {
  if (!p.PublicPort) return `${p.PrivatePort}/${p.Type}`;
  return `${p.IP ?? '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`;
}

/** portLink is where a published TCP port opens in the browser, from this page's host. */
export function portLink(p: Port, host = location.hostname): string | undefined {
  if (!p.PublicPort || p.Type !== 'tcp') return undefined;
  const ip = !p.IP || p.IP === '0.0.0.0' || p.IP === '::' ? host : p.IP;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${p.PublicPort}/`;
}

/** uniquePorts drops the IPv6 twin docker lists beside each IPv4 binding, and sorts. */
export function uniquePorts(ports: Port[]): Port[] {
  const seen = new Set<string>();
  return [...ports]
    .sort((a, b) => a.PrivatePort - b.PrivatePort || (a.PublicPort ?? 0) - (b.PublicPort ?? 0))
    .filter((p) => {
      const k = `${p.PrivatePort}/${p.Type}/${p.PublicPort ?? ''}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

export const projectLabel = 'com.docker.compose.project';
export const serviceLabel = 'com.docker.compose.service';

/**
 * byName orders names as the lists show them: case-insensitively, by
 * code point. Not localeCompare: a fresh page's collator makes sorting
 * 500 names cost ~100 ms of the first load (index.html's boot script
 * sorts the same way).
 */
export function byName(a: string, b: string): number {
  return order({ n: a, k: a.toLowerCase() }, { n: b, k: b.toLowerCase() });
}

type Keyed = { n: string; k: string }; // a name and its lower case
const order = (a: Keyed, b: Keyed) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.n < b.n ? -1 : a.n > b.n ? 1 : 0);

/** groupByProject groups containers by compose project; "" holds the rest. Sorted by name (byName, each name lower-cased once). */
export function groupByProject(cs: ContainerSummary[]): [string, ContainerSummary[]][] {
  const groups = new Map<string, ContainerSummary[]>();
  const named = cs.map((c) => ({ c, n: name(c), k: name(c).toLowerCase() })).sort(order);
  for (const { c } of named) {
    const p = c.Labels?.[projectLabel] ?? '';
    if (!groups.has(p)) groups.set(p, []);
    groups.get(p)!.push(c);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : byName(a, b)));
}
