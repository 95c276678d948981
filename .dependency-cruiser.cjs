/**
 * The layers of pilot, checked on every `npm test` (`npm run lint:layers`).
 *
 *   src/core       shared vocabulary: messages, config, calibration, kinematics, ONNX files, utilities
 *   src/transport  pub/sub: in-process and ZeroMQ                        (uses core)
 *   src/runtime    what a deployed `pilot run` executes, input to command  (uses core, transport)
 *   src/ros2       the ROS 2 adapter: transport, node, parameters         (uses the runtime)
 *   src/data       bags, importers, replay                                (uses the runtime)
 *   src/foxglove   the Foxglove live view of run, drive, sim, replay, bag play  (uses data, the runtime, sim's public entry)
 *   src/learning   dataset, train, fine-tune, export, eval                (uses data, the runtime, sim's public entry)
 *   src/cli        the command line                                       (uses everything, sim through its entry)
 *   sim/           the simulator: core, transport, and the runtime's and bag library's public entries only
 */
const layer = (name, allowed) => ({
  name: `layer-${name}`,
  comment: `src/${name} may import only ${allowed.join(', ')} (see the layer table at the top of this file)`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^(src|sim)/', pathNot: allowed.map((a) => `^${a}`) },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import circles (type-only imports included) make the layers meaningless.',
      severity: 'error',
      from: { path: '^(src|sim)/' },
      to: { circular: true },
    },
    layer('core', ['src/core/']),
    layer('transport', ['src/core/', 'src/transport/']),
    layer('runtime', ['src/core/', 'src/transport/', 'src/runtime/']),
    layer('ros2', ['src/core/', 'src/transport/', 'src/runtime/', 'src/ros2/']),
    layer('data', ['src/core/', 'src/transport/', 'src/runtime/', 'src/data/']),
    layer('foxglove', ['src/core/', 'src/transport/', 'src/runtime/', 'src/data/', 'src/foxglove/', 'sim/index\\.ts$']),
    layer('learning', ['src/core/', 'src/transport/', 'src/runtime/', 'src/data/', 'src/learning/', 'sim/index\\.ts$']),
    {
      name: 'cli-uses-sim-entry',
      comment: 'The command line reaches the simulator through sim/index.ts only.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^sim/', pathNot: '^sim/index\\.ts$' },
    },
    {
      name: 'cli-loads-one-command',
      comment:
        'A pilot process loads only the command it runs (pilot serve and pilot run carry no simulator or trainer in their heap): ' +
        'the command line\'s shared modules import the command modules only dynamically (src/cli/commands.ts), and the simulator not at all.',
      severity: 'error',
      from: { path: '^src/cli/(main|commands|command|options|output|args|shared-options|report-path)\.ts$' },
      to: { path: ['^sim/', '^src/cli/[a-z-]+-command\.ts$'], dynamic: false },
    },
    {
      name: 'sim-uses-public-entries',
      comment: 'The simulator uses src/core and the public entries of the transport, the runtime and the bag library only.',
      severity: 'error',
      from: { path: '^sim/' },
      to: {
        path: '^src/',
        pathNot: ['^src/core/', '^src/transport/index\\.ts$', '^src/runtime/index\\.ts$', '^src/data/bags/index\\.ts$'],
      },
    },
    {
      name: 'nothing-imports-the-cli',
      comment: 'The command line is the top: nothing below it imports from src/cli.',
      severity: 'error',
      from: { path: '^(src|sim)/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'known-parts-only',
      comment: 'Every module under src/ belongs to one of the parts in the table above (add a part here, with its layer rule, before using a new top folder).',
      severity: 'error',
      from: { path: '^src/(?!(core|transport|runtime|ros2|data|foxglove|learning|cli)/|index\\.ts$)' },
      to: {},
    },
    {
      name: 'no-tests-from-source',
      severity: 'error',
      from: { path: '^(src|sim|scripts)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
