import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { benchArgs } from './args.js';

describe('benchArgs', () => {
  it("drops the leading '--' pnpm passes through, so the options after it parse", () => {
    const parse = (argv: string[]) => parseArgs({ args: benchArgs(argv), options: { n: { type: 'string' } } }).values.n;
    expect(parse(['--', '--n', '1000'])).toBe('1000');
    expect(parse(['--n', '1000'])).toBe('1000');
    expect(() => parseArgs({ args: ['--', '--n', '1000'], options: { n: { type: 'string' } } })).toThrow();
  });
});
