// The one client of the Engine API. Every call goes to /api/ on the
// dashboard's own origin, which wharfd hands in-process to the same
// handler the docker CLI talks to, with the session as a bearer token.
import { withEarly } from './early';

export interface Port {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Ports: Port[];
  Labels: Record<string, string>;
  Mounts?: { Type: string; Name?: string; Source: string; Destination: string }[];
  NetworkSettings?: { Networks?: Record<string, { NetworkID?: string }> | null };
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  State: { Status: string; Running: boolean; Paused: boolean; ExitCode: number; StartedAt: string; FinishedAt: string; Pid: number };
  Image: string;
  Config: { Image: string; Env: string[] | null; Cmd: string[] | null; Tty: boolean; Labels: Record<string, string> | null };
  HostConfig: { RestartPolicy?: { Name: string }; PortBindings?: Record<string, { HostIp: string; HostPort: string }[]> | null };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
  NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> | null };
}

export interface StatsSample {
  read: string;
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

/** cpuPercent is the docker CLI's CPU % of a stats sample. */
export function cpuPercent(s: StatsSample): number {
  const cpu = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sys = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  if (cpu <= 0 || sys <= 0) return 0;
  return (cpu / sys) * (s.cpu_stats.online_cpus || 1) * 100;
}

/** memUsage is the docker CLI's memory usage: usage less the inactive file cache. */
export function memUsage(s: StatsSample): number {
  const m = s.memory_stats;
  const cache = m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? 0;
  return Math.max(0, (m.usage ?? 0) - cache);
}

export interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  Containers: number;
}

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
}

export interface Network {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Internal: boolean;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null };
  Labels: Record<string, string> | null;
}

export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
}

export interface PullProgress {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message: string };
}

/** One object type's totals in /system/df (API 1.52+). */
export interface UsageTotals {
  ActiveCount?: number;
  TotalCount?: number;
  TotalSize?: number;
  Reclaimable?: number;
}

export interface DiskUsage {
  ImageUsage?: UsageTotals;
  ContainerUsage?: UsageTotals;
  VolumeUsage?: UsageTotals;
  BuildCacheUsage?: UsageTotals;
}

/** The parts of GET /info the System view shows. */
export interface EngineInfo {
  Name?: string;
  ServerVersion?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  Driver?: string;
  CgroupVersion?: string;
  KernelVersion?: string;
  OperatingSystem?: string;
  NCPU?: number;
  MemTotal?: number;
  DockerRootDir?: string;
  DefaultRuntime?: string;
  Swarm?: SwarmInfo;
}

export interface CreateContainerRequest {
  Image: string;
  Cmd?: string[];
  Env?: string[];
  Tty?: boolean;
  OpenStdin?: boolean;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, object>;
  HostConfig?: {
    PortBindings?: Record<string, { HostIp?: string; HostPort: string }[]>;
    Binds?: string[];
    RestartPolicy?: { Name: string };
    AutoRemove?: boolean;
  };
}

/** One message of a streamed compose run (the build stream's shape). */
export interface StreamMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message: string };
}

/** POST /images/build (the dashboard's): a context directory on the daemon's host. */
export interface BuildRequest {
  Path: string;
  Dockerfile?: string;
  Tag?: string;
  NoCache?: boolean;
  Pull?: boolean;
}

/** One name in a volume's directory (GET /volumes/{name}/files). */
export interface VolumeEntry {
  Name: string;
  Type: 'file' | 'dir' | 'symlink' | 'other';
  Size: number;
  Mode: string;
  ModTime: string;
  Target?: string;
}

export interface VolumeListing {
  Path: string;
  Entries: VolumeEntry[];
  Truncated?: boolean;
}

export interface SwarmInfo {
  LocalNodeState: string;
  ControlAvailable: boolean;
  NodeID?: string;
}

export interface SwarmNode {
  ID: string;
  Description: { Hostname: string; Engine?: { EngineVersion?: string } };
  Spec: { Role: string; Availability: string };
  Status: { State: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string };
}

