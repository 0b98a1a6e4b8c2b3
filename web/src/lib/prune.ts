// Prune previews: what a prune would remove, worked out from the lists
// the page already has, by the daemon's own rules (the Engine API has no
// dry run). The page shows the preview, the user confirms, and the
// prune's own report then says what went.
import type { ContainerSummary, ImageSummary, Network, PruneReport, Volume } from './api';
import { bytes, name, shortId } from './format';

export interface PreviewItem {
  kind: 'container' | 'image' | 'volume' | 'network';
  id: string;
  label: string;
  size?: number;
}

/** What a preview panel shows: lists by kind, and a note for what has no list (the build cache). */
export interface Preview {
  sections: { title: string; items: PreviewItem[] }[];
  note?: string;
}

/** reportText says what prunes removed, in the docker CLI's terms. */
export function reportText(reports: PruneReport[]): string {
  const n = (k: keyof PruneReport) => reports.reduce((sum, r) => sum + ((r[k] as unknown[] | null | undefined)?.length ?? 0), 0);
  const images = reports.reduce((sum, r) => sum + (r.ImagesDeleted ?? []).filter((d) => d.Deleted).length, 0);
  const parts = [
    [n('ContainersDeleted'), 'container'],
    [images, 'image'],
    [n('VolumesDeleted'), 'volume'],
    [n('NetworksDeleted'), 'network'],
    [n('CachesDeleted'), 'build cache object'],
  ]
    .filter(([k]) => k)
    .map(([k, what]) => `${k} ${what}${k === 1 ? '' : 's'}`);
  const space = reports.reduce((sum, r) => sum + (r.SpaceReclaimed ?? 0), 0);
  return `${parts.length ? 'Deleted ' + parts.join(', ') : 'Nothing deleted'}. Total reclaimed space: ${bytes(space)}`;
}

/** Paused and restarting containers count as running: prune keeps them. */
const running = (c: ContainerSummary) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting';

/** containers: every container that is not running (`docker container prune`). */
export function containersPreview(cs: ContainerSummary[]): PreviewItem[] {
  return cs.filter((c) => !running(c)).map((c) => ({ kind: 'container', id: c.Id, label: name(c) }));
}

export const danglingImage = (i: ImageSummary) => !(i.RepoTags ?? []).some((t) => t !== '<none>:<none>');

/** images: those no container uses, untagged ones only unless all (`docker image prune [-a]`). */
export function imagesPreview(images: ImageSummary[], cs: ContainerSummary[], all: boolean): PreviewItem[] {
  const used = new Set(cs.map((c) => c.ImageID));
  return images
    .filter((i) => !used.has(i.Id) && (all || danglingImage(i)))
    .map((i) => ({ kind: 'image', id: i.Id, label: danglingImage(i) ? `<none> ${shortId(i.Id)}` : (i.RepoTags ?? []).join(', '), size: i.Size }));
}

export const anonymousLabel = 'com.docker.volume.anonymous';

/** volumes: those no container mounts, anonymous ones only unless all (`docker volume prune [-a]`). */
export function volumesPreview(volumes: Volume[], cs: ContainerSummary[], all: boolean): PreviewItem[] {
  const used = new Set(cs.flatMap((c) => (c.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name!)));
  return volumes
    .filter((v) => !used.has(v.Name) && (all || anonymousLabel in (v.Labels ?? {})))
    .map((v) => ({ kind: 'volume', id: v.Name, label: v.Name }));
}

/** The networks prune never removes: the predefined ones. */
export const predefinedNetworks = new Set(['bridge', 'host', 'none']);

/** networks: local user-defined networks that no running container is on (`docker network prune`). */
export function networksPreview(networks: Network[], cs: ContainerSummary[]): PreviewItem[] {
  const used = new Set<string>();
  for (const c of cs.filter(running)) {
    for (const [netName, ep] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
      used.add(netName);
      if (ep.NetworkID) used.add(ep.NetworkID);
    }
  }
  return networks
    .filter((n) => n.Scope === 'local' && !predefinedNetworks.has(n.Name) && !used.has(n.Name) && !used.has(n.Id))
    .map((n) => ({ kind: 'network', id: n.Id, label: n.Name }));
}

export interface SystemPreview {
  containers: PreviewItem[];
  networks: PreviewItem[];
  volumes: PreviewItem[];
  images: PreviewItem[];
  buildCache: number; // bytes of build cache that would go
}

/**
 * systemPreview is `docker system prune [-a] [--volumes]`: stopped
 * containers first, then what nothing left uses: networks, volumes (when
 * asked), images, and the build cache, in the docker CLI's order.
 */
export function systemPreview(
  lists: { containers: ContainerSummary[]; images: ImageSummary[]; volumes: Volume[]; networks: Network[]; buildCache: number },
  opts: { all: boolean; volumes: boolean },
): SystemPreview {
  const containers = containersPreview(lists.containers);
  const gone = new Set(containers.map((c) => c.id));
  const left = lists.containers.filter((c) => !gone.has(c.Id));
  return {
    containers,
    networks: networksPreview(lists.networks, left),
    volumes: opts.volumes ? volumesPreview(lists.volumes, left, false) : [],
    images: imagesPreview(lists.images, left, opts.all),
    buildCache: lists.buildCache,
  };
}
