/**
 * The runtime's YAML configuration. Keys are snake_case like ROS 2 parameters, so the same file
 * can become the node's parameter file. Every key has a default except what must be chosen.
 */
import { z } from 'zod';

export const PROVIDER_NAMES = ['tensorrt', 'cuda', 'webgpu', 'cpu'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

const Range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => lo <= hi, { message: 'range must be [min, max] with min ≤ max' });

const ModelSection = z
  .object({
    path: z.string().min(1),
    providers: z.array(z.enum(PROVIDER_NAMES)).min(1).default(['cpu']),
    intra_op_threads: z.number().int().min(1).max(64).default(1),
    /**
     * `main`: inference on the loop's thread (lowest overhead; a late result is detected when it returns).
     * `worker`: inference on a worker thread, so a missed deadline's fallback goes out on time.
     */
    inference_thread: z.enum(['main', 'worker']).default('main'),
    warmup_runs: z.number().int().min(0).max(10_000).default(20),
    /** Refuse a model without a passing `pilot eval` record for exactly its bytes (`<model>.eval.json`). */
    require_eval: z.boolean().default(false),
    /**
     * Load a model whose check inference (neutral input at load) returns NaN or ±Infinity, with a
     * warning instead of E_MODEL_NONFINITE: for testing the safety layer (`--allow-nonfinite`).
     */
    allow_nonfinite: z.boolean().default(false),
    /**
     * Ask ORT to leave the outputs in device memory (`preferredOutputLocation: 'gpu-buffer'`) where the
     * execution provider and onnxruntime-node allow it (WebGPU only in 1.30), copying them to the host
     * buffer only when read. Never applies on CPU; the start-up report says whether it took effect.
     */
    device_outputs: z.boolean().default(false),
    /** ONNX Runtime's own log (process-wide, set by the first session); pilot reports provider failures itself. */
    ort_log_level: z.enum(['verbose', 'info', 'warning', 'error', 'fatal']).default('fatal'),
    cuda: z
      .object({ device_id: z.number().int().min(0).default(0), memory_limit_mb: z.number().int().positive().optional() })
      .strict()
      .default({ device_id: 0 }),
    tensorrt: z
      .object({ engine_cache_dir: z.string().default('.cache/tensorrt'), fp16: z.boolean().default(false) })
      .strict()
      .default({ engine_cache_dir: '.cache/tensorrt', fp16: false }),
  })
  .strict();

const TransportSection = z
  .object({
    /** `ros2` runs as a ROS 2 node (`pilot node`, needs rclnodejs and a sourced ROS 2). */
    kind: z.enum(['zeromq', 'inprocess', 'ros2']).default('zeromq'),
    ipc_dir: z.string().optional(),
    /** Per-topic endpoint override, e.g. `tcp://127.0.0.1:5601`. */
    endpoints: z.record(z.string(), z.string()).default({}),
    /** Bind and connect non-loopback tcp endpoints (topics carry commands to actuators; there is no authentication). */
    allow_remote: z.boolean().default(false),
  })
  .strict();

const CalibrationSection = z
  .object({
    camera: z.string().default('calibration/camera.yaml'),
    vehicle: z.string().default('calibration/vehicle.yaml'),
  })
  .strict();

const LoopSection = z
  .object({
    rate_hz: z.number().positive().max(200).default(50),
    /** Time from tick start to command publish; default 80 % of the period. */
    deadline_ms: z.number().positive().optional(),
    /** `timer`: fixed rate; `camera`: one tick per new camera frame (rate_hz is then the expected rate). */
    trigger: z.enum(['timer', 'camera']).default('timer'),
  })
  .strict()
  .refine((l) => l.deadline_ms === undefined || l.deadline_ms <= 1000 / l.rate_hz, {
    message: 'deadline_ms must not exceed the period (1000 / rate_hz)',
    path: ['deadline_ms'],
  });

const CameraInputSection = z
  .object({
    topic: z.string().startsWith('/').default('/camera/image_raw'),
    /** `image`: sensor_msgs/Image; `compressed`: sensor_msgs/CompressedImage (JPEG/PNG). */
    type: z.enum(['image', 'compressed']).default('image'),
    max_age_ms: z.number().positive().default(100),
    /**
     * sensor_msgs/CameraInfo beside the camera: frames of its size are sampled with its geometry
     * (the calibration file stays the default). Default `<camera namespace>/camera_info`; `none` to ignore.
     */
    info_topic: z.union([z.string().startsWith('/'), z.literal('none')]).optional(),
  })
  .strict();

const StateFieldSection = z
  .object({
    /** The contract's state field this fills, e.g. `speed_mps`. */
    field: z.string().min(1),
    topic: z.string().startsWith('/'),
    type: z.string().regex(/^[a-z0-9_]+\/msg\/[A-Za-z0-9]+$/, 'expected a ROS 2 type like nav_msgs/msg/Odometry'),
    /** Dotted path inside the message, e.g. `twist.twist.linear.x` or `velocity.0`. */
    path: z.string().min(1),
    max_age_ms: z.number().positive().default(100),
  })
  .strict();

