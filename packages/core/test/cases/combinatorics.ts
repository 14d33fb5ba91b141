/** Every permutation of a short list (n! of them). */
export const permutations = <A>(xs: ReadonlyArray<A>): Array<Array<A>> => {
  if (xs.length <= 1) return [[...xs]];
  const out: Array<Array<A>> = [];
  xs.forEach((x, i) => {
    for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
};

/** Every split of a list into consecutive non-empty batches (2^(n-1) of them). */
export const batchSplits = <A>(xs: ReadonlyArray<A>): Array<Array<Array<A>>> => {
  if (xs.length === 0) return [[]];
  const out: Array<Array<Array<A>>> = [];
  for (let cut = 1; cut <= xs.length; cut++) {
    for (const rest of batchSplits(xs.slice(cut))) out.push([xs.slice(0, cut), ...rest]);
  }
  return out;
};
