/**
 * The arm cell in three.js: floor, table, the arm drawn from the URDF chain (one group per link, its
 * pose set from forward kinematics each frame; a cylinder from each link's origin to the next joint),
 * a white tool finger, the episode's objects and the push goal disc. Built once per session: episodes
 * and looks only change poses, colours and visibility (no new materials, so no shader compiles).
 * The scene never knows the renderer; it only reads the world. World frame = base_link (z up,
 * table top at z = 0).
 */
import * as THREE from 'three/webgpu';
import type { ArmDescription } from '../../src/core/kinematics/index.js';
import type { ArmLook } from './arm-look.js';
import { tinted } from './arm-look.js';
import { GOAL_COLOUR, type ArmEpisodeSpec } from './arm-task.js';
import { TOOL_RADIUS_M, type ArmWorld } from './arm-world.js';

// Colours are display values end to end, as in the vehicle scene (sim/render/scene-builder.ts).
THREE.ColorManagement.enabled = false;

const TABLE_SIZE = { x: 0.85, y: 1.1, thickness: 0.03, centreX: 0.175 };
const TABLE_HEIGHT_M = 0.75;
const MAX_BOXES = 5;

const UP = new THREE.Vector3(0, 1, 0);
const scratchDirection = new THREE.Vector3();

export class ArmScene {
  readonly scene = new THREE.Scene();
  /** Link frames base → tool: [base_link, child of chain joint 0, …]. */
  readonly links: THREE.Group[] = [];
  readonly #disposables: { dispose(): void }[] = [];
  readonly #armMaterial: THREE.MeshLambertMaterial;
  readonly #toolMaterial: THREE.MeshLambertMaterial;
  readonly #tableMaterial: THREE.MeshLambertMaterial;
  readonly #floorMaterial: THREE.MeshLambertMaterial;
  readonly #hemi: THREE.HemisphereLight;
  readonly #sun: THREE.DirectionalLight;
  readonly #boxes: THREE.Mesh<THREE.BoxGeometry, THREE.MeshLambertMaterial>[] = [];
  readonly #puck: THREE.Mesh<THREE.CylinderGeometry, THREE.MeshLambertMaterial>;
  readonly #goal: THREE.Mesh<THREE.CircleGeometry, THREE.MeshLambertMaterial>;
  /** Which world object each box/puck mesh shows this episode. */
  #boxOf: number[] = [];
  #puckOf = -1;
  #look: Readonly<ArmLook> | null = null;
  #spec: ArmEpisodeSpec | null = null;

