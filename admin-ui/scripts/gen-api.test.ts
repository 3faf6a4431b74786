import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { API_TYPES_FILE, GEN_API_COMMAND, generateApiTypes } from './gen-api.js';

it("keeps admin-ui/src/api.gen.ts what the server's OpenAPI document generates now", async () => {
  const generated = await generateApiTypes();
  const committed = readFileSync(API_TYPES_FILE, 'utf8');
  const committedLines = committed.split('\n');
  const generatedLines = generated.split('\n');
  const differs = generatedLines.findIndex((text, index) => committedLines[index] !== text);
  const line = differs === -1 ? generatedLines.length : differs;
  expect(
    committed === generated,
    `admin-ui/src/api.gen.ts is out of date (first difference at line ${line + 1}: ` +
      `${JSON.stringify(committedLines[line])}, now ${JSON.stringify(generatedLines[line])}); ` +
      `run \`${GEN_API_COMMAND}\``,
  ).toBe(true);
});
