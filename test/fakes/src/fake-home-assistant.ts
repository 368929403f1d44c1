/**
 * A fake Home Assistant MCP server: stateless streamable HTTP on `POST /api/mcp` with a bearer
 * token, built with the real MCP SDK, exposing tools named like HA's own (HassTurnOn, HassTurnOff,
 * HassLightSet, GetLiveContext). Records every call; `stop()`/`start()` simulate HA going away and
 * coming back on the same port.
 */
import { createServer } from 'node:http';
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { restartableListener } from './listen.js';

export interface HaCall {
  tool: string;
  args: Record<string, unknown>;
}

/** `camera`: also expose `CameraSnapshot`, which returns this image (PNG bytes) as MCP image content. */
export async function startFakeHomeAssistant(options: { token?: string; port?: number; callDelayMs?: number; camera?: Buffer } = {}) {
  const token = options.token ?? 'ha-test-token';
  const calls: HaCall[] = [];
  const states = new Map<string, string>([['kitchen light', 'off'], ['living room light', 'on']]);
  const app = express().use(express.json());
  app.post('/api/mcp', async (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.status(401).json({ error: 'unauthorized' });
      return;
    }
    const server = new McpServer({ name: 'fake-home-assistant', version: '0.0.0' });
    const record = async (tool: string, args: Record<string, unknown>) => {
      calls.push({ tool, args });
      if (options.callDelayMs) await new Promise((r) => setTimeout(r, options.callDelayMs));
    };
    for (const [tool, verb, state] of [['HassTurnOn', 'turned on', 'on'], ['HassTurnOff', 'turned off', 'off']] as const) {
      server.registerTool(tool, { description: `Turns ${state} a device or entity`, inputSchema: { name: z.string().describe('Name of the device or entity') } }, async (args) => {
        await record(tool, args);
        if (!states.has(args.name)) return { isError: true, content: [{ type: 'text', text: `no device named ${args.name}` }] };
        states.set(args.name, state);
        return { content: [{ type: 'text', text: `${verb} ${args.name}` }] };
      });
    }
    server.registerTool('HassLightSet', { description: 'Sets the brightness or color of a light', inputSchema: { name: z.string(), brightness: z.number().min(0).max(100).optional(), color: z.string().optional() } }, async (args) => {
      await record('HassLightSet', args);
      return { content: [{ type: 'text', text: `set ${args.name}${args.brightness !== undefined ? ` to ${args.brightness}%` : ''}${args.color ? ` ${args.color}` : ''}` }] };
    });
    server.registerTool('GetLiveContext', { description: 'Provides real-time information about the states of devices', inputSchema: {} }, async () => {
      await record('GetLiveContext', {});
      return { content: [{ type: 'text', text: [...states].map(([name, state]) => `- ${name}: ${state}`).join('\n') }] };
    });
    const camera = options.camera;
    if (camera) {
      server.registerTool('CameraSnapshot', { description: 'Takes a snapshot from a camera', inputSchema: { name: z.string() } }, async (args) => {
        await record('CameraSnapshot', args);
        return { content: [{ type: 'text', text: `snapshot of ${args.name}` }, { type: 'image', data: camera.toString('base64'), mimeType: 'image/png' }] };
      });
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  app.all('/api/mcp', (_req, res) => void res.status(405).set('allow', 'POST').end());

  const listener = restartableListener(() => createServer(app), options.port);
  await listener.start();
  return {
    token,
    calls,
    states,
    get port() {
      return listener.port;
    },
    get url() {
      return `http://127.0.0.1:${listener.port}/api/mcp`;
    },
    start: listener.start,
    stop: listener.stop,
    close: listener.stop,
  };
}

export type FakeHomeAssistant = Awaited<ReturnType<typeof startFakeHomeAssistant>>;
