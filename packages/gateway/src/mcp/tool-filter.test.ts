import { describe, expect, it } from 'vitest';
import { toolFilter } from './tool-filter.js';

const names = ['HassTurnOn', 'HassTurnOff', 'HassLightSet', 'GetLiveContext', 'HassLockUnlock', 'HassAlarmDisarm'];
const offered = (server: { allow_tools?: string[]; deny_tools?: string[] }) => names.filter(toolFilter(server));

describe('MCP tool filter', () => {
  it('offers everything by default', () => {
    expect(offered({})).toEqual(names);
    expect(offered({ allow_tools: [' '], deny_tools: [] })).toEqual(names);
  });

  it('allow_tools keeps only the named or matching tools, without case; deny_tools withholds, and wins', () => {
    expect(offered({ allow_tools: ['hass*', 'GetLiveContext'] })).toEqual(names);
    expect(offered({ allow_tools: ['HassTurnO*', 'getlivecontext'] })).toEqual(['HassTurnOn', 'HassTurnOff', 'GetLiveContext']);
    expect(offered({ allow_tools: ['HassTurnO?'] })).toEqual(['HassTurnOn']);
    expect(offered({ deny_tools: ['HassLock*', 'HassAlarm*'] })).toEqual(['HassTurnOn', 'HassTurnOff', 'HassLightSet', 'GetLiveContext']);
    expect(offered({ allow_tools: ['Hass*'], deny_tools: ['*Unlock', '*Disarm'] })).toEqual(['HassTurnOn', 'HassTurnOff', 'HassLightSet']);
  });

  it('takes pattern characters other than * and ? literally', () => {
    expect(offered({ allow_tools: ['Hass.*'] })).toEqual([]);
    expect(offered({ allow_tools: ['(Get|Hass)LiveContext'] })).toEqual([]);
  });
});
