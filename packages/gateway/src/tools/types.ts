/** Tools the agent can call: built-ins and MCP server tools share this one shape. */
import type { ImagePart } from '../models/types.js';

export interface ToolContext {
  signal: AbortSignal;
  sessionKey: string;
  channel: string;
  chatId: string;
  workspace: string;
}

export interface ToolResult {
  /** What the model reads. */
  content: string;
  isError?: boolean;
  /** Images for the model to see (an MCP camera snapshot, load_image); stored in the workspace and shown to a vision model. */
  images?: ImagePart[];
}

export interface Tool {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: Record<string, unknown>;
  /** Where the tool comes from, for listings: `builtin` or `mcp:<server>`. */
  readonly source: string;
  execute(args: Record<string, unknown>, context: ToolContext): Promise<ToolResult>;
}

/** A set of tools looked up by name; the MCP manager's tools change while the gateway runs. */
export interface ToolProvider {
  list(): Tool[];
}
