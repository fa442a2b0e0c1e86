import fs from 'fs';
import path from 'path';
// fs.globSync(pattern, {cwd}) for the patterns the suite uses ("*", "**", "*.ext").
export function globSync(pattern, options = {}) {
  if (fs.globSync) return fs.globSync(pattern, options);
  const cwd = options.cwd ?? process.cwd();
  const toRegex = (p) => new RegExp('^' + p.split('/').map((part) => part === '**' ? '(?:.*)' :
      part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')).join('/') .replace('(?:.*)/', '(?:.*/)?') + '$');
  const re = toRegex(pattern);
  const out = [];
  const walk = (dir, rel) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (re.test(r)) out.push(r);
      if (entry.isDirectory()) walk(path.join(dir, entry.name), r);
    }
  };
  walk(cwd, '');
  return out;
}
