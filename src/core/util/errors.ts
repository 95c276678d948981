/** An error with a stable code and the values that were wrong: `E_MODEL_SHAPE: action dim 3 ≠ 4 [model=x]`. */
export class PilotError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'PilotError';
  }
}