const InputsSection = z
  .object({
    camera: CameraInputSection.default({ topic: '/camera/image_raw', type: 'image', max_age_ms: 100 }),
    state: z.array(StateFieldSection).default([]),
  })
  .strict();

export const COMMAND_TYPES = ['ackermann', 'twist', 'joint_trajectory', 'float64_multi_array'] as const;

const OutputsSection = z
  .object({
    command: z
      .object({ topic: z.string().startsWith('/').default('/cmd/ackermann'), type: z.enum(COMMAND_TYPES).default('ackermann') })
      .strict()
      .default({ topic: '/cmd/ackermann', type: 'ackermann' }),
    diagnostics: z
      .object({ topic: z.string().startsWith('/').default('/diagnostics'), rate_hz: z.number().positive().max(10).default(1) })
      .strict()
      .default({ topic: '/diagnostics', rate_hz: 1 }),
    /** Per-tick stage times (pilot_msgs/msg/TickTimeline), for the black-box recorder; off by default. */
    timeline: z
      .object({ topic: z.string().startsWith('/').default('/pilot/timeline'), enabled: z.boolean().default(false) })
      .strict()
      .default({ topic: '/pilot/timeline', enabled: false }),
    /** Frame id stamped on outgoing commands. */
    frame_id: z.string().default('base_link'),
  })
  .strict();

const SafetySection = z
  .object({
    estop_topic: z.string().startsWith('/').default('/pilot/estop'),
    /** Per action field [min, max], tighter than the vehicle calibration (the tighter one wins). */
    limits: z.record(z.string(), Range).default({}),
    /** Per action field, the largest change per second. */
    max_rate: z.record(z.string(), z.number().positive()).default({}),
    /** What a missed deadline publishes: hold the last safe command, or the stop command. */
    on_deadline_miss: z.enum(['hold', 'stop']).default('hold'),
    /** After this many misses in a row, stop regardless. */
    max_consecutive_misses: z.number().int().min(0).default(3),
    /** Values of the stop command per action field; fields not listed hold their last value (vehicle default: speed 0). */
    stop: z.record(z.string(), z.number()).default({}),
  })
  .strict();

/**
 * Robot arm deployments (model contract profile `arm`): the arm description the safety layer limits
 * (calibration/arm.yaml: URDF chain, joint position/velocity/acceleration limits, workspace box, home)
 * and the sensor_msgs/JointState input, read by joint name. A vehicle config has no `arm:` section.
 */
const ArmSection = z
  .object({
    description: z.string().min(1).default('calibration/arm.yaml'),
    joint_states: z
      .object({
        topic: z.string().startsWith('/').default('/joint_states'),
        /** Older joint states (or none yet) hold the arm at its last measured position. */
        max_age_ms: z.number().positive().default(100),
      })
      .strict()
      .default({ topic: '/joint_states', max_age_ms: 100 }),
    /** Forward kinematics of every target and command: a tool point outside the workspace box is not sent (hold). */
    workspace_check: z.boolean().default(true),
  })
  .strict();

/**
 * ROS 2 node settings (`pilot node`); the other transports ignore them. Every key is also a ROS
 * parameter of the node (`ros2.publish_tf`…), except `remap` (ROS's own `-r from:=to` does the same).
 */
export const Ros2Section = z
  .object({
    /** Config topic → ROS topic name, e.g. `/camera/image_raw: /front/image_raw`. */
    remap: z.record(z.string().startsWith('/'), z.string().min(1)).default({}),
    /** Resolve the configured topics in the node's namespace (except /clock, /tf, /tf_static, /diagnostics). */
    namespaced_topics: z.boolean().default(true),
    /** Camera mounting (extrinsics) published on /tf_static; '' publishes none. */
    camera_mount: z.string().default('calibration/camera_mount.yaml'),
    publish_tf: z.boolean().default(true),
    /** Publish sensor_msgs/CameraInfo from calibration.camera here (latched); '' = off (the camera driver's job). */
    camera_info_topic: z.string().default(''),
    /** std_srvs/srv/SetBool e-stop service; '' = none. */
    estop_service: z.string().default('/pilot/set_estop'),
  })
  .strict();
export type Ros2Settings = z.infer<typeof Ros2Section>;
export type ArmSettings = z.infer<typeof ArmSection>;

/**
 * A chunked policy (the model's output has `chunk: { steps, step_ms }`): each tick publishes the action
 * for now from an action queue while the next chunk is computed (README "Action chunks").
 */
