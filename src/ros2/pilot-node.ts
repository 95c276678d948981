/**
 * pilot as a managed (lifecycle) ROS 2 node.
 *
 *   unconfigured --configure--> inactive --activate--> active
 *        ^                        |  ^                   |
 *        +--------cleanup---------+  +----deactivate-----+        shutdown from any of them → finalized
 *
 * - configure: parameters (+ config_file) → validated config; calibration (camera, vehicle, mount)
 *   and the model contract are read and checked against each other; the ROS 2 transport, the clock
 *   (wall time, or /clock with use_sim_time), the e-stop topic and service and the per-action safety
 *   parameters are set up; the camera mount goes out on /tf_static. The callback returns FAILURE with
 *   the reason logged if anything does not fit. rclnodejs runs transition callbacks synchronously, so
 *   the ONNX session (ONNX Runtime only loads asynchronously) finishes loading after the transition.
 * - activate: the loop starts as soon as the model has loaded (and, with use_sim_time, /clock has
 *   ticked); its first command is the stop command. If the model fails to load, the node logs why and
 *   deactivates itself.
 * - deactivate: the loop stops and a stop command is published (after the tick in flight, if any).
 * - cleanup / shutdown: everything configure made is released.
 *
 * Parameters: see parameters.ts. While configured only `safety.limits.<action>` and
 * `safety.max_rate.<action>` change (within what was configured at start); others are rejected with
 * the reason, and nothing a parameter update does can throw into the control loop.
 */
import { isAbsolute, resolve } from 'node:path';
import type * as rclnodejs from 'rclnodejs';
import { loadCameraCalibration, type CameraCalibration } from '../core/calibration/camera.js';
import { loadCameraMount } from '../core/calibration/mount.js';
import { loadVehicleCalibration } from '../core/calibration/vehicle.js';
import { loadArmDescription } from '../core/kinematics/arm-description.js';
import { createCommandBuilder } from '../runtime/commands/command-builder.js';
import { Ros2Section, type PilotConfig, type Ros2Settings } from '../core/config/schema.js';
import { WallClock, type Clock } from '../runtime/loop/clock.js';
import { timeFromMs } from '../core/messages/time.js';
import type { Bool, CameraInfo } from '../core/messages/types.js';
import { type ModelContract } from '../runtime/policy/contract.js';
import { PolicySession, type Policy } from '../runtime/policy/policy-session.js';
import { checkContractAgainstConfig } from '../runtime/check-contract.js';
import { Pilot } from '../runtime/pilot.js';
import { buildSafetyFields } from '../runtime/safety/safety-spec.js';
import type { SafetyFieldSpec } from '../runtime/safety/safety-layer.js';
import { RELIABLE_QOS, type Publisher } from '../transport/transport.js';
import { PilotError } from '../core/util/errors.js';
import { cameraInfoFromCalibration, cameraMountTransforms, opticalFrame, type TFMessage } from './calibration-messages.js';
import { isRosMessageType, normalizeTypeName } from './message-check.js';
import { NodeParameters } from './node-parameters.js';
import { missingPackagesAdvice, packagesForConfig } from './preflight.js';
import type { ParameterSection } from './ros-args.js';
import { describeValue, limitsParam, maxRateParam, stopParam } from './parameters.js';
import { CALLBACK_FAILURE, CALLBACK_SUCCESS, type LifecycleNodeApi, type RclnodejsApi, type SetParametersResult } from './rclnodejs-api.js';
import { RosTimeClock } from './ros-clock.js';
import { Ros2Transport } from './ros2-transport.js';
import { readModelContract } from '../runtime/policy/contract-file.js';

export type LifecycleStateLabel = 'unconfigured' | 'inactive' | 'active' | 'finalized';

export type LogLevel = 'info' | 'warn' | 'error';

export interface PilotNodeOptions {
  readonly api: RclnodejsApi;
  readonly nodeName?: string;
  readonly namespace?: string;
  /** `config_file` unless a parameter override names one (the CLI's --config). */
  readonly configFile?: string;
  /** Relative paths resolve against this; default the current directory. */
  readonly baseDir?: string;
  /** Log sink; default the node's ROS logger. */
  readonly log?: (level: LogLevel, line: string) => void;
  /** Wall clock used without use_sim_time; default a WallClock. */
  readonly wallClock?: Clock;
  /** How the model is loaded; default PolicySession.create (tests inject a prepared policy). */
  readonly createPolicy?: (model: PilotConfig['model'], log: (line: string) => void) => Promise<Policy>;
  /** The command line's parameter sections (`--params-file`, `-p`; see ros-args.ts). */
  readonly sections?: readonly ParameterSection[];
  /**
   * Which of these message packages the sourced ROS 2 lacks, checked at configure (the config may ask
   * for more than the start did); default: none missing (`pilot node` passes preflight's check).
   */
  readonly missingPackages?: (packages: readonly string[]) => string[];
}

