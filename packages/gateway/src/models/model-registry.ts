/**
 * Builds LanguageModels from `model_list` and chains them for an agent: the primary (one
 * candidate per API key), its entry `fallbacks`, then `model_fallbacks`, each expanded the same
 * way. Unlike the reference, entry-level fallbacks and extra keys are really used.
 */
import { defaultModelProblem, findProvider, isRawModelReference, PicoError, resolveModelTarget, type Config, type ModelEntry, type ModelStatus } from '@picoclaw/core';
import { candidateStatus, createFallbackChain, createHealthBook, type CandidateStatus, type FallbackChain, type HealthBook } from './fallback-chain.js';
import { createMistralModel } from './mistral.js';
import { createOpenAiCompatibleModel } from './openai-compatible.js';
import { seesImages } from './vision-models.js';
import type { LanguageModel, Usage } from './types.js';

/** A model_list entry as listings show it (the live state is added from the fallback chains). */
export type ModelInfo = Pick<ModelStatus, 'name' | 'provider' | 'model' | 'enabled' | 'keys' | 'problem'>;

export interface ModelRegistry {
  /**
   * The chain for a primary model name (default: `agents.defaults.model_name`). With `images`, the
   * chain for a turn that carries images: `image_model` and `image_model_fallbacks` when set, else
   * the candidates of the primary's chain that can see images; throws PicoError `unavailable` with
   * what to set when there is none, so a text-only model is never asked to describe a picture.
   */
  chain(primary?: string, options?: { images?: boolean }): FallbackChain;
  list(): ModelInfo[];
  has(name: string): boolean;
  status(): CandidateStatus[];
  readonly defaultModel: string;
}

export interface ModelRegistryOptions {
  /** Shared across reloads so cooldowns survive a config change. */
  health?: HealthBook;
  version?: string;
  /** Every answer of every chain, by model_list name (extra keys and duplicate entries count under their name). */
  onUsage?: (model: string, usage: Usage | undefined) => void;
}

const CONNECT_TIMEOUT_MS = 30_000;

export const NO_VISION =
  'No vision model is configured, so I cannot look at images. Set agents.defaults.image_model to a model_list entry that can see images (for example mistral/mistral-small-latest), or add "vision": true to the entry of a model that can.';

function build(entry: ModelEntry, key: string | undefined, name: string, version: string): LanguageModel {
  const target = resolveModelTarget(entry);
  // A PicoClaw provider this project cannot speak to: the model fails at once, saying why, and a
  // fallback answers instead.
  const unsupported = target.provider.unsupported;
  if (unsupported) {
    return {
      name,
      provider: target.provider.id,
      modelId: target.modelId,
      // eslint-disable-next-line require-yield -- it fails before any event
      async *stream() {
        throw new PicoError('unavailable', `model ${name}: provider ${target.provider.id}: ${unsupported}`);
      },
    };
  }
  const apiBase = entry.api_base || target.provider.apiBase;
  const common = {
    name,
    modelId: target.modelId,
    apiBase,
    ...(key ? { apiKey: key } : {}),
    ...(Object.keys(entry.custom_headers).length ? { headers: entry.custom_headers } : {}),
    connectTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, entry.request_timeout * 1000),
    idleTimeoutMs: entry.request_timeout * 1000,
  };
  if (target.provider.wire === 'mistral') return createMistralModel(common);
  return createOpenAiCompatibleModel({
    ...common,
    provider: target.provider.id,
    ...(Object.keys(entry.extra_body).length ? { extraBody: entry.extra_body } : {}),
    ...(entry.max_tokens_field ? { maxTokensField: entry.max_tokens_field } : {}),
    userAgent: entry.user_agent || `PicoClaw-TS/${version}`,
  });
}

