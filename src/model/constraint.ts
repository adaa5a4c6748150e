// The contract between the sampler and grammar-constrained decoding: the sampler asks which tokens
// may come next, masks the rest out of the distribution, samples, and tells the constraint what it chose.

export interface DecodeConstraint {
  /**
   * Writes 1 at each token id allowed next and 0 elsewhere into `mask` (length = vocabulary size).
   * Allows at least one token until `done`. Knows how many tokens remain, so it closes every open
   * construct in time.
   */
  allowed(mask: Uint8Array): void;
  /** Consumes the token the sampler chose (it must have been allowed). */
  advance(tokenId: number): void;
  /** True once the response is complete (its end token consumed). */
  readonly done: boolean;
}
