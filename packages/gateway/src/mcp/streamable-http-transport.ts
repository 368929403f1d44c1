/**
 * The MCP Streamable HTTP transport (spec 2025-03-26 and later) over node:http, for the SDK's
 * Client. The SDK's own transport goes through fetch: loading undici alone costs ~13 MB of RSS
 * and each call ~1.5 ms of CPU in web streams, on every Home Assistant tool call.
 *
 * What it does: each message is one POST; the answer is 202 (notifications), JSON, or an SSE
 * stream of messages that ends after the response; `Mcp-Session-Id` from the server is sent back
 * on every later request, as is the negotiated `Mcp-Protocol-Version`.
 * What it leaves out, as no server we target needs it: OAuth flows (a bearer token in `headers`
 * is what Home Assistant and most self-hosted servers use), the optional GET stream for
 * server-initiated messages, and resuming a broken SSE stream (the call then times out and the
 * connection is retried like any other failure).
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { errorBodyMessage } from '../models/http-errors.js';
import { httpRequest, type HttpResponse } from '@picoclaw/core';
import { readSseData } from '../models/sse.js';

/** A failed POST: `code` is the HTTP status, which the MCP manager turns into a clear error. */
export class McpHttpError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'McpHttpError';
  }
}

export interface StreamableHttpTransportOptions {
  headers?: Record<string, string>;
  /** Injectable for tests. */
  request?: typeof httpRequest;
}

export function createStreamableHttpTransport(url: URL, options: StreamableHttpTransportOptions = {}): Transport {
  const request = options.request ?? httpRequest;
  // One controller per request, dropped when its answer has been read: aborting a request whose
  // keep-alive socket went back to the pool would destroy that socket under another request.
  const inflight = new Set<AbortController>();
  let protocolVersion: string | undefined;
  let closed = false;

  const transport: Transport = {
    sessionId: undefined,
    async start() {},
    setProtocolVersion(version) {
      protocolVersion = version;
    },
    async send(message) {
      const headers: Record<string, string> = {
        ...options.headers,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      };
      if (transport.sessionId) headers['mcp-session-id'] = transport.sessionId;
      if (protocolVersion) headers['mcp-protocol-version'] = protocolVersion;
      const abort = new AbortController();
      inflight.add(abort);
      try {
        await exchange(message, headers, abort.signal);
      } finally {
        inflight.delete(abort);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const abort of inflight) abort.abort();
      transport.onclose?.();
    },
  };

  async function exchange(message: JSONRPCMessage, headers: Record<string, string>, signal: AbortSignal) {
    let response: HttpResponse;
    try {
      response = await request(url, { headers, body: JSON.stringify(message), signal });
    } catch (error) {
      if (!closed) transport.onerror?.(error as Error);
      throw error;
    }
    const session = response.header('mcp-session-id');
    if (session) transport.sessionId = session;
    const type = (response.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!response.ok) {
      const body = await response.text().catch(() => '');
      const error = new McpHttpError(response.status, errorBodyMessage(body, type) || `HTTP ${response.status}`);
      transport.onerror?.(error);
      throw error;
    }
    if (response.status === 202 || !('id' in message && 'method' in message)) {
      await response.text().catch(() => '');
      return;
    }
    if (type === 'text/event-stream') {
      // The stream carries the response (and maybe notifications before it), delivered as they
      // arrive: the SDK takes the response from onmessage, not from send() resolving.
      await consume(readSseData(response.body));
      return;
    }
    if (type === 'application/json') {
      const text = await response.text();
      deliver(text);
      return;
    }
    await response.text().catch(() => '');
    const error = new McpHttpError(response.status, `unexpected content type "${type || '(none)'}" in the answer to ${message.method}`);
    transport.onerror?.(error);
    throw error;
  }

  function deliver(text: string) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      transport.onerror?.(new Error(`the server sent a message that is not JSON: ${text.slice(0, 100)}`));
      return;
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      if (item && typeof item === 'object' && (item as { jsonrpc?: unknown }).jsonrpc === '2.0') transport.onmessage?.(item as JSONRPCMessage);
      else transport.onerror?.(new Error(`the server sent something that is not a JSON-RPC 2.0 message: ${JSON.stringify(item).slice(0, 100)}`));
    }
  }

  async function consume(events: AsyncIterable<string>) {
    try {
      for await (const data of events) deliver(data);
    } catch (error) {
      if (!closed) transport.onerror?.(error as Error);
    }
  }

  return transport;
}