/** What configure set up; cleanup undoes it. */
interface Configured {
  readonly config: PilotConfig;
  readonly ros2: Ros2Settings;
  readonly transport: Ros2Transport;
  readonly clock: Clock;
  readonly simClock: RosTimeClock | undefined;
  readonly contract: ModelContract;
  /** The limits configured at start: dynamic updates stay within them. */
  readonly envelope: ReadonlyMap<string, SafetyFieldSpec>;
  /** Limits currently asked for by parameters (applied to each new Pilot). */
  readonly limits: Map<string, { min: number; max: number; maxRatePerS: number }>;
  readonly entities: { close(): void }[];
  policy: Policy | undefined;
  loadError: Error | undefined;
}

export class PilotNode {
  readonly node: LifecycleNodeApi;
  readonly parameters: NodeParameters;
  readonly #api: RclnodejsApi;
  readonly #log: (level: LogLevel, line: string) => void;
  readonly #wallClock: Clock;
  readonly #createPolicy: (model: PilotConfig['model'], log: (line: string) => void) => Promise<Policy>;
  readonly #missingPackages: (packages: readonly string[]) => string[];
  #state: LifecycleStateLabel = 'unconfigured';
  #configured: Configured | undefined;
  #pilot: Pilot | undefined;
  #wantActive = false;
  #starting = false;
  /** The stop of the previous loop, while it is still going out. */
  #stopping: Promise<void> | undefined;
  #estop = false;
  /** Async work after a transition (model load, start, stop); tests and the CLI wait on it. */
  #pending: Promise<void> = Promise.resolve();
  #finalized: () => void = () => {};
  readonly #whenFinalized = new Promise<void>((resolve) => (this.#finalized = resolve));

