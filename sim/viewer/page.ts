/**
 * The viewer's HTML page: a full-window 3D canvas, the metrics panel (rows from `METRICS`), the robot
 * camera's image and a status line. The import map lets the compiled scene builder's bare `three/webgpu`
 * import load three's browser build from `/three/` (which in turn imports its siblings relatively).
 */
import { METRICS } from './client/metrics-view.js';

const IMPORT_MAP = {
  imports: {
    three: '/three/three.module.js',
    'three/webgpu': '/three/three.webgpu.js',
    'three/tsl': '/three/three.tsl.js',
  },
};

const STYLE = `
  html, body { margin: 0; height: 100%; overflow: hidden; background: #0d1117; color: #e6edf3;
    font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
  #view { position: fixed; inset: 0; display: block; }
  .panel { position: fixed; background: rgba(13, 17, 23, 0.8); border: 1px solid #30363d; border-radius: 8px; }
  #hud { top: 12px; left: 12px; width: 280px; padding: 10px 12px; }
  #hud h1 { margin: 0 0 8px; font-size: 14px; font-weight: 600; }
  #hud dl { display: grid; grid-template-columns: auto 1fr; gap: 3px 12px; margin: 0; }
  #hud dt { color: #8b949e; }
  #hud dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
  #hud dd.alert { color: #ff7b72; font-weight: 600; }
  #robot { top: 12px; right: 12px; margin: 0; padding: 6px; }
  #robot img { display: block; width: 320px; background: #000; }
  #robot img:not([src]) { display: none; }
  #robot figcaption { margin-top: 4px; color: #8b949e; font-size: 12px; }
  #status { position: fixed; left: 12px; bottom: 10px; color: #8b949e; font-size: 12px; }
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function viewerPage(): string {
  const rows = METRICS.map((m) => `      <dt>${escapeHtml(m.label)}</dt><dd id="m-${m.id}">—</dd>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>pilot sim viewer</title>
  <style>${STYLE}</style>
  <script type="importmap">${JSON.stringify(IMPORT_MAP)}</script>
  <script type="module" src="/app/sim/viewer/client/main.js"></script>
</head>
<body>
  <canvas id="view"></canvas>
  <section id="hud" class="panel">
    <h1 id="title">pilot sim</h1>
    <dl>
${rows}
    </dl>
  </section>
  <figure id="robot" class="panel">
    <img id="camera" alt="">
    <figcaption id="camera-caption">robot camera · waiting for frames</figcaption>
  </figure>
  <div id="status">connecting…</div>
</body>
</html>
`;
}
