/**
 * The YAML library, loaded on first use: ~280 KB of source that a home without .security.yml
 * never needs to parse at start-up. It is CommonJS, so its exports are the import's `default`
 * (in the bundle's lazily loaded chunk that is all there is).
 */
export async function loadYaml(): Promise<typeof import('yaml')> {
  return (await import('yaml')).default;
}
