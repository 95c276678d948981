/**
 * The metrics panel as data: which rows it has (the page is generated from this list) and the text of
 * each row for a state. Pure, so it runs (and is tested) in Node as well as in the page.
 */
import type { ViewerState } from '../protocol.js';

export const METRICS = [
  { id: 'laps', label: 'Laps' },
  { id: 'lapTimes', label: 'Lap times' },
  { id: 'crossTrack', label: 'Cross-track' },
  { id: 'speed', label: 'Speed' },
  { id: 'steering', label: 'Steering' },
  { id: 'interventions', label: 'Interventions' },
  { id: 'offRoad', label: 'Off-road' },
  { id: 'collisions', label: 'Collisions' },
  { id: 'realtime', label: 'Real time' },
  { id: 'latency', label: 'Latency p50 / p99' },
  { id: 'safety', label: 'Safety' },
  { id: 'simTime', label: 'Sim time' },
  { id: 'driver', label: 'Driver' },
] as const;

export type MetricId = (typeof METRICS)[number]['id'];

export interface MetricsText {
  text: Record<MetricId, string>;
  /** Rows to highlight: the safety layer is intervening. */
  alert: Partial<Record<MetricId, boolean>>;
}

const DASH = '—';
const LAP_TIMES_SHOWN = 4;

/** NaN and ±Infinity arrive as `null` through JSON; both show as a dash. */
function num(value: number | null | undefined, digits: number, unit = '', signed = false): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DASH;
  const text = value.toFixed(digits);
  return `${signed && value >= 0 ? '+' : ''}${text}${unit}`;
}

function count(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : DASH;
}

function lapTimes(times: readonly (number | null)[] | undefined): string {
  if (!times || times.length === 0) return DASH;
  const shown = times.slice(-LAP_TIMES_SHOWN).map((t) => num(t, 2));
  return `${times.length > LAP_TIMES_SHOWN ? '… ' : ''}${shown.join(' · ')} s`;
}

export function formatMetrics(state: ViewerState): MetricsText {
  const latency = state.latencyP50Ms === undefined && state.latencyP99Ms === undefined ? DASH : `${num(state.latencyP50Ms, 1)} / ${num(state.latencyP99Ms, 1)} ms`;
  const reason = state.safetyReason ? state.safetyReason : '';
  return {
    text: {
      laps: `${count(state.lap)} / ${count(state.lapsRequested)}`,
      lapTimes: lapTimes(state.lapTimesS),
      crossTrack: num(state.crossTrackM, 3, ' m', true),
      speed: num(state.speedMps, 2, ' m/s'),
      steering: num(((state.steeringRad as number | null) ?? NaN) * (180 / Math.PI), 1, '°', true),
      interventions: count(state.interventions),
      offRoad: count(state.offRoadEvents),
      collisions: count(state.collisions),
      realtime: num(state.realtimeFactor, 1, '×'),
      latency,
      safety: reason || 'ok',
      simTime: num(state.tS, 1, ' s'),
      driver: state.driver || DASH,
    },
    alert: { safety: reason !== '' },
  };
}