  constructor(options: PilotNodeOptions) {
    this.#api = options.api;
    this.node = new options.api.lifecycle.LifecycleNode(options.nodeName ?? 'pilot', options.namespace ?? '');
    const logger = this.node.getLogger();
    this.#log =
      options.log ??
      ((level, line) => {
        if (level === 'error') logger.error(line);
        else if (level === 'warn') logger.warn(line);
        else logger.info(line);
      });
    this.#wallClock = options.wallClock ?? new WallClock();
    this.#createPolicy = options.createPolicy ?? ((model, log) => PolicySession.create({ model, log }));
    this.#missingPackages = options.missingPackages ?? (() => []);
    this.parameters = new NodeParameters(this.#api, this.node, {
      ...(options.configFile !== undefined ? { configFile: options.configFile } : {}),
      ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
      ...(options.sections ? { sections: options.sections } : {}),
    });
    for (const w of this.parameters.warnings) this.#log('warn', `pilot: ${w}`);
    this.node.addOnSetParametersCallback(this.#onSetParameters);
    this.node.registerOnConfigure(() => this.#guard('configure', this.#onConfigure));
    this.node.registerOnActivate(() => this.#guard('activate', this.#onActivate));
    this.node.registerOnDeactivate(() => this.#guard('deactivate', this.#onDeactivate));
    this.node.registerOnCleanup(() => this.#guard('cleanup', this.#onCleanup));
    this.node.registerOnShutdown(() => this.#guard('shutdown', this.#onShutdown));
    this.node.registerOnError(() => this.#guard('error processing', this.#onError));
  }

  get state(): LifecycleStateLabel {
    return this.#state;
  }

  /** The running pilot (active and started), if any. */
  get pilot(): Pilot | undefined {
    return this.#pilot;
  }

  get config(): PilotConfig | undefined {
    return this.#configured?.config;
  }

  get transport(): Ros2Transport | undefined {
    return this.#configured?.transport;
  }

  get estopped(): boolean {
    return this.#estop;
  }

  /** Resolves when the node reaches the finalized state (a shutdown transition, e.g. `ros2 lifecycle set /pilot shutdown`). */
  whenFinalized(): Promise<void> {
    return this.#whenFinalized;
  }

  /** Resolves when the work started by the last transitions (model load, loop start, stop) is done. */
  async settled(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.#pending;
      await seen;
    } while (seen !== this.#pending);
  }

  /** Shuts the node down if it is not finalized (publishing the stop command), then destroys it. */
  async destroy(): Promise<void> {
    if (this.#state !== 'finalized') {
      try {
        this.node.shutdown();
      } catch (err) {
        this.#log('warn', `pilot: shutdown transition failed: ${(err as Error).message}`);
        this.#onShutdown();
      }
    }
    await this.settled();
    this.node.destroy();
  }

  // ---- lifecycle callbacks (synchronous, as rclnodejs calls them) ----

  #guard(what: string, fn: () => rclnodejs.lifecycle.CallbackReturnCode): rclnodejs.lifecycle.CallbackReturnCode {
    try {
      return fn();
    } catch (err) {
      this.#log('error', `pilot: ${what} failed: ${(err as Error).message}`);
      return CALLBACK_FAILURE;
    }
  }

  readonly #onConfigure = (): rclnodejs.lifecycle.CallbackReturnCode => {
    const config = this.parameters.buildConfig();
    const ros2 = Ros2Section.parse(config.ros2 ?? {});
    if (config.outputs.timeline.enabled) {
      throw new PilotError('E_CONFIG', 'outputs.timeline is not available on ROS 2 (pilot_msgs/msg/TickTimeline is not a ROS 2 interface); disable it');
    }
    for (const s of config.inputs.state) {
      const type = normalizeTypeName(s.type);
      if (!type || !isRosMessageType(type)) {
        throw new PilotError('E_UNKNOWN_TYPE', `inputs.state '${s.field}': ${s.type} has no vendored definition, so it cannot be read over ROS 2 (add its .msg under src/core/messages/definitions)`);
      }
    }
    const camera = loadCameraCalibration(config.calibration.camera);
    // An arm (config arm:) is limited by its description, not the vehicle calibration.
    const arm = config.arm ? loadArmDescription(config.arm.description) : undefined;
    const vehicle = arm ? undefined : loadVehicleCalibration(config.calibration.vehicle);
    const contract = readContract(config.model.path);
    checkContractAgainstConfig(contract, config, camera, arm);
    const actionNames = contract.outputs[0]!.fields.map((f) => f.name);
    const fields = buildSafetyFields(actionNames, contract.profile, config.safety, vehicle, arm);
    const periodMs = 1000 / config.loop.rate_hz;
    createCommandBuilder({ kind: config.outputs.command.type, actionNames, frameId: config.outputs.frame_id, periodMs, vehicle });
    const mount = ros2.publish_tf && ros2.camera_mount ? loadCameraMount(this.#abs(ros2.camera_mount)) : undefined;
    const useSimTime = this.#useSimTime();
    const missing = this.#missingPackages(packagesForConfig(config, useSimTime));
    if (missing.length > 0) throw new PilotError('E_ROS2_PACKAGES', missingPackagesAdvice(missing));

    const entities: { close(): void }[] = [];
    const transport = new Ros2Transport(this.#api, this.node, {
      remap: ros2.remap,
      namespaced: ros2.namespaced_topics,
      onError: (err, topic) => this.#log('warn', `pilot: ros2 transport, topic '${topic}': ${(err as Error)?.message ?? String(err)} (counted)`),
    });
    try {
      const simClock = useSimTime
        ? new RosTimeClock(transport, { onJumpBack: (from, to) => this.#log('warn', `pilot: /clock went back from ${from} to ${to} ms; ignored until it catches up`) })
        : undefined;
      if (simClock) entities.push(simClock);
      const clock = simClock ?? this.#wallClock;
      entities.push(transport.subscribe<Bool>(config.safety.estop_topic, 'std_msgs/msg/Bool', (m) => this.#setEstop(m.data === true, 'topic'), RELIABLE_QOS));
      if (ros2.estop_service) entities.push(this.#estopService(ros2.estop_service, ros2.namespaced_topics));
      if (mount) {
        const tf = transport.advertiseLatched<TFMessage>('/tf_static', 'tf2_msgs/msg/TFMessage');
        tf.publish(cameraMountTransforms(mount, timeFromMs(clock.stampMs())));
        entities.push(tf);
      }
      if (ros2.camera_info_topic) entities.push(this.#publishCameraInfo(transport, ros2.camera_info_topic, camera, mount?.childFrame, clock));

      const envelope = new Map(fields.map((f) => [f.name, f]));
      const limits = new Map(fields.map((f) => [f.name, { min: f.min, max: f.max, maxRatePerS: f.maxRatePerS }]));
      for (const f of fields) {
        this.parameters.declareAction(limitsParam(f.name, [f.min, f.max]), [f.min, f.max]);
        this.parameters.declareAction(maxRateParam(f.name, f.maxRatePerS), Number.isFinite(f.maxRatePerS) ? f.maxRatePerS : 0);
        if (config.safety.stop[f.name] !== undefined) this.parameters.declareAction({ ...stopParam(f.name), readOnly: true }, config.safety.stop[f.name]!);
      }
      const configured: Configured = { config, ros2, transport, clock, simClock, contract, envelope, limits, entities, policy: undefined, loadError: undefined };
      this.#configured = configured;
      this.#loadModel(configured);
      this.#state = 'inactive';
      this.#log(
        'info',
        `pilot: configured: ${contract.id}, ${config.loop.rate_hz} Hz ${config.loop.trigger} loop, ${config.inputs.camera.topic} → ${config.outputs.command.topic}` +
          `${useSimTime ? ', use_sim_time (/clock)' : ''}; loading the model`,
      );
      return CALLBACK_SUCCESS;
    } catch (err) {
      for (const e of entities) e.close();
      this.parameters.undeclareActions();
      transport.close().catch(() => {});
      this.#configured = undefined;
      throw err;
    }
  };

  /** Loads the model of a configuration (asynchronously: configure cannot await); its end starts the loop or deactivates. */
  #loadModel(configured: Configured): void {
    this.#after(
      this.#createPolicy(configured.config.model, (line) => this.#log('warn', line)).then(
        (policy) => {
          if (this.#configured !== configured) {
            policy.dispose().catch(() => {});
            return;
          }
          configured.policy = policy;
          this.#log('info', `pilot: model ${configured.contract.id} loaded on ${policy.providerSummary}`);
          this.#maybeStart();
        },
        (err: unknown) => {
          if (this.#configured !== configured) return;
          configured.loadError = err instanceof Error ? err : new Error(String(err));
          this.#log('error', `pilot: the model failed to load: ${configured.loadError.message}`);
          if (this.#state === 'active') {
            this.#log('error', 'pilot: deactivating (no model)');
            this.#transition(() => this.node.deactivate());
          }
        },
      ),
    );
  }

  readonly #onActivate = (): rclnodejs.lifecycle.CallbackReturnCode => {
    const c = this.#configured;
    if (!c) throw new PilotError('E_STATE', 'activate before configure');
    if (c.loadError) throw new PilotError('E_MODEL', `cannot activate: the model failed to load: ${c.loadError.message}`);
    this.#wantActive = true;
    this.#state = 'active';
    if (!c.policy) this.#log('info', 'pilot: active; the loop starts when the model has loaded');
    this.#maybeStart();
    return CALLBACK_SUCCESS;
  };

  readonly #onDeactivate = (): rclnodejs.lifecycle.CallbackReturnCode => {
    this.#wantActive = false;
    this.#stopPilot('deactivate');
    this.#state = 'inactive';
    return CALLBACK_SUCCESS;
  };

  readonly #onCleanup = (): rclnodejs.lifecycle.CallbackReturnCode => {
    this.#release();
    this.#state = 'unconfigured';
    this.#log('info', 'pilot: cleaned up');
    return CALLBACK_SUCCESS;
  };

  readonly #onShutdown = (): rclnodejs.lifecycle.CallbackReturnCode => {
    this.#wantActive = false;
    this.#stopPilot('shutdown');
    this.#release();
    this.#state = 'finalized';
    this.#finalized();
    return CALLBACK_SUCCESS;
  };

  readonly #onError = (): rclnodejs.lifecycle.CallbackReturnCode => {
    this.#wantActive = false;
    this.#stopPilot('error');
    this.#release();
    this.#state = 'unconfigured';
    return CALLBACK_SUCCESS;
  };

  // ---- the pilot inside ----

  /** Starts the loop once everything it needs is there: active, model loaded, (sim) time known. */
  #maybeStart(): void {
    const c = this.#configured;
    if (!c || !this.#wantActive || !c.policy || this.#pilot || this.#starting) return;
    if (this.#stopping) {
      // The previous loop is still publishing its stop command and releasing its topics.
      const stopping = this.#stopping;
      this.#after(stopping.then(() => this.#maybeStart()));
      return;
    }
    if (c.simClock && !c.simClock.ready) {
      // Not part of `settled()`: this waits for the outside world.
      this.#log('info', 'pilot: active; the loop starts at the first /clock message (use_sim_time)');
      void c.simClock.whenReady().then(() => this.#maybeStart());
      return;
    }
    this.#starting = true;
    const policy = c.policy;
    this.#after(
      Pilot.create(c.config, {
        transport: c.transport,
        clock: c.clock,
        policy,
        log: (line) => this.#log('info', line),
        // Under sim time the clock stands still while we compute: time the work on the wall clock.
        ...(c.simClock ? { stopwatch: () => performance.now() } : {}),
      }).then(
        (pilot) => {
          this.#starting = false;
          if (!this.#wantActive || this.#configured !== c) {
            // Deactivated while it was being created (same macrotask): start and stop it, which
            // publishes stop commands only and releases what its constructor opened.
            pilot.start();
            this.#after(pilot.stop());
            return;
          }
          pilot.safety.setEstop(this.#estop);
          for (const [name, l] of c.limits) pilot.safety.setLimits(name, l);
          this.#pilot = pilot;
          pilot.start();
        },
        (err: unknown) => {
          this.#starting = false;
          this.#log('error', `pilot: cannot start: ${(err as Error).message}; deactivating`);
          if (this.#state === 'active') this.#transition(() => this.node.deactivate());
        },
      ),
    );
  }

  /** Stops the loop; Pilot.stop publishes the stop command (after the tick in flight, if any). */
  #stopPilot(why: string): void {
    const pilot = this.#pilot;
    this.#pilot = undefined;
    if (!pilot) return;
    const stopping: Promise<void> = pilot.stop().then(() => {
      if (this.#stopping === stopping) this.#stopping = undefined;
      this.#log('info', `pilot: ${why}: loop stopped after ${pilot.loop.stats.ticks} ticks, stop command published`);
    });
    this.#stopping = stopping;
    this.#after(stopping);
  }

  #release(): void {
    const c = this.#configured;
    this.#configured = undefined;
    this.parameters.undeclareActions();
    if (!c) return;
    for (const e of c.entities) e.close();
    const policy = c.policy;
    // The stop command (if a pilot was stopping) goes out before the transport closes.
    this.#after(
      this.#pending.then(async () => {
        await c.transport.close();
        await policy?.dispose();
      }),
    );
  }

