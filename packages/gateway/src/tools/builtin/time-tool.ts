import * as z from 'zod';
import { defineTool } from '../define-tool.js';

/** The current date and time, optionally in another IANA time zone. */
export function createTimeTool(now: () => Date = () => new Date()) {
  return defineTool({
    name: 'current_time',
    description: 'Current date and time, optionally in another IANA time zone.',
    input: { time_zone: z.string().optional() },
    async execute({ time_zone }) {
      try {
        const zone = time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
        const text = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'long', timeZone: zone }).format(now());
        return `${text} (${zone})`;
      } catch {
        return { content: `unknown time zone "${time_zone}"`, isError: true };
      }
    },
  });
}
