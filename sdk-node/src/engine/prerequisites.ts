/**
 * Finds a prerequisite cycle through `start`: the keys of the cycle, starting and ending with
 * `start`, or `null`. `edges` gives the prerequisite keys of a flag.
 *
 * @example
 * prerequisiteCycle('a', (k) => ({ a: ['b'], b: ['a'] })[k] ?? []); // ['a', 'b', 'a']
 */
export function prerequisiteCycle(start: string, edges: (key: string) => readonly string[]): string[] | null {
  const done = new Set<string>();
  const path: string[] = [start];
  const visit = (key: string): boolean => {
    for (const next of edges(key)) {
      if (next === start) {
        path.push(next);
        return true;
      }
      if (done.has(next)) continue;
      done.add(next);
      path.push(next);
      if (visit(next)) return true;
      path.pop();
    }
    return false;
  };
  return visit(start) ? path : null;
}
