/**
 * A feature's part of the gateway's HTTP API, mounted at `/<name>…` behind the gateway token
 * (schedules, memory, skills): the server reads the JSON body for the methods that take one, up
 * to `maxBody`, and hands the rest of the path over. One shape, so a new feature adds an entry,
 * not a route.
 */
export interface FeatureApi {
  /** Methods whose JSON body is read; any other request's body is drained. */
  readonly bodies: readonly string[];
  /** The largest body taken, in bytes (default 256 KB); a larger one is answered 413. */
  readonly maxBody?: number;
  /** `path` is what follows `/<name>` ('' or '/…'). */
  handle(method: string, path: string, query: URLSearchParams, body: unknown): Promise<{ status: number; body: unknown }>;
}
