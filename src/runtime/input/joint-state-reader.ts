/**
 * sensor_msgs/JointState → joint positions in the arm's joint order, matched by NAME: drivers publish
 * joints in any order (joint_state_broadcaster sorts them its own way) and often extra ones (a gripper),
 * which are ignored. A message that lacks one of the arm's joints, names one twice, or gives it a
 * non-finite position is rejected whole, with the reason, and leaves the positions untouched.
 *
 * `read` runs in the transport callback on every message: while the message's name list stays the same
 * (the usual case) it reuses the name → index mapping and allocates nothing; only a new name list
 * (or a rejection's reason text) allocates.
 */
export class JointStateReader {
  /** Latest accepted positions (rad, or m for prismatic joints), in `jointNames` order. */
  readonly positions: Float64Array;
  /** Messages accepted so far. */
  accepted = 0;
  /** Times the name list changed (the mapping was rebuilt). */
  remaps = 0;
  /** Message index of each arm joint, for the cached name list. */
  readonly #index: Int32Array;
  /** The name list the mapping was built for (copied, so a sender reusing its array cannot fool it). */
  readonly #names: string[] = [];
  #mapped = false;

  constructor(readonly jointNames: readonly string[]) {
    if (new Set(jointNames).size !== jointNames.length) throw new Error(`JointStateReader: duplicate joint names [${jointNames.join(', ')}]`);
    this.positions = new Float64Array(jointNames.length);
    this.#index = new Int32Array(jointNames.length);
  }

  /** True once a message was accepted (`positions` holds a measurement). */
  get hasPositions(): boolean {
    return this.accepted > 0;
  }

  /** Reads one message: '' when accepted (positions updated), else why it was rejected. */
  read(message: unknown): string {
    if (message === null || typeof message !== 'object') return 'not a JointState message';
    const { name, position } = message as { name?: unknown; position?: unknown };
    if (!Array.isArray(name)) return 'JointState has no name list';
    if (!isNumberArray(position)) return 'JointState has no position array';
    if (position.length < name.length) return `JointState has ${name.length} names but ${position.length} positions`;
    if (!this.#sameNames(name)) {
      const why = this.#remap(name);
      if (why) return why;
    }
    const index = this.#index;
    for (let i = 0; i < index.length; i++) {
      const v = position[index[i]!]!;
      if (typeof v !== 'number' || !Number.isFinite(v)) return `joint '${this.jointNames[i]}' position ${String(v)} is not a finite number`;
    }
    for (let i = 0; i < index.length; i++) this.positions[i] = position[index[i]!]!;
    this.accepted++;
    return '';
  }

  #sameNames(name: readonly unknown[]): boolean {
    if (!this.#mapped || name.length !== this.#names.length) return false;
    for (let i = 0; i < name.length; i++) if (name[i] !== this.#names[i]) return false;
    return true;
  }

  /** Builds the mapping for a new name list; returns why it cannot be used ('' when it can). */
  #remap(name: readonly unknown[]): string {
    this.#mapped = false;
    const missing: string[] = [];
    for (let j = 0; j < this.jointNames.length; j++) {
      const wanted = this.jointNames[j]!;
      let found = -1;
      for (let i = 0; i < name.length; i++) {
        if (name[i] !== wanted) continue;
        if (found >= 0) return `joint '${wanted}' appears twice in the JointState names [${name.join(', ')}]`;
        found = i;
      }
      if (found < 0) missing.push(wanted);
      else this.#index[j] = found;
    }
    if (missing.length > 0) {
      return `JointState lacks joint${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} (names [${name.join(', ')}], the arm has [${this.jointNames.join(', ')}])`;
    }
    this.#names.length = 0;
    for (let i = 0; i < name.length; i++) this.#names.push(name[i] as string);
    this.#mapped = true;
    this.remaps++;
    return '';
  }
}

function isNumberArray(v: unknown): v is ArrayLike<number> {
  return v instanceof Float64Array || v instanceof Float32Array || Array.isArray(v);
}
