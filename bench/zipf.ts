// Zipf-distributed picks over n ranked items: item k (from 0) is drawn with weight 1 / (k + 1)^s,
// the usual shape of "a few pages and contacts are looked at far more than the rest".
export function zipfSampler(n: number, exponent = 1, random: () => number = Math.random): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / Math.pow(k + 1, exponent);
    cumulative[k] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}
