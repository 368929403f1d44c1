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

/**
 * Intents and scripts a real Home Assistant exposes over MCP, for a server of realistic size (the
 * tool-discovery bench and tests): each takes HA's usual target arguments.
 */
const MORE_TOOLS = [
  'HassToggle', 'HassClimateSetTemperature', 'HassClimateGetTemperature', 'HassMediaPause', 'HassMediaUnpause', 'HassMediaNext',
  'HassMediaPrevious', 'HassSetVolume', 'HassMediaSearchAndPlay', 'HassShoppingListAddItem', 'HassListAddItem', 'HassListCompleteItem',
  'HassVacuumStart', 'HassVacuumReturnToBase', 'HassStartTimer', 'HassCancelTimer', 'HassCancelAllTimers', 'HassIncreaseTimer',
  'HassDecreaseTimer', 'HassPauseTimer', 'HassUnpauseTimer', 'HassTimerStatus', 'HassGetWeather', 'HassGetCurrentDate', 'HassGetCurrentTime',
  'HassSetPosition', 'HassFanSetSpeed', 'HassLawnMowerStartMowing', 'HassLawnMowerDock', 'HassBroadcast', 'HassGetState', 'HassNevermind',
  'HassRespond', 'HassLockLock', 'HassLockUnlock', 'HassAlarmArm', 'HassAlarmDisarm', 'HassValveOpen', 'HassValveClose', 'HassHumidifierSetpoint',
  'HassHumidifierMode', 'HassWaterHeaterSetTemperature', 'HassCoverOpen', 'HassCoverClose', 'HassSceneActivate', 'HassInputNumberSet',
  'HassInputSelectSet', 'HassButtonPress', 'HassNotify', 'script_goodnight', 'script_leave_home', 'script_arrive_home', 'script_movie_time',
  'script_morning', 'script_water_garden', 'script_feed_cat',
];

/**
 * `camera`: also expose `CameraSnapshot`, which returns this image (PNG bytes) as MCP image content.
 * `moreTools`: also expose this many of HA's other intents and scripts (up to 56), as a real instance does.
 */
export async function startFakeHomeAssistant(options: { token?: string; port?: number; callDelayMs?: number; camera?: Buffer; moreTools?: number } = {}) {
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
    for (const tool of MORE_TOOLS.slice(0, options.moreTools ?? 0)) {
      const words = tool.replace(/^Hass|^script_/, '').replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
      server.registerTool(tool, {
        description: tool.startsWith('script_') ? `Runs the script "${words}"` : `Home Assistant intent: ${words}`,
        inputSchema: { name: z.string().optional().describe('Name of a device or entity'), area: z.string().optional().describe('Name of an area'), floor: z.string().optional().describe('Name of a floor'), domain: z.array(z.string()).optional().describe('Domains'), device_class: z.array(z.string()).optional().describe('Device classes') },
      }, async (args) => {
        await record(tool, args);
        return { content: [{ type: 'text', text: `${words}: done` }] };
      });
    }
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
