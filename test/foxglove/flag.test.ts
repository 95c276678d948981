import { describe, expect, it } from 'vitest';
import { takeFoxgloveFlag } from '../../src/cli/foxglove-option.js';

describe('--foxglove [port]', () => {
  it('is absent, bare (port 8765), with a port, or --foxglove=<port>; the other arguments stay in order', () => {
    expect(takeFoxgloveFlag(['--expert', '--laps', '1'])).toEqual({ port: undefined, args: ['--expert', '--laps', '1'] });
    expect(takeFoxgloveFlag(['--foxglove', '--laps', '1'])).toEqual({ port: 8765, args: ['--laps', '1'] });
    expect(takeFoxgloveFlag(['--expert', '--foxglove'])).toEqual({ port: 8765, args: ['--expert'] });
    expect(takeFoxgloveFlag(['--foxglove', '0', '--expert'])).toEqual({ port: 0, args: ['--expert'] });
    expect(takeFoxgloveFlag(['--foxglove=9000', '--expert'])).toEqual({ port: 9000, args: ['--expert'] });
  });

  it('leaves a following bag path alone, and what comes after --', () => {
    expect(takeFoxgloveFlag(['--foxglove', 'runs/bag', '--rate', '2'])).toEqual({ port: 8765, args: ['runs/bag', '--rate', '2'] });
    expect(takeFoxgloveFlag(['bag', '--', '--foxglove'])).toEqual({ port: undefined, args: ['bag', '--', '--foxglove'] });
  });

  it('rejects a port out of range or not a number, naming the flag and the value', () => {
    expect(() => takeFoxgloveFlag(['--foxglove=70000'])).toThrow(/--foxglove takes a port in 0\.\.65535 .*'70000'/);
    expect(() => takeFoxgloveFlag(['--foxglove=x1'])).toThrow(/'x1'/);
    expect(() => takeFoxgloveFlag(['--foxglove', '65536'])).toThrow(/'65536'/);
  });
});
