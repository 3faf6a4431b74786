import { describe, expect, it } from 'vitest';
import { measureBundle, SIZE_BUDGET_BYTES } from '../scripts/size.js';

describe('bundle size', () => {
  it('keeps an app that creates a client and reads a flag within 3 KB, minified and gzipped', async () => {
    const { gzipped, minified } = await measureBundle();
    // A bundle that lost the client entirely would be "small" too.
    expect(minified).toBeGreaterThan(1000);
    expect(gzipped).toBeLessThanOrEqual(SIZE_BUDGET_BYTES);
  });
});
