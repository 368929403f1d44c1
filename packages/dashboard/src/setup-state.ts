/**
 * When the dashboard opens the guided setup by itself: a logged-in user lands on the chat while
 * no model can answer (the gateway's `models.problem`; with the gateway not up yet, an empty
 * model_list and no primary), and this browser has not closed the guide before. Small on purpose:
 * it is in the first page's bundle, the guide itself is a chunk of its own.
 *
 * "Closed" is remembered in localStorage, not on the server: it is a preference about this
 * browser's screen, not the installation's state, and whether a model can answer — the real
 * condition — is asked of the server every time. Another browser is offered the guide again
 * only while no model can answer, which is what a second admin would want too.
 */
import { api } from './api.js';

export const SETUP_CLOSED_KEY = 'picoclaw.setup.closed';

export function setupClosed(): boolean {
  try {
    return localStorage.getItem(SETUP_CLOSED_KEY) === '1';
  } catch {
    return false;
  }
}

export function closeSetup() {
  try {
    localStorage.setItem(SETUP_CLOSED_KEY, '1');
  } catch {
    // A browser without storage offers the guide again next time: harmless.
  }
}

/**
 * `gatewayModels`: what the gateway status poll (useGatewayStatus) says of the models, null when
 * the gateway says nothing; only then is the config read (through the launcher).
 */
export async function needsSetup(gatewayModels: { problem?: string } | null): Promise<boolean> {
  if (setupClosed()) return false;
  if (gatewayModels) return !!gatewayModels.problem;
  const models = await api<{ primary: string; models: unknown[] }>('/api/models');
  return models.models.length === 0 && !models.primary;
}