  constructor(description: ArmDescription) {
    const keep = <T extends { dispose(): void }>(d: T): T => (this.#disposables.push(d), d);
    const lambert = (colour: number, extra: THREE.MeshLambertMaterialParameters = {}) => keep(new THREE.MeshLambertMaterial({ color: colour, ...extra }));
    this.#armMaterial = lambert(0x3a3d44);
    this.#toolMaterial = lambert(0xf2f2f2);
    this.#tableMaterial = lambert(0xb89a74);
    this.#floorMaterial = lambert(0x5a5f66);

    this.#hemi = new THREE.HemisphereLight(0xffffff, 0x5a5f66, 1);
    this.#hemi.position.set(0, 0, 1);
    this.scene.add(this.#hemi);
    this.#sun = new THREE.DirectionalLight(0xffffff, 1);
    this.scene.add(this.#sun);

    const floor = new THREE.Mesh(keep(new THREE.PlaneGeometry(8, 8)), this.#floorMaterial);
    floor.position.set(0, 0, -TABLE_HEIGHT_M);
    this.scene.add(floor);
    const table = new THREE.Mesh(keep(new THREE.BoxGeometry(TABLE_SIZE.x, TABLE_SIZE.y, TABLE_SIZE.thickness)), this.#tableMaterial);
    table.position.set(TABLE_SIZE.centreX, 0, -TABLE_SIZE.thickness / 2);
    this.scene.add(table);

    this.#buildArm(description, keep);

    for (let i = 0; i < MAX_BOXES; i++) {
      const box = new THREE.Mesh(keep(new THREE.BoxGeometry(1, 1, 1)), lambert(0xffffff));
      box.visible = false;
      this.#boxes.push(box);
      this.scene.add(box);
    }
    const puckGeometry = keep(new THREE.CylinderGeometry(0.5, 0.5, 1, 24));
    puckGeometry.rotateX(Math.PI / 2); // three's cylinder runs along +y; ours stands on z
    this.#puck = new THREE.Mesh(puckGeometry, lambert(0xffffff));
    this.#puck.visible = false;
    this.scene.add(this.#puck);
    // Painted on the table top: drawn over it without z-fighting.
    this.#goal = new THREE.Mesh(keep(new THREE.CircleGeometry(1, 32)), lambert(GOAL_COLOUR, { polygonOffset: true, polygonOffsetFactor: -2, polygonOffsetUnits: -2 }));
    this.#goal.position.z = 0.0005;
    this.#goal.visible = false;
    this.scene.add(this.#goal);
  }

  /** Arm geometry from the chain: each joint's origin offset is a cylinder in its parent link's frame. */
  #buildArm(description: ArmDescription, keep: <T extends { dispose(): void }>(d: T) => T): void {
    const joints = description.chainJoints;
    const base = new THREE.Group();
    this.links.push(base);
    for (const _ of joints) this.links.push(new THREE.Group());
    for (const g of this.links) {
      g.matrixAutoUpdate = false;
      this.scene.add(g);
    }
    const last = joints.length - 1;
    joints.forEach((joint, i) => {
      const parent = this.links[i]!;
      const [x, y, z] = joint.originXyz;
      const length = Math.hypot(x, y, z);
      // The segment ending at the tool link is the tool finger; the arm tapers from base to wrist.
      const isTool = i === last && joint.type === 'fixed';
      const radius = isTool ? TOOL_RADIUS_M : 0.028 - (0.014 * i) / Math.max(1, last);
      if (length > 1e-6) {
        const geometry = keep(new THREE.CylinderGeometry(radius, radius, length, 16));
        const mesh = new THREE.Mesh(geometry, isTool ? this.#toolMaterial : this.#armMaterial);
        mesh.quaternion.setFromUnitVectors(UP, scratchDirection.set(x, y, z).normalize());
        mesh.position.set(x / 2, y / 2, z / 2);
        parent.add(mesh);
      }
      if (joint.type !== 'fixed') {
        // A knuckle at each moving joint, a little wider than the links it joins.
        const knuckle = new THREE.Mesh(keep(new THREE.SphereGeometry(radius * 1.1, 16, 12)), this.#armMaterial);
        this.links[i + 1]!.add(knuckle);
      }
    });
    // A rounded tool tip, so the tool point is where the finger ends.
    const tip = new THREE.Mesh(keep(new THREE.SphereGeometry(TOOL_RADIUS_M, 16, 12)), this.#toolMaterial);
    this.links[this.links.length - 1]!.add(tip);
  }

  setLook(look: Readonly<ArmLook>): void {
    this.#look = look;
    this.scene.background = new THREE.Color(look.backgroundColour);
    this.#armMaterial.color.setHex(look.armColour);
    this.#toolMaterial.color.setHex(look.toolColour);
    this.#tableMaterial.color.setHex(look.tableColour);
    this.#floorMaterial.color.setHex(look.floorColour);
    this.#hemi.color.setHex(0xffffff);
    this.#hemi.groundColor.setHex(look.floorColour);
    this.#hemi.intensity = look.ambientIntensity;
    this.#sun.color.setHex(look.sunColour);
    this.#sun.intensity = look.sunIntensity;
    const el = look.sunElevationRad;
    this.#sun.position.set(Math.cos(look.sunAzimuthRad) * Math.cos(el), Math.sin(look.sunAzimuthRad) * Math.cos(el), Math.sin(el));
    if (this.#spec) this.#colourObjects(this.#spec);
  }

  /** Shows the episode's objects (sizes, colours) and, for push, the goal disc. */
  setEpisode(spec: ArmEpisodeSpec): void {
    this.#spec = spec;
    this.#boxOf = [];
    this.#puckOf = -1;
    for (const b of this.#boxes) b.visible = false;
    this.#puck.visible = false;
    spec.objects.forEach((o, i) => {
      if (o.shape === 'cylinder') {
        this.#puckOf = i;
        this.#puck.scale.set(o.sizeM, o.sizeM, o.heightM);
        this.#puck.visible = true;
      } else if (this.#boxOf.length < MAX_BOXES) {
        const mesh = this.#boxes[this.#boxOf.length]!;
        this.#boxOf.push(i);
        mesh.scale.set(o.sizeM, o.sizeM, o.heightM);
        mesh.visible = true;
      }
    });
    this.#goal.visible = spec.kind === 'push';
    this.#goal.position.set(spec.target[0], spec.target[1], 0.0005);
    this.#goal.scale.set(spec.goalRadiusM, spec.goalRadiusM, 1);
    this.#colourObjects(spec);
  }

  #colourObjects(spec: ArmEpisodeSpec): void {
    const look = this.#look;
    const colour = (hex: number) => (look ? tinted(hex, look) : hex);
    this.#boxOf.forEach((i, k) => this.#boxes[k]!.material.color.setHex(colour(spec.objects[i]!.colour)));
    if (this.#puckOf >= 0) this.#puck.material.color.setHex(colour(spec.objects[this.#puckOf]!.colour));
    this.#goal.material.color.setHex(colour(GOAL_COLOUR));
  }

  /** Poses from the world: link frames from its forward kinematics (already solved), objects where they are. */
  update(world: ArmWorld): void {
    const poses = world.chain.linkPoses;
    for (let i = 0; i < poses.length; i++) {
      const m = poses[i]!;
      const g = this.links[i + 1]!;
      g.matrix.set(m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7]!, m[8]!, m[9]!, m[10]!, m[11]!, m[12]!, m[13]!, m[14]!, m[15]!);
      g.matrixWorldNeedsUpdate = true;
    }
    this.#boxOf.forEach((i, k) => place(this.#boxes[k]!, world.objects[i]!));
    if (this.#puckOf >= 0) place(this.#puck, world.objects[this.#puckOf]!);
  }

  dispose(): void {
    for (const d of this.#disposables) d.dispose();
  }
}

function place(mesh: THREE.Object3D, o: { x: number; y: number; yawRad: number; heightM: number }): void {
  mesh.position.set(o.x, o.y, o.heightM / 2);
  mesh.rotation.set(0, 0, o.yawRad);
}
