/**
 * `pilot sweep k8s`: the Kubernetes objects that run a sweep on a cluster. Plain objects (checked in
 * the tests against the Kubernetes schemas), written as YAML documents:
 *
 * - a ConfigMap with the sweep file;
 * - a PersistentVolumeClaim for the results (ReadWriteMany: every pod writes), unless one is named;
 * - an Indexed Job: pod i runs `pilot sweep run --shard i --shards N`. A transient failure (OOM kill,
 *   a lost node) retries that index alone (backoffLimitPerIndex); a deterministic one (exit 2: bad
 *   arguments, 42: bad sweep or failed items) fails the index at once (podFailurePolicy FailIndex),
 *   and a disruption (preemption, drain) does not count as a failure;
 * - a merge Job that waits for every shard's marker in the results volume, then writes the report.
 */
import { stringify } from 'yaml';
import type { Sweep } from './sweep-file.js';

/** `pilot sweep run`'s exit status for a failure that a retry would repeat. */
export const EXIT_DETERMINISTIC = 42;
const GPU_PROVIDERS = new Set(['cuda', 'tensorrt', 'webgpu']);
const SWEEP_DIR = '/etc/pilot-sweep';
const RESULTS_DIR = '/results';
/** The image's user (node:20 images: node, uid 1000): the results volume is made writable for its group. */
const RUN_AS_GROUP = 1000;

export interface K8sOptions {
  readonly sweep: Sweep;
  /** The sweep file's text (goes into the ConfigMap as it is). */
  readonly sweepText: string;
  readonly image: string;
  readonly shards: number;
  readonly parallelism: number;
  /** Worker processes per pod (`--jobs`). */
  readonly jobs: number;
  readonly cpu: string;
  readonly memory: string;
  readonly namespace?: string;
  /** An existing ReadWriteMany claim for the results; else one is emitted with `resultsSize`. */
  readonly resultsClaim?: string;
  readonly resultsSize: string;
  readonly storageClass?: string;
  /** Read-only claims for bags and models: claim name and mount path. */
  readonly mounts: readonly { readonly claim: string; readonly path: string }[];
  readonly backoffLimitPerIndex: number;
  readonly maxFailedIndexes: number;
  /** How long the merge Job waits for the shards. */
  readonly mergeWaitS: number;
}

type Obj = Record<string, unknown>;

/** Whether the sweep's execution providers need a GPU in each pod. */
export function wantsGpu(sweep: Sweep): boolean {
  return (sweep.providers ?? []).some((p) => GPU_PROVIDERS.has(p));
}

export function sweepManifests(o: K8sOptions): Obj[] {
  const base = `pilot-sweep-${o.sweep.name}`;
  const claim = o.resultsClaim ?? `${base}-results`;
  const meta = (name: string): Obj => ({ name, ...(o.namespace ? { namespace: o.namespace } : {}), labels: { 'app.kubernetes.io/name': 'pilot-sweep', 'pilot/sweep': o.sweep.name } });
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(base), data: { 'sweep.yaml': o.sweepText } };
  const pvc = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(claim),
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: o.resultsSize } }, ...(o.storageClass ? { storageClassName: o.storageClass } : {}) },
  };
  const volumes = [
    { name: 'sweep', configMap: { name: base } },
    { name: 'results', persistentVolumeClaim: { claimName: claim } },
    ...o.mounts.map((m, i) => ({ name: `data-${i}`, persistentVolumeClaim: { claimName: m.claim, readOnly: true } })),
  ];
  const mounts = [
    { name: 'sweep', mountPath: SWEEP_DIR, readOnly: true },
    { name: 'results', mountPath: RESULTS_DIR },
    ...o.mounts.map((m, i) => ({ name: `data-${i}`, mountPath: m.path, readOnly: true })),
  ];
  return [configMap, ...(o.resultsClaim ? [] : [pvc]), shardJob(o, meta(base), volumes, mounts), mergeJob(o, meta(`${base}-merge`), volumes[1]!)];
}

function shardJob(o: K8sOptions, metadata: Obj, volumes: Obj[], mounts: Obj[]): Obj {
  const limits: Obj = { memory: o.memory, ...(wantsGpu(o.sweep) ? { 'nvidia.com/gpu': 1 } : {}) };
  const container = {
    name: 'sweep',
    image: o.image,
    command: ['node', 'bin/pilot.js'],
    args: ['sweep', 'run', `${SWEEP_DIR}/sweep.yaml`, '--shard', '$(JOB_COMPLETION_INDEX)', '--shards', String(o.shards), '--out', RESULTS_DIR, '--jobs', String(o.jobs)],
    resources: { requests: { cpu: o.cpu, memory: o.memory }, limits },
    volumeMounts: mounts,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata,
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: o.parallelism,
      backoffLimitPerIndex: o.backoffLimitPerIndex,
      maxFailedIndexes: o.maxFailedIndexes,
      podFailurePolicy: {
        rules: [
          { action: 'FailIndex', onExitCodes: { containerName: 'sweep', operator: 'In', values: [2, EXIT_DETERMINISTIC] } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'pilot-sweep', 'pilot/sweep': o.sweep.name, 'pilot/role': 'shard' } },
        spec: { restartPolicy: 'Never', securityContext: { fsGroup: RUN_AS_GROUP }, containers: [container], volumes },
      },
    },
  };
}

function mergeJob(o: K8sOptions, metadata: Obj, results: Obj): Obj {
  const container = {
    name: 'merge',
    image: o.image,
    command: ['node', 'bin/pilot.js'],
    args: ['sweep', 'merge', RESULTS_DIR, '--json', `${RESULTS_DIR}/report.json`, '--html', `${RESULTS_DIR}/report.html`, '--timing', `${RESULTS_DIR}/timing.json`, '--wait-s', String(o.mergeWaitS), '--shards', String(o.shards)],
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
    volumeMounts: [{ name: 'results', mountPath: RESULTS_DIR }],
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata,
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: o.mergeWaitS + 3600,
      // 1: a group below its pass rate, 2: bad arguments, 3: incomplete: a rerun says the same.
      podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'merge', operator: 'In', values: [1, 2, 3] } }] },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'pilot-sweep', 'pilot/sweep': o.sweep.name, 'pilot/role': 'merge' } },
        spec: { restartPolicy: 'Never', securityContext: { fsGroup: RUN_AS_GROUP }, containers: [container], volumes: [results] },
      },
    },
  };
}

/** The objects as one YAML stream (documents separated by `---`). */
export function manifestYaml(objects: readonly Obj[]): string {
  return objects.map((obj) => stringify(obj, { lineWidth: 0 })).join('---\n');
}

/** Paths the sweep reads outside the image that no read-only mount covers (the pods would not see them). */
export function unmountedPaths(sweep: Sweep, mounts: K8sOptions['mounts']): string[] {
  const paths = [...sweep.bags.paths, ...(sweep.bags.prefix ? [sweep.bags.prefix] : []), ...sweep.models.flatMap((m) => (m.path ? [m.path] : []))];
  const covered = (p: string): boolean => mounts.some((m) => p === m.path || p.startsWith(`${m.path.replace(/\/+$/, '')}/`));
  return paths.filter((p) => p.startsWith('/') && !covered(p));
}
