/**
 * Built-in tools are declared with a zod object: its JSON Schema is what the model sees, and the
 * same schema validates the model's arguments (strictly, so a misspelt argument is reported back
 * to the model instead of being ignored).
 */
import * as z from 'zod';
import type { Tool, ToolContext, ToolResult } from './types.js';

/**
 * What the model is shown is trimmed of what costs bytes in every request and tells it nothing:
 * zod's safe-integer bounds on `.int()` and the top level's `additionalProperties: false` (~30
 * bytes per tool; the arguments are still validated strictly here, and a misspelt one is reported).
 */
function lean(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if ((key === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)) continue;
    out[key] = Array.isArray(value) ? value.map((v: unknown) => (v && typeof v === 'object' ? lean(v as Record<string, unknown>) : v)) : value && typeof value === 'object' ? lean(value as Record<string, unknown>) : value;
  }
  return out;
}

export function defineTool<Shape extends z.ZodRawShape>(definition: {
  name: string;
  description: string;
  input: Shape;
  execute(args: z.output<z.ZodObject<Shape>>, context: ToolContext): Promise<ToolResult | string>;
}): Tool {
  const schema = z.strictObject(definition.input);
  const { $schema: _drop, additionalProperties: _strict, ...parameters } = lean(z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>);
  return {
    name: definition.name,
    description: definition.description,
    parameters,
    source: 'builtin',
    async execute(args, context) {
      const parsed = schema.safeParse(args);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
        return { content: `invalid arguments for tool "${definition.name}": ${problems}`, isError: true };
      }
      const result = await definition.execute(parsed.data, context);
      return typeof result === 'string' ? { content: result } : result;
    },
  };
}
