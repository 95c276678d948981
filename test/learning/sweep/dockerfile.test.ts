/**
 * The sweep image's Dockerfile cannot be built here (no Docker daemon, no registry), so it is linted
 * (dockerfile-utils, the Dockerfile language service's validator) and checked against the checkout:
 * everything it copies exists, and it installs the EGL packages .ci/run installs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

const PATH = 'launch/sweep/Dockerfile';
const text = readFileSync(PATH, 'utf8');

describe('launch/sweep/Dockerfile', () => {
  it('passes the linter (which does find faults)', () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(validate(`${text}\nCMD ["again"]\nFROMM x\n`).length).toBeGreaterThanOrEqual(2);
  });

  it('copies only what the checkout has, and installs the EGL packages of .ci/run', () => {
    const sources = [...text.matchAll(/^COPY\s+(.+)\s+\S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(sources).toContain('models');
    for (const s of sources) expect(existsSync(s), s).toBe(true);
    const ci = /apt-get install[^\n]*--no-install-recommends ([a-z0-9 .-]+?) >/.exec(readFileSync('.ci/run', 'utf8'))![1]!.split(/\s+/);
    const image = /apt-get install -y --no-install-recommends ([a-z0-9 .-]+?) \\/.exec(text)![1]!.split(/\s+/);
    // .ci/run also installs the Python peers of the policy-server example test, which a sweep never runs.
    expect(image.sort()).toEqual(ci.filter((p) => !p.startsWith('python3-')).sort());
    expect(text).toMatch(/^FROM node:20-/m);
    expect(text).toMatch(/^USER node$/m);
  });
});
