import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { defineTool } from './define-tool.js';

describe('defineTool', () => {
  const tool = defineTool({
    name: 't',
    description: 'd',
    input: { path: z.string(), offset: z.number().int().min(0).optional(), count: z.number().int().min(1).max(10).optional() },
    execute: async (args) => JSON.stringify(args),
  });
  const context = { signal: new AbortController().signal, sessionKey: 's', channel: 'c', chatId: 'x', workspace: '/w' };

  it('shows the model a lean schema: no safe-integer bounds, no top-level additionalProperties (bytes in every request)', () => {
    expect(tool.parameters).toEqual({
      type: 'object',
      properties: { path: { type: 'string' }, offset: { type: 'integer', minimum: 0 }, count: { type: 'integer', minimum: 1, maximum: 10 } },
      required: ['path'],
    });
  });

  it('still validates strictly: an unknown argument is reported back to the model', async () => {
    expect(await tool.execute({ path: 'a', ofset: 3 }, context)).toEqual({ isError: true, content: expect.stringContaining('invalid arguments for tool "t"') });
    expect(await tool.execute({ path: 'a', offset: 3 }, context)).toEqual({ content: '{"path":"a","offset":3}' });
  });
});