const ChunkingSection = z
  .object({
    /** false: run a chunked model like a single-step one, one inference per tick, its first action only. */
    enabled: z.boolean().default(true),
    /** How overlapping chunks combine: ACT temporal ensembling, the newest chunk only, or equal weights. */
    blend: z.enum(['ensemble', 'latest', 'average']).default('ensemble'),
    /** `ensemble`: weight exp(−k·r) of the r-th oldest chunk covering now (ACT's m). */
    ensemble_k: z.number().min(-10).max(10).default(0.01),
    /** Start the next inference when the newest chunk has less than this left, ms; default half its horizon. */
    refill_below_ms: z.number().positive().optional(),
    /**
     * Use a chunk no earlier than this long after its inference started, on the loop's clock (waiting
     * for the inference if it is not done by then): a known latency floor, and in a lockstep simulation
     * an inference time in simulated time, so a slow policy drives deterministically.
     */
    min_inference_ms: z.number().min(0).max(60_000).optional(),
    /** Chunk slots in the queue (the oldest is overwritten when all are live). */
    queue_capacity: z.number().int().min(1).max(64).default(8),
  })
  .strict();

/** The policy runs in another process (`pilot serve`), reached over ZeroMQ (README "Policy server"). */
const PolicyServerSection = z
  .object({
    /** e.g. `tcp://127.0.0.1:5590` or `ipc:///run/pilot/policy`; non-loopback needs allow_remote. */
    endpoint: z.string().min(1),
    /** One inference request: longer is a timeout (counted, a fallback like a deadline miss). */
    timeout_ms: z.number().positive().max(60_000).default(1000),
    /** How long to wait for the server's hello at start. */
    connect_timeout_ms: z.number().positive().max(600_000).default(10_000),
    allow_remote: z.boolean().default(false),
  })
  .strict();

const CpuList = z.array(z.number().int().min(0).max(1023)).default([]);

/**
 * Real-time scheduling of the control loop on a robot computer (README "Real-time"): applied when the
 * runtime starts, what was granted is printed; the defaults change nothing.
 */
const RealtimeSection = z
  .object({
    /** SCHED_FIFO priority (1–99) of the loop thread and the inference threads; 0: normal scheduling. */
    priority: z.number().int().min(0).max(99).default(0),
    /** CPUs the loop thread runs on (ids as in /proc/cpuinfo); [] leaves it as it is. */
    cpu_affinity: CpuList,
    /** CPUs of the inference threads: ONNX Runtime's pool (model.intra_op_threads > 1) or the inference worker. */
    inference_cpus: CpuList,
    /**
     * Lock the code of node and its native libraries (ONNX Runtime, ZeroMQ) in RAM (mlock of the file
     * mappings). Not mlockall: V8 aborts when it releases locked heap pages; with swap off the heap stays in RAM.
     */
    lock_memory: z.boolean().default(false),
    /**
     * A young-generation GC right after every Nth tick (timer loop on the wall clock; 0: off, V8 decides):
     * frames' and messages' garbage is then collected in small batches between ticks, not all at once.
     */
    gc_every_ticks: z.number().int().min(0).max(100_000).default(0),
    /** Refuse to start when something asked for here is not granted (default: a warning, and run anyway). */
    required: z.boolean().default(false),
  })
  .strict();
export type RealtimeSettings = z.infer<typeof RealtimeSection>;

export const PilotConfig = z
  .object({
    model: ModelSection,
    transport: TransportSection.default({ kind: 'zeromq', endpoints: {}, allow_remote: false }),
    calibration: CalibrationSection.default({ camera: 'calibration/camera.yaml', vehicle: 'calibration/vehicle.yaml' }),
    loop: LoopSection.default({ rate_hz: 50, trigger: 'timer' }),
    inputs: InputsSection.default({ camera: { topic: '/camera/image_raw', type: 'image', max_age_ms: 100 }, state: [] }),
    outputs: OutputsSection.default({
      command: { topic: '/cmd/ackermann', type: 'ackermann' },
      diagnostics: { topic: '/diagnostics', rate_hz: 1 },
      timeline: { topic: '/pilot/timeline', enabled: false },
      frame_id: 'base_link',
    }),
    safety: SafetySection.default({
      estop_topic: '/pilot/estop',
      limits: {},
      max_rate: {},
      on_deadline_miss: 'hold',
      max_consecutive_misses: 3,
      stop: {},
    }),
    arm: ArmSection.optional(),
    ros2: Ros2Section.optional(),
    chunking: ChunkingSection.default({ enabled: true, blend: 'ensemble', ensemble_k: 0.01, queue_capacity: 8 }),
    policy_server: PolicyServerSection.optional(),
    realtime: RealtimeSection.default({ priority: 0, cpu_affinity: [], inference_cpus: [], lock_memory: false, gc_every_ticks: 0, required: false }),
  })
  .strict();

export type PilotConfig = z.infer<typeof PilotConfig>;
export type PilotConfigInput = z.input<typeof PilotConfig>;
