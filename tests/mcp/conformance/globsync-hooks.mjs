// Node < 22 has no fs.globSync: the conformance suite's bundle imports it.
// This load hook rewrites that import to a small implementation.
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.includes('@modelcontextprotocol/conformance/dist/') || result.format !== 'module') return result;
  let source = String(result.source);
  source = source.replace(/import\{([^}]*)\}from"fs";/, (all, names) => {
    const kept = names.split(',').filter((n) => !/^globSync( as \w+)?$/.test(n.trim()));
    const alias = (names.split(',').find((n) => /^globSync( as \w+)?$/.test(n.trim())) || '').trim().split(' as ')[1] || 'globSync';
    return `import{${kept.join(',')}}from"fs";import{globSync as ${alias}}from"${new URL('./globsync.mjs', import.meta.url)}";`;
  });
  return { ...result, source };
}