export interface SwarmService {
  ID: string;
  Version: { Index: number };
  Spec: {
    Name: string;
    Mode: { Replicated?: { Replicas?: number }; Global?: object };
    TaskTemplate: { ContainerSpec?: { Image?: string } };
    [k: string]: unknown;
  };
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number };
}

export interface SwarmTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  Status: { State: string; Message?: string; Err?: string; Timestamp?: string };
  DesiredState: string;
}

export type PruneKind = 'images' | 'volumes' | 'networks' | 'containers' | 'build';

/** What a prune answers (each kind fills its own list). */
export interface PruneReport {
  SpaceReclaimed?: number;
  ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null;
  VolumesDeleted?: string[] | null;
  NetworksDeleted?: string[] | null;
  ContainersDeleted?: string[] | null;
  CachesDeleted?: string[] | null;
}

/** An error from the API, with docker's own words as its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Fetch = typeof fetch;

// Requests go out through withEarly: the first view's few were sent by
// index.html before this script loaded, and take those answers.
const pageFetch: Fetch = withEarly((...a) => fetch(...a));

export class Api {
  constructor(
    private session: string,
    private fetchImpl: Fetch = pageFetch,
    private base = '/api',
  ) {}

  /** dash is where the dashboard's own routes (compose, volume files) sit: beside /api. */
  private get dash(): string {
    return this.base.replace(/\/api$/, '');
  }

  private headers(json: boolean): HeadersInit {
    const h: Record<string, string> = { Authorization: `Bearer ${this.session}` };
    if (json) h['Content-Type'] = 'application/json';
    return h;
  }

  /** raw makes a request and throws docker's error message on failure. */
  async raw(method: string, path: string, body?: unknown, signal?: AbortSignal, base = this.base): Promise<Response> {
    const res = await this.fetchImpl(base + path, {
      method,
      headers: this.headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, body);
    if (res.status === 204 || res.status === 304) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // Containers
  containers(all = true): Promise<ContainerSummary[]> {
    return this.json('GET', `/containers/json?all=${all ? 1 : 0}`);
  }
  containersById(ids: string[]): Promise<ContainerSummary[]> {
    return this.json('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ id: ids }))}`);
  }
  /** inspectAny is what `docker inspect` shows for one object, as JSON. */
  inspectAny(kind: 'image' | 'volume' | 'network', id: string): Promise<Record<string, unknown>> {
    const path = { image: `/images/${enc(id)}/json`, volume: `/volumes/${enc(id)}`, network: `/networks/${enc(id)}` }[kind];
    return this.json('GET', path);
  }
  inspect(id: string): Promise<ContainerInspect> {
    return this.json('GET', `/containers/${enc(id)}/json`);
  }
  start(id: string) {
    return this.json<void>('POST', `/containers/${enc(id)}/start`);
  }
  stop(id: string) {
    return this.json<void>('POST', `/containers/${enc(id)}/stop`);
  }
  restart(id: string) {
    return this.json<void>('POST', `/containers/${enc(id)}/restart`);
  }
  pause(id: string) {
    return this.json<void>('POST', `/containers/${enc(id)}/pause`);
  }
  unpause(id: string) {
    return this.json<void>('POST', `/containers/${enc(id)}/unpause`);
  }
  remove(id: string, force = false) {
    return this.json<void>('DELETE', `/containers/${enc(id)}?force=${force ? 1 : 0}&v=0`);
  }
  create(req: CreateContainerRequest, name?: string): Promise<{ Id: string; Warnings: string[] }> {
    const q = name ? `?name=${encodeURIComponent(name)}` : '';
    return this.json('POST', `/containers/create${q}`, req);
  }
  /** stats streams a running container's stats, one sample a second. */
  async stats(id: string, onStats: (s: StatsSample) => void, signal?: AbortSignal) {
    const res = await this.raw('GET', `/containers/${enc(id)}/stats?stream=1`, undefined, signal);
    await readJSONLines<StatsSample>(res, onStats);
  }
  top(id: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return this.json('GET', `/containers/${enc(id)}/top`);
  }

  /** logs streams a container's output, chunk by chunk, as text. */
  async logs(id: string, tty: boolean, opts: { follow: boolean; tail?: string; timestamps?: boolean }, onText: (s: string, stream: 'stdout' | 'stderr') => void, signal?: AbortSignal) {
    const q = `stdout=1&stderr=1&follow=${opts.follow ? 1 : 0}&tail=${opts.tail ?? 'all'}&timestamps=${opts.timestamps ? 1 : 0}`;
    const res = await this.raw('GET', `/containers/${enc(id)}/logs?${q}`, undefined, signal);
    const decoder = new TextDecoder();
    if (tty) {
      for await (const chunk of chunks(res)) onText(decoder.decode(chunk, { stream: true }), 'stdout');
      return;
    }
    const demux = new Demuxer((stream, data) => onText(new TextDecoder().decode(data), stream === 2 ? 'stderr' : 'stdout'));
    for await (const chunk of chunks(res)) demux.push(chunk);
  }

  /** events streams the engine's events until signal aborts. */
  async events(onEvent: (e: EngineEvent) => void, signal?: AbortSignal, since?: number) {
    const q = since ? `?since=${since}` : '';
    const res = await this.raw('GET', `/events${q}`, undefined, signal);
    await readJSONLines<EngineEvent>(res, onEvent);
  }

  // Exec with a TTY, over the dashboard's websocket.
  async execCreate(id: string, cmd: string[]): Promise<string> {
    const r = await this.json<{ Id: string }>('POST', `/containers/${enc(id)}/exec`, {
      AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Cmd: cmd,
    });
    return r.Id;
  }
  execResize(execId: string, rows: number, cols: number) {
    return this.json<void>('POST', `/exec/${enc(execId)}/resize?h=${rows}&w=${cols}`);
  }
  /** execSocket opens the terminal stream of a created exec. */
  execSocket(execId: string, loc: { protocol: string; host: string } = location): WebSocket {
    const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${loc.host}/ws/exec/${enc(execId)}`, ['wharf.exec', `wharf.session.${this.session}`]);
    ws.binaryType = 'arraybuffer';
    return ws;
  }

  // Images
  images(): Promise<ImageSummary[]> {
    return this.json('GET', '/images/json');
  }
  removeImage(id: string, force = false): Promise<unknown[]> {
    return this.json('DELETE', `/images/${enc(id)}?force=${force ? 1 : 0}`);
  }
  history(id: string): Promise<{ Id: string; Created: number; CreatedBy: string; Size: number; Tags: string[] | null }[]> {
    return this.json('GET', `/images/${enc(id)}/history`);
  }
  tag(id: string, ref: string) {
    const { name, tag } = splitRef(ref);
    return this.json<void>('POST', `/images/${enc(id)}/tag?repo=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}`);
  }
  /** prune removes what nothing uses: dangling images (or all unused with all), volumes, networks. */
  prune(kind: PruneKind, all = false): Promise<PruneReport> {
    const filters = kind === 'images' ? { dangling: [all ? 'false' : 'true'] } : kind === 'volumes' && all ? { all: ['true'] } : {};
    const path = kind === 'build' ? '/build/prune' : `/${kind}/prune`;
    return this.json('POST', `${path}?filters=${encodeURIComponent(JSON.stringify(filters))}`);
  }
  /** pull streams the pull's progress messages; a message with an error throws. */
  async pull(ref: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal) {
    const { name, tag } = splitRef(ref);
    const res = await this.raw('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}`, undefined, signal);
    await readJSONLines<PullProgress>(res, (p) => {
      if (p.error) throw new ApiError(500, p.errorDetail?.message ?? p.error);
      onProgress(p);
    });
  }

  /** push is `docker push`: streams per-layer progress; a message with an error throws. */
  async push(ref: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal) {
    const { name, tag } = splitRef(ref);
    // The API wants credentials; none is an empty object (the docker CLI's
    // own for a registry it has no login for).
    const res = await this.fetchImpl(`${this.base}/images/${enc(name)}/push?tag=${encodeURIComponent(tag)}`, {
      method: 'POST',
      headers: { ...this.headers(false), 'X-Registry-Auth': btoa('{}') },
      signal,
    });
    if (!res.ok) throw await errorOf(res);
    await readJSONLines<PullProgress>(res, (p) => {
      if (p.error) throw new ApiError(500, p.errorDetail?.message ?? p.error);
      onProgress(p);
    });
  }

  /** build is `docker build DIR` for a directory on the daemon's host: the build's output streams. */
  async build(req: BuildRequest, onText: (s: string) => void, signal?: AbortSignal): Promise<string> {
    const res = await this.raw('POST', '/images/build', req, signal, this.dash);
    let id = '';
    await readJSONLines<StreamMessage & { aux?: { ID?: string } }>(res, (m) => {
      if (m.error) throw new ApiError(500, m.errorDetail?.message ?? m.error);
      if (m.stream) onText(m.stream);
      if (m.aux?.ID) id = m.aux.ID;
    });
    return id;
  }

  /** loadImage is `docker load`: an image archive (docker save's tar, maybe compressed) uploaded as it is. */
  async loadImage(archive: Blob, onText: (s: string) => void, signal?: AbortSignal) {
    const res = await this.fetchImpl(`${this.base}/images/load`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.session}`, 'Content-Type': 'application/x-tar' },
      body: archive,
      signal,
    });
    if (!res.ok) throw await errorOf(res);
    await readJSONLines<StreamMessage>(res, (m) => {
      if (m.error) throw new ApiError(500, m.errorDetail?.message ?? m.error);
      if (m.stream) onText(m.stream);
    });
  }

  // Volumes and networks
  async volumes(): Promise<Volume[]> {
    const r = await this.json<{ Volumes: Volume[] | null }>('GET', '/volumes');
    return r.Volumes ?? [];
  }
  createVolume(name: string, labels: Record<string, string> = {}): Promise<Volume> {
    return this.json('POST', '/volumes/create', { Name: name, Labels: labels });
  }
  removeVolume(name: string) {
    return this.json<void>('DELETE', `/volumes/${enc(name)}`);
  }
  networks(): Promise<Network[]> {
    return this.json('GET', '/networks');
  }
  createNetwork(name: string, subnet?: string): Promise<{ Id: string }> {
    const body: Record<string, unknown> = { Name: name, Driver: 'bridge' };
    if (subnet) body.IPAM = { Config: [{ Subnet: subnet }] };
    return this.json('POST', '/networks/create', body);
  }
  removeNetwork(id: string) {
    return this.json<void>('DELETE', `/networks/${enc(id)}`);
  }

  /** volumeFiles lists a directory of a volume, read-only. */
  async volumeFiles(name: string, path: string): Promise<VolumeListing> {
    const res = await this.raw('GET', `/volumes/${enc(name)}/files?path=${encodeURIComponent(path)}`, undefined, undefined, this.dash);
    return (await res.json()) as VolumeListing;
  }
  /** volumeDownload fetches one file of a volume (the session is a header, so no plain link). */
  async volumeDownload(name: string, path: string): Promise<Blob> {
    const res = await this.raw('GET', `/volumes/${enc(name)}/download?path=${encodeURIComponent(path)}`, undefined, undefined, this.dash);
    return res.blob();
  }

  // Compose: up and down run docker compose in the daemon; output streams.
  composeUp(project: string, file: string, dir: string, onText: (s: string) => void, signal?: AbortSignal) {
    return this.composeRun('up', { Project: project, File: file, Dir: dir }, onText, signal);
  }
  composeDown(project: string, volumes: boolean, onText: (s: string) => void, signal?: AbortSignal) {
    return this.composeRun('down', { Project: project, Volumes: volumes }, onText, signal);
  }
  private async composeRun(op: string, body: object, onText: (s: string) => void, signal?: AbortSignal) {
    const res = await this.raw('POST', `/compose/${op}`, body, signal, this.dash);
    await readJSONLines<StreamMessage>(res, (m) => {
      if (m.error) throw new ApiError(500, m.errorDetail?.message ?? m.error);
      if (m.stream) onText(m.stream);
    });
  }

  // Swarm (when this daemon is a manager)
  async swarm(): Promise<SwarmInfo | undefined> {
    const info = await this.json<{ Swarm?: SwarmInfo }>('GET', '/info');
    return info.Swarm;
  }
  nodes(): Promise<SwarmNode[]> {
    return this.json('GET', '/nodes');
  }
  services(): Promise<SwarmService[]> {
    return this.json('GET', '/services?status=true');
  }
  tasks(): Promise<SwarmTask[]> {
    return this.json('GET', '/tasks');
  }
  /** scale sets a replicated service's replica count, as `docker service scale` does. */
  scale(svc: SwarmService, replicas: number) {
    const spec = { ...svc.Spec, Mode: { Replicated: { Replicas: replicas } } };
    return this.json<unknown>('POST', `/services/${enc(svc.ID)}/update?version=${svc.Version.Index}`, spec);
  }

  // System
  version(): Promise<{ Version: string; ApiVersion: string; Os: string; Arch: string }> {
    return this.json('GET', '/version');
  }
  /** info is `docker info`'s data (GET /info). */
  info(): Promise<EngineInfo> {
    return this.json('GET', '/info');
  }
  df(): Promise<DiskUsage> {
    return this.json('GET', '/system/df');
  }
}

function enc(s: string) {
  return encodeURIComponent(s);
}

/** errorOf reads docker's {"message": ...} from a failed response. */
export async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const m = JSON.parse(text)?.message;
    if (typeof m === 'string' && m) return new ApiError(res.status, m);
  } catch {
    /* not JSON: the body is the message */
  }
  return new ApiError(res.status, text.trim() || `${res.status} ${res.statusText}`);
}

/** splitRef splits an image reference into name and tag, as the docker CLI does for pulls. */
export function splitRef(ref: string): { name: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref, tag: 'latest' };
}

async function* chunks(res: Response): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** readJSONLines calls onValue for each JSON value of a newline-delimited stream. */
export async function readJSONLines<T>(res: Response, onValue: (v: T) => void) {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of chunks(res)) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) onValue(JSON.parse(line) as T);
    }
  }
  if (buf.trim()) onValue(JSON.parse(buf) as T);
}

/**
 * Demuxer splits docker's multiplexed stream (an 8-byte header: stream,
 * three zero bytes, big-endian length; then the payload) as chunks of
 * any size arrive.
 */
export class Demuxer {
  private buf = new Uint8Array(0);
  constructor(private onFrame: (stream: number, data: Uint8Array) => void) {}

  push(chunk: Uint8Array) {
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf);
    merged.set(chunk, this.buf.length);
    let off = 0;
    while (merged.length - off >= 8) {
      const size = new DataView(merged.buffer, merged.byteOffset + off + 4, 4).getUint32(0);
      if (merged.length - off - 8 < size) break;
      this.onFrame(merged[off], merged.subarray(off + 8, off + 8 + size));
      off += 8 + size;
    }
    this.buf = merged.slice(off);
  }
}

/** What a login answers: the session, and the container list if asked for. */
export interface LoginAnswer {
  Session: string;
  Containers?: ContainerSummary[];
}

/**
 * login trades a one-time login token (from `wharf dashboard`) for a
 * session; withList asks for the container list in the same answer (the
 * first view's, without a second request).
 */
export async function login(token: string, fetchImpl: Fetch = pageFetch, withList = false): Promise<LoginAnswer> {
  const res = await fetchImpl('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    // The same text index.html's boot script sends (early.ts matches it).
    body: JSON.stringify(withList ? { Login: token, With: 'containers' } : { Login: token }),
  });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as LoginAnswer;
}