  #setEstop(engaged: boolean, via: 'topic' | 'service'): void {
    if (engaged !== this.#estop && (via === 'service' || !this.#pilot)) {
      this.#log(engaged ? 'warn' : 'info', `pilot: e-stop ${engaged ? 'ENGAGED' : 'released'} via ${via}`);
    }
    this.#estop = engaged;
    this.#pilot?.safety.setEstop(engaged);
  }

  #estopService(name: string, namespaced: boolean): { close(): void } {
    const rosName = namespaced && name.startsWith('/') ? name.slice(1) : name;
    const service = this.node.createService('std_srvs/srv/SetBool', rosName, (request, response) => {
      this.#setEstop(request.data, 'service');
      response.send({ success: true, message: request.data ? 'e-stop engaged: stop commands until released' : 'e-stop released' });
    });
    return { close: () => this.node.destroyService(service) };
  }

  #publishCameraInfo(transport: Ros2Transport, topic: string, camera: CameraCalibration, cameraFrame: string | undefined, clock: Clock): Publisher<CameraInfo> {
    const pub = transport.advertiseLatched<CameraInfo>(topic, 'sensor_msgs/msg/CameraInfo');
    pub.publish(cameraInfoFromCalibration(camera, opticalFrame(cameraFrame ?? 'camera_link'), timeFromMs(clock.stampMs())));
    return pub;
  }

  #useSimTime(): boolean {
    const v: unknown = this.node.getParameter('use_sim_time').value;
    return v === true;
  }

  #abs(path: string): string {
    return isAbsolute(path) ? path : resolve(this.parameters.baseDir, path);
  }

  /** Chains async work so `settled()` can wait for it; failures are logged, never thrown into a callback. */
  #after(work: Promise<unknown>): void {
    // Handled here at once (a rejection must never be unhandled, which would end the process); it is
    // still passed along the chain below, which logs it.
    work.catch(() => {});
    this.#pending = this.#pending.then(
      () => work.then(() => undefined),
      () => work.then(() => undefined),
    ).catch((err: unknown) => this.#log('error', `pilot: ${(err as Error)?.message ?? String(err)}`));
  }

  /** A transition requested by the node itself (outside any transition callback). */
  #transition(run: () => unknown): void {
    queueMicrotask(() => {
      try {
        run();
      } catch (err) {
        this.#log('error', `pilot: transition failed: ${(err as Error).message}`);
      }
    });
  }

  // ---- parameters ----

  readonly #onSetParameters = (parameters: rclnodejs.Parameter[]): SetParametersResult => {
    try {
      const apply: (() => void)[] = [];
      for (const p of parameters) {
        const reason = this.#checkParameter(p, apply);
        if (reason) return { successful: false, reason };
      }
      for (const a of apply) a();
      return { successful: true, reason: '' };
    } catch (err) {
      return { successful: false, reason: `pilot: ${(err as Error).message}` };
    }
  };

  /** Why a parameter change is refused, or '' (pushing what accepting it does onto `apply`). */
  #checkParameter(p: rclnodejs.Parameter, apply: (() => void)[]): string {
    const name = p.name;
    // A declaration (ours, or rclnodejs's own), not a change.
    if (!this.node.hasParameter(name)) return '';
    const value: unknown = p.value;
    const spec = this.parameters.spec(name);
    const configured = this.#state === 'inactive' || this.#state === 'active';
    if (!spec) {
      if (name === 'use_sim_time' && configured) return 'use_sim_time is read at configure: deactivate and clean up the node to change it';
      return '';
    }
    if (spec.readOnly) return `${name} is read-only: it is set at start (--ros-args -p ${name}:=…, a params file, or the config) and applies at configure`;
    if (!spec.dynamic) {
      if (configured) {
        return `${name} applies at configure: deactivate and clean up the node to change it (while configured only safety.limits.<action> and safety.max_rate.<action> change)`;
      }
      apply.push(() => this.parameters.explicit.add(name));
      return '';
    }
    const c = this.#configured;
    if (!c) return `${name} exists only while configured`;
    const action = name.slice(name.lastIndexOf('.') + 1);
    const env = c.envelope.get(action);
    const current = c.limits.get(action);
    if (!env || !current) return `${name}: the model has no action '${action}'`;
    let next: { min: number; max: number; maxRatePerS: number };
    if (name.startsWith('safety.limits.')) {
      const v = Array.isArray(value) ? value : undefined;
      if (!v || v.length !== 2 || !v.every((x): x is number => typeof x === 'number' && Number.isFinite(x))) {
        return `${name} must be [min, max], two finite numbers (got ${describeValue(value)})`;
      }
      const [min, max] = v as [number, number];
      if (min > max) return `${name}: min ${min} > max ${max}`;
      if (min < env.min || max > env.max) {
        return `${name} [${min}, ${max}] is outside [${env.min}, ${env.max}], the limits configured at start (config and vehicle calibration); only tighter limits can be set while running`;
      }
      if (env.stop !== undefined && (env.stop < min || env.stop > max)) return `${name} [${min}, ${max}] would exclude the stop value ${env.stop} of '${action}'`;
      next = { ...current, min, max };
    } else {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return `${name} must be a number >= 0 (got ${describeValue(value)})`;
      const rate = value === 0 ? Infinity : value;
      if (rate > env.maxRatePerS) {
        return `${name} ${value === 0 ? '0 (no limit)' : value} is above ${env.maxRatePerS}, the rate configured at start; only a tighter rate can be set while running`;
      }
      next = { ...current, maxRatePerS: rate };
    }
    apply.push(() => {
      c.limits.set(action, next);
      this.#pilot?.safety.setLimits(action, next);
      this.#log('info', `pilot: ${name} = ${describeValue(value)} (applies from the next tick)`);
    });
    return '';
  }
}

/** The model contract from an ONNX file, read synchronously (configure cannot await). */
export function readContract(path: string): ModelContract {
  return readModelContract(path);
}

