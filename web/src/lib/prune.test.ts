import { describe, expect, it } from 'vitest';
import type { ContainerSummary, ImageSummary, Network, Volume } from './api';
import { containersPreview, imagesPreview, networksPreview, reportText, systemPreview, volumesPreview } from './prune';

const c = (name: string, State: string, more: Partial<ContainerSummary> = {}): ContainerSummary => ({
  Id: 'id-' + name, Names: ['/' + name], Image: 'busybox', ImageID: 'sha256:busy', Command: 'sh', Created: 0, State, Status: '', Ports: [], Labels: {}, ...more,
});
const img = (Id: string, RepoTags: string[] | null, Size = 100): ImageSummary => ({ Id, RepoTags, RepoDigests: null, Created: 0, Size, Containers: -1 });
const vol = (Name: string, labels: Record<string, string> = {}): Volume => ({ Name, Driver: 'local', Mountpoint: '/v/' + Name, Labels: labels });
const net = (Name: string, Scope = 'local'): Network => ({ Id: 'net-' + Name, Name, Driver: 'bridge', Scope, Internal: false, Labels: {} });
const labels = (items: { label: string }[]) => items.map((i) => i.label);

describe('prune previews follow the daemon’s rules', () => {
  it('containers: every one not running; paused and restarting count as running', () => {
    const cs = [c('up', 'running'), c('held', 'paused'), c('looping', 'restarting'), c('done', 'exited'), c('new', 'created'), c('dead', 'dead')];
    expect(labels(containersPreview(cs))).toEqual(['done', 'new', 'dead']);
  });

  it('images: untagged and unused, or every unused with -a', () => {
    const images = [img('sha256:busy', ['busybox:latest']), img('sha256:old', ['<none>:<none>']), img('sha256:bare', null, 5), img('sha256:app', ['app:1', 'app:latest'])];
    const cs = [c('a', 'exited', { ImageID: 'sha256:bare' }), c('b', 'running')];
    expect(labels(imagesPreview(images, cs, false))).toEqual(['<none> old']);
    expect(labels(imagesPreview(images, cs, true))).toEqual(['<none> old', 'app:1, app:latest']);
  });

  it('volumes: anonymous and unused (a stopped container still uses its volumes), or every unused with -a', () => {
    const anon = { 'com.docker.volume.anonymous': '' };
    const volumes = [vol('named'), vol('a1', anon), vol('a2', anon), vol('kept')];
    const cs = [c('x', 'exited', { Mounts: [{ Type: 'volume', Name: 'a2', Source: '', Destination: '/d' }, { Type: 'volume', Name: 'kept', Source: '', Destination: '/k' }] })];
    expect(labels(volumesPreview(volumes, cs, false))).toEqual(['a1']);
    expect(labels(volumesPreview(volumes, cs, true))).toEqual(['named', 'a1']);
  });

  it('networks: local user-defined ones no running container is on', () => {
    const networks = [net('bridge'), net('host'), net('none'), net('idle'), net('busy'), net('only-stopped'), net('ingress', 'swarm')];
    const cs = [
      c('r', 'running', { NetworkSettings: { Networks: { busy: { NetworkID: 'net-busy' } } } }),
      c('s', 'exited', { NetworkSettings: { Networks: { 'only-stopped': { NetworkID: 'net-only-stopped' } } } }),
    ];
    expect(labels(networksPreview(networks, cs))).toEqual(['idle', 'only-stopped']);
  });

  it('system: what the stopped containers held goes too, volumes only when asked', () => {
    const anon = { 'com.docker.volume.anonymous': '' };
    const lists = {
      containers: [
        c('old', 'exited', { ImageID: 'sha256:dangling', Mounts: [{ Type: 'volume', Name: 'anon', Source: '', Destination: '/d' }], NetworkSettings: { Networks: { app: {} } } }),
        c('web', 'running'),
      ],
      images: [img('sha256:busy', ['busybox:latest']), img('sha256:dangling', null), img('sha256:tagged', ['x:1'])],
      volumes: [vol('anon', anon), vol('named')],
      networks: [net('bridge'), net('app')],
      buildCache: 1234,
    };
    const p = systemPreview(lists, { all: false, volumes: false });
    expect(labels(p.containers)).toEqual(['old']);
    expect(labels(p.images)).toEqual(['<none> dangling']);
    expect(labels(p.networks)).toEqual(['app']);
    expect(p.volumes).toEqual([]);
    expect(p.buildCache).toBe(1234);
    const all = systemPreview(lists, { all: true, volumes: true });
    expect(labels(all.images)).toEqual(['<none> dangling', 'x:1']);
    expect(labels(all.volumes)).toEqual(['anon']);
  });

  it('reports what went in the docker CLI’s terms', () => {
    expect(reportText([{ ContainersDeleted: ['a', 'b'], SpaceReclaimed: 1500 }, { ImagesDeleted: [{ Untagged: 'x:1' }, { Deleted: 'sha256:1' }], SpaceReclaimed: 500 }])).toBe(
      'Deleted 2 containers, 1 image. Total reclaimed space: 2kB',
    );
    expect(reportText([{ NetworksDeleted: [] }])).toBe('Nothing deleted. Total reclaimed space: 0B');
  });
});