export function createModelRegistry(config: Config, options: ModelRegistryOptions = {}): ModelRegistry {
  const health = options.health ?? createHealthBook();
  const version = options.version ?? '0.0.0';
  const entries = config.model_list;
  const built = new Map<string, LanguageModel>();
  const chains = new Map<string, FallbackChain>();

  /** Candidates for one reference: a model_list alias or a raw vendor/model. */
  function expand(ref: string, seen: Set<string>): LanguageModel[] {
    if (seen.has(ref)) return [];
    seen.add(ref);
    const matches = entries.filter((e) => e.model_name === ref && e.enabled);
    if (matches.length === 0) {
      const disabled = entries.some((e) => e.model_name === ref);
      if (disabled) return [];
      // A raw `vendor/model` reference borrows the key of the first entry of that vendor.
      if (!isRawModelReference(ref)) return [];
      const target = resolveModelTarget({ model: ref });
      const donor = entries.find((e) => resolveModelTarget(e).provider.id === target.provider.id);
      const entry = { ...(donor ?? entries[0] ?? ({} as ModelEntry)), model_name: ref, model: ref, provider: '', api_base: donor?.api_base ?? '', fallbacks: [] } as ModelEntry;
      return [cached(entry, donor?.api_keys[0], ref)];
    }
    const out: LanguageModel[] = [];
    for (const entry of matches) {
      const keys = entry.api_keys.filter(Boolean);
      if (keys.length === 0) out.push(cached(entry, undefined, ref));
      keys.forEach((key, i) => out.push(cached(entry, key, i === 0 ? ref : `${ref}#key${i + 1}`)));
      for (const fallback of entry.fallbacks) out.push(...expand(fallback, seen));
    }
    return out;
  }

  const names = new Set<string>();
  const entryOf = new Map<string, ModelEntry>();
  function cached(entry: ModelEntry, key: string | undefined, name: string): LanguageModel {
    const id = `${name}\u0000${entry.model}\u0000${key ?? ''}`;
    let model = built.get(id);
    if (!model) {
      // Duplicate model_name entries (load balancing) differ by model: keep their names apart.
      const unique = names.has(name) ? `${name}@${entry.model}` : name;
      names.add(unique);
      built.set(id, (model = build(entry, key, unique, version)));
      entryOf.set(unique, entry);
    }
    return model;
  }

  const record = options.onUsage;
  const onUsage = record && ((name: string, usage: Usage | undefined) => record(entryOf.get(name)?.model_name ?? name, usage));
  const defaults = config.agents.defaults;
  return {
    defaultModel: defaults.model_name,
    chain(primary = defaults.model_name, options = {}) {
      const imageModel = options.images === true && defaults.image_model !== '';
      const key = options.images ? `images\u0000${imageModel ? '' : primary}` : primary;
      let chain = chains.get(key);
      if (chain) return chain;
      const seen = new Set<string>();
      const refs = imageModel ? [defaults.image_model, ...defaults.image_model_fallbacks] : [primary, ...defaults.model_fallbacks];
      const candidates = refs.flatMap((ref) => (ref ? expand(ref, seen) : []));
      let unique = [...new Map(candidates.map((m) => [m.name, m])).values()];
      if (options.images && !imageModel) {
        unique = unique.filter((m) => seesImages(entryOf.get(m.name)!));
        if (unique.length === 0) throw new PicoError('unavailable', NO_VISION);
      }
      if (unique.length === 0) {
        const problem = primary === defaults.model_name ? defaultModelProblem(config) : undefined;
        throw new PicoError('unavailable', problem ?? (primary
          ? `model "${primary}" is not usable: it is not in model_list or is disabled`
          : 'no model is configured: set agents.defaults.model_name and add it to model_list in config.json'));
      }
      chain = createFallbackChain(unique, { health, ...(onUsage ? { onUsage } : {}) });
      chains.set(key, chain);
      return chain;
    },
    list: () =>
      entries.map((e) => {
        const provider = resolveModelTarget(e).provider;
        const keys = e.api_keys.filter(Boolean).length;
        const info: ModelInfo = { name: e.model_name, provider: provider.id, model: e.model, enabled: e.enabled, keys };
        if (!e.enabled) info.problem = 'disabled';
        else if (provider.unsupported) info.problem = `provider ${provider.id}: ${provider.unsupported}`;
        else if (keys === 0 && !findProvider(provider.id)?.keyOptional) info.problem = `no API key (set model_list ${e.model_name} api_keys in .security.yml)`;
        return info;
      }),
    has: (name) => entries.some((e) => e.model_name === name && e.enabled),
    status: () => {
      const all = new Map<string, CandidateStatus>();
      for (const chain of chains.values()) for (const s of chain.status()) all.set(s.name, s);
      // After a reload no chain is built until the next message; the shared health still knows
      // the cooldowns and errors of before, so a status page does not forget them on every change.
      for (const e of entries) {
        const h = health.get(e.model_name);
        if (!h || all.has(e.model_name)) continue;
        const target = resolveModelTarget(e);
        all.set(e.model_name, candidateStatus({ name: e.model_name, provider: target.provider.id, modelId: target.modelId }, h, Date.now()));
      }
      return [...all.values()];
    },
  };
}
