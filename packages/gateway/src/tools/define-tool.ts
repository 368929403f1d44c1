/**
 * Built-in tools are declared with a zod object: its JSON Schema is what the model sees, and the
 * same schema validates the model's arguments (strictly, so a misspelt argument is reported back
 * to the model instead of being ignored).
 */
import * as z from 'zod';
import type { Tool, ToolContext, ToolResult } from './types.js';

export function defineTool<Shape extends z.ZodRawShape>(definition: {
  name: string;
  description: string;
  input: Shape;
  execute(args: z.output<z.ZodObject<Shape>>, context: ToolContext): Promise<ToolResult | string>;
}): Tool {
  const schema = z.strictObject(definition.input);
  const { $schema: _drop, ...parameters } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
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
