import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { SCENE_TOPIC, simTopics, TF_TOPIC, withTimeline } from '../../src/foxglove/sim-live.js';
import { parseSimConfig } from '../../sim/config/sim-config.js';

type Tree = string | { first: Tree; second: Tree; direction: string };

function panelIds(tree: Tree): string[] {
  return typeof tree === 'string' ? [tree] : [...panelIds(tree.first), ...panelIds(tree.second)];
}

/** The topic of a message path such as `/cmd/ackermann.drive.speed`. */
const topicOf = (path: string): string => path.split('.')[0]!;

describe('launch/foxglove/pilot-layout.json', () => {
  const layout = JSON.parse(readFileSync('launch/foxglove/pilot-layout.json', 'utf8')) as { configById: Record<string, Record<string, unknown>>; layout: Tree };

  it('places every configured panel and configures every placed one: Image, 3D, Plot, Diagnostics, RawMessages', () => {
    const placed = panelIds(layout.layout);
    expect(new Set(placed)).toEqual(new Set(Object.keys(layout.configById)));
    expect(new Set(placed.map((id) => id.split('!')[0]))).toEqual(new Set(['Image', '3D', 'Plot', 'DiagnosticSummary', 'RawMessages']));
  });

  it('names only topics a drive (or the replay of one) advertises', () => {
    const runtime = withTimeline(loadConfig('launch/drive.yaml'));
    const advertised = new Set([...simTopics(parseSimConfig({}, 'default sim config'), runtime).map((t) => t.topic), SCENE_TOPIC, TF_TOPIC, '/pilot/cmd']);
    const named: string[] = [];
    for (const [id, config] of Object.entries(layout.configById)) {
      const kind = id.split('!')[0];
      if (kind === 'Image') named.push((config.imageMode as { imageTopic: string }).imageTopic);
      if (kind === '3D') named.push(...Object.keys(config.topics as object));
      if (kind === 'Plot') named.push(...(config.paths as { value: string }[]).map((p) => topicOf(p.value)));
      if (kind === 'DiagnosticSummary') named.push(config.topicToRender as string);
      if (kind === 'RawMessages') named.push(topicOf(config.topicPath as string));
    }
    expect(named.length).toBeGreaterThan(8);
    expect(named.filter((t) => !advertised.has(t))).toEqual([]);
  });
});
