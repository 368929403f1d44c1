/**
 * How a client of the gateway's port (the launcher, the CLI) knows that the process answering is
 * the gateway it means, before it sends that process anything secret.
 *
 * The gateway port is an ordinary loopback TCP port: while the gateway is down or restarting,
 * any local process can bind it and receive what is sent there. So each start of a gateway under
 * the launcher gets a fresh random control token (PICOCLAW_GATEWAY_TOKEN), and the gateway proves
 * it knows the token by answering a random challenge on the open `GET /ready` with an HMAC of it,
 * which a process squatting the port cannot compute. Clients send the token (or the chat
 * credential derived from it) only to a process that proved itself, and what they send dies with
 * that gateway process: a squatter that catches anything opens nothing.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CHALLENGE_HEADER = 'x-picoclaw-challenge';
export const PROOF_HEADER = 'x-picoclaw-proof';

const hmac = (key: string, message: string) => createHmac('sha256', key).update(message).digest('hex');

export const newChallenge = (): string => randomBytes(16).toString('hex');

/** A challenge as a client sends it: hex, of a sane length (anything else gets no proof). */
export const isChallenge = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{16,128}$/.test(value);

/** What the gateway answers to `challenge`; only a holder of `token` can compute it. */
export const gatewayProof = (token: string, challenge: string): string => hmac(token, `picoclaw-ready:${challenge}`);

/** Whether `proof` (a response header, maybe absent) answers `challenge` for `token`. */
export function proofMatches(token: string, challenge: string, proof: string | string[] | undefined): boolean {
  if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof)) return false;
  return timingSafeEqual(Buffer.from(proof, 'hex'), Buffer.from(gatewayProof(token, challenge), 'hex'));
}

/**
 * The credential the launcher's chat proxy presents on the gateway's `/pico/ws`: derived from
 * the control token of this gateway start, so it is useless to anyone once that process ends
 * (unlike the pico token of config.json, which is permanent), and it grants chat only.
 */
export const picoCredential = (token: string): string => hmac(token, 'picoclaw-pico-channel');
