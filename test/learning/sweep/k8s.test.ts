import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { main } from '../../../src/cli/main.js';
import { EXIT_DETERMINISTIC } from '../../../src/learning/sweep/k8s.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-sweep-k8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture() {
  const err: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation(() => {});
  return err;
}

const SWEEP = `version: 1
name: nightly
models: [expert, models/pilotnet-test.onnx]
drives: { models: [expert], tracks: [lake], seeds: { from: 1, count: 100 } }
bags: { prefix: /data/bags }
`;

/** Emits the manifests with the CLI and builds each document with the Kubernetes model of its kind, validated against the API schema. */
async function emit(sweepText: string, flags: readonly string[]): Promise<{ objects: Record<string, any>[]; err: string[] }> {
  const sweep = join(dir, `s-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(sweep, sweepText);
  const out = join(dir, 'manifest.yaml');
  const err = capture();
  // The bag prefix is listed only when planning: k8s needs the sweep file alone.
  expect(await main(['sweep', 'k8s', sweep, '--out', out, ...flags])).toBe(0);
  const objects = parseAllDocuments(readFileSync(out, 'utf8')).map((d) => d.toJS() as Record<string, any>);
  for (const o of objects) {
    const Model = { Job, ConfigMap, PersistentVolumeClaim }[o.kind as string];
    expect(Model, o.kind).toBeDefined();
    new Model!(o as never).validate();
  }
  return { objects, err };
}

describe('pilot sweep k8s', () => {
  it('emits a ConfigMap, a results claim, an Indexed Job and a merge Job that pass the Kubernetes schemas', async () => {
    const { objects, err } = await emit(SWEEP, ['--image', 'registry.example/pilot-sweep:1', '--shards', '100', '--parallelism', '20', '--jobs', '2', '--mount', 'bags:/data/bags', '--namespace', 'eval']);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/pilot-sweep-nightly', 'PersistentVolumeClaim/pilot-sweep-nightly-results', 'Job/pilot-sweep-nightly', 'Job/pilot-sweep-nightly-merge']);
    const [config, claim, job, merge] = objects as [any, any, any, any];
    expect(config.data['sweep.yaml']).toBe(SWEEP);
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    expect(job.metadata.namespace).toBe('eval');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 100, parallelism: 20, backoffLimitPerIndex: 2, maxFailedIndexes: 100 });
    expect(job.spec.podFailurePolicy.rules).toEqual([
      { action: 'FailIndex', onExitCodes: { containerName: 'sweep', operator: 'In', values: [2, EXIT_DETERMINISTIC] } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    ]);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never'); // podFailurePolicy requires it
    const c = pod.containers[0];
    expect(c.args).toEqual(['sweep', 'run', '/etc/pilot-sweep/sweep.yaml', '--shard', '$(JOB_COMPLETION_INDEX)', '--shards', '100', '--out', '/results', '--jobs', '2']);
    expect(c.resources).toEqual({ requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '4Gi' } });
    expect(c.volumeMounts).toEqual([
      { name: 'sweep', mountPath: '/etc/pilot-sweep', readOnly: true },
      { name: 'results', mountPath: '/results' },
      { name: 'data-0', mountPath: '/data/bags', readOnly: true },
    ]);
    expect(pod.volumes.map((v: any) => v.persistentVolumeClaim?.claimName ?? v.configMap?.name)).toEqual(['pilot-sweep-nightly', 'pilot-sweep-nightly-results', 'bags']);
    const m = merge.spec.template.spec.containers[0];
    expect(m.args).toEqual(['sweep', 'merge', '/results', '--json', '/results/report.json', '--html', '/results/report.html', '--timing', '/results/timing.json', '--wait-s', '86400', '--shards', '100']);
    expect(merge.spec.podFailurePolicy.rules[0]).toMatchObject({ action: 'FailJob', onExitCodes: { values: [1, 2, 3] } });
    expect(err.join('\n')).toMatch(/4 objects, 100 shards, 20 at a time/);
    expect(err.join('\n')).not.toMatch(/warning/);
  });

  it('asks for a GPU when the sweep runs on CUDA, uses a given results claim, and warns of paths no mount covers', async () => {
    const { objects, err } = await emit(`${SWEEP}providers: [cuda, cpu]\n`, ['--image', 'img', '--shards', '4', '--results-claim', 'shared-results', '--cpu', '3', '--memory', '8Gi']);
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', 'Job', 'Job']);
    const c = objects[1]!.spec.template.spec.containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '3', memory: '8Gi' }, limits: { memory: '8Gi', 'nvidia.com/gpu': 1 } });
    expect(objects[1]!.spec.template.spec.volumes[1].persistentVolumeClaim.claimName).toBe('shared-results');
    expect(objects[1]!.spec.parallelism).toBe(4);
    expect(err.join('\n')).toMatch(/warning: \/data\/bags \(in .*\) is under no --mount <pvc>:<path>/);
    expect(err.join('\n')).toMatch(/one nvidia\.com\/gpu per pod/);
  });

  it('the schema check catches a broken Job (so the checks above mean something)', () => {
    expect(() => new Job({ metadata: { name: 'x' }, spec: { completionMode: 'Indexed', completions: 'four', template: { spec: { containers: [] } } } } as never).validate()).toThrow(/completions must be integer/);
  });

  it('refuses bad flags with a message naming them', async () => {
    const sweep = join(dir, 'flags.yaml');
    writeFileSync(sweep, SWEEP);
    const err = capture();
    expect(await main(['sweep', 'k8s', sweep, '--shards', '4'])).toBe(2);
    expect(err.join('\n')).toMatch(/sweep k8s needs --image <image>/);
    expect(await main(['sweep', 'k8s', sweep, '--image', 'i', '--shards', '0'])).toBe(2);
    expect(err.join('\n')).toMatch(/--shards must be a whole number ≥ 1 \(got '0'\)/);
    expect(await main(['sweep', 'k8s', sweep, '--image', 'i', '--shards', '2', '--mount', 'bags'])).toBe(2);
    expect(err.join('\n')).toMatch(/--mount must be <pvc name>:<absolute path>/);
    expect(await main(['sweep', 'k8s', sweep, '--image', 'i', '--shards', '2', '--results-claim', 'r', '--results-size', '1Gi'])).toBe(2);
    expect(err.join('\n')).toMatch(/--results-size and --storage-class apply to the claim sweep k8s emits/);
    expect(await main(['sweep', 'deploy'])).toBe(2);
    expect(err.join('\n')).toMatch(/pilot sweep: unknown command 'deploy'\nsee `pilot sweep --help`/);
    expect(await main(['sweep', 'mrege'])).toBe(2);
    expect(err.join('\n')).toMatch(/pilot sweep: unknown command 'mrege' \(did you mean merge\?\)/);
  });
});
