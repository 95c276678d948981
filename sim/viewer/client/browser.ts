/**
 * The few browser APIs the viewer page uses, declared here. The project compiles with `lib: ES2022`
 * only (it is Node code), so instead of adding lib.dom to every file these types stay local to the
 * client and `browser` is the page's `globalThis` seen through them.
 */

export interface PageElement {
  textContent: string | null;
  classList: { toggle(name: string, force?: boolean): boolean };
}

export interface PageImage extends PageElement {
  src: string;
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  onload: (() => void) | null;
}

export interface PageSocket {
  binaryType: 'blob' | 'arraybuffer';
  readonly readyState: number;
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onmessage: ((event: { data: string | ArrayBuffer }) => void) | null;
  close(): void;
}

export interface Browser {
  readonly document: { getElementById(id: string): PageElement | null };
  readonly location: { readonly host: string; readonly protocol: string };
  readonly innerWidth: number;
  readonly innerHeight: number;
  readonly devicePixelRatio: number;
  readonly WebSocket: new (url: string) => PageSocket;
  readonly Blob: new (parts: readonly Uint8Array[], options: { type: string }) => object;
  readonly URL: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  readonly performance: { now(): number };
  addEventListener(type: 'resize', listener: () => void): void;
  setTimeout(callback: () => void, ms: number): number;
  /** Read by tests and handy from the console: what the page has seen and drawn. */
  pilotViewer?: ViewerPageStatus;
}

export interface ViewerPageStatus {
  backend: string;
  connected: boolean;
  worldName: string | null;
  statesReceived: number;
  cameraFramesReceived: number;
  framesRendered: number;
  /** Nothing left to draw: the last frame shows the newest state and the camera has settled. */
  idle: boolean;
  error: string | null;
}

export const browser = globalThis as unknown as Browser;

export function element<T extends PageElement = PageElement>(id: string): T {
  const found = browser.document.getElementById(id);
  if (!found) throw new Error(`viewer page: element #${id} is missing`);
  return found as T;
}
