// The caller's district subtree as the API lists it (parents first), as a tree.

import { api } from './api.js';

export async function loadTree() {
  const nodes = await api('/districts');
  const byCode = new Map(nodes.map((n) => [n.code, { ...n, children: [] }]));
  const roots = [];
  for (const node of byCode.values()) {
    const parent = byCode.get(node.parent_code);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return { nodes: [...byCode.values()], byCode, roots };
}

// Codes of `code` and every district below it.
export function subtreeCodes(tree, code) {
  const start = tree.byCode.get(code);
  const codes = new Set();
  const stack = start ? [start] : [];
  while (stack.length) {
    const node = stack.pop();
    codes.add(node.code);
    stack.push(...node.children);
  }
  return codes;
}

export function indentedOptions(tree) {
  const out = [];
  const walk = (node, depth) => {
    out.push({ code: node.code, label: `${'\u3000'.repeat(depth)}${node.name}` });
    for (const child of node.children) walk(child, depth + 1);
  };
  for (const root of tree.roots) walk(root, 0);
  return out;
}
